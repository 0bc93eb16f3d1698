"""The risk refresh reads learners' histories a batch at a time (``history.each_history``, used by
``services.train`` and ``services.raise_flags``): the same histories in the same order, and the
same flags, as when the whole organisation was read at once."""

from datetime import timedelta

from sqlalchemy import select

from lxp.accounts.models import Organisation, User
from lxp.core.time import utcnow
from lxp.events import record
from lxp.extensions import db
from lxp.paths import services as paths
from lxp.risk import history, population, services
from tests.conftest import committing


def _organisation():
    return db.session.execute(select(Organisation).where(Organisation.slug == "acme")).scalar_one()


def _on_path(make_user, published, n: int, failed_days_ago: tuple[int, ...]) -> int:
    """A learner on the example path who failed its check on each of those days (ago)."""
    learner = db.session.get(User, make_user(("learner",), email=f"learner{n}@example.com", name=f"Learner {n}"))
    paths.start_journey(learner, paths.JourneyChoice((published["goal"],), None, None, 60, ("self_paced",)))
    for days in failed_days_ago:
        record(actor_id=learner.id, verb="failed", object_type="item", object_id=published["quiz"],
               occurred_at=utcnow() - timedelta(days=days), result={"success": False})  # fmt: skip
    return learner.id


def test_histories_read_a_batch_at_a_time_are_those_read_at_once_in_the_same_order(
    app, organisation, make_user, published, monkeypatch
):
    now = utcnow()
    with committing(app):
        stored = history.store(_organisation().id, population.generate(12, seed=4, now=now))
        on_path = [_on_path(make_user, published, n, (10, 9)) for n in range(3)]
    monkeypatch.setattr(history, "BATCH", 5)
    with committing(app):
        ids = history.learner_ids(_organisation().id)
        assert set(ids) == {*stored, *on_path} and len(ids) == 15  # three batches, the last one short
        at_once = history.histories(ids, now)
        assert [h.learner_id for h in at_once] == ids
        assert any(h.events for h in at_once) and any(h.touchpoints for h in at_once)
        assert all(h.plan is not None and h.titles for h in at_once if h.learner_id in on_path)
        assert list(history.each_history(ids, now)) == at_once


def test_flags_raised_a_batch_at_a_time_are_those_raised_reading_everyone_at_once(
    app, organisation, make_user, published, monkeypatch
):
    with committing(app):
        # Learners 0, 1, 3, 4 and 6 quiet for nine days after two failed checks; 2 and 5 learnt yesterday.
        learners = [_on_path(make_user, published, n, (10, 9) if n not in (2, 5) else (1,)) for n in range(7)]

    def flags() -> list[tuple]:
        raised = services.raise_flags(_organisation())
        return [(f.learner_id, f.source, f.reasons, f.suggested, f.held_out) for f in raised]

    monkeypatch.setattr(history, "BATCH", 1000)
    with app.app_context():
        at_once = flags()
        db.session.rollback()  # not kept: the same learners are flagged again below
    monkeypatch.setattr(history, "BATCH", 2)
    with committing(app):
        assert flags() == at_once
    assert [learner for learner, *_ in at_once] == [learners[n] for n in (0, 1, 3, 4, 6)]
    assert {source for _learner, source, *_ in at_once} == {"rules"}
    assert all(any(r["code"] == "failed_checks" for r in reasons) for _learner, _source, reasons, *_ in at_once)
