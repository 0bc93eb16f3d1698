"""``events.fill_completions`` (bulk-inserted histories: plain rows, inserted in bulk) leaves the
same completions as ``events.record`` keeps event by event, voids included."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select

from lxp import completions, events
from lxp.extensions import db

BEGIN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RESULTS = st.one_of(
    st.none(),
    st.fixed_dictionaries({"score": st.fixed_dictionaries({"scaled": st.sampled_from((0.0, 0.4, 0.9, 1))})}),
    st.fixed_dictionaries(
        {"success": st.booleans(),
         "extensions": st.fixed_dictionaries({"failed_competencies": st.lists(st.sampled_from(("b", "a")), max_size=2)})}
    ),
)  # fmt: skip
STATEMENTS = st.lists(
    st.one_of(
        st.tuples(
            st.integers(0, 1),
            st.sampled_from(events.STATE_VERBS),
            st.sampled_from(("item", "competency")),
            st.sampled_from(("7:intro", "7:quiz", "listening")),
            st.integers(0, 40),
            RESULTS,
            st.sampled_from((None, {"placement": True}, {"journey": 3})),
        ),  # fmt: skip
        st.tuples(st.just("void"), st.integers(0, 30)),  # void an earlier statement (by its place)
    ),
    max_size=25,
)


def _rows(learners: list[int]) -> list[dict]:
    found = db.session.scalars(
        select(completions.Completion)
        .where(completions.Completion.learner_id.in_(learners))
        .order_by(completions.Completion.learner_id, completions.Completion.object_type, completions.Completion.object_id)
    ).all()  # fmt: skip
    return [{name: getattr(row, name) for name in completions.COLUMNS} for row in found]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(statements=STATEMENTS)
def test_filling_from_the_log_gives_what_recording_kept(ctx, make_user, statements):
    learners = [make_user(), make_user()]
    recorded = []
    for statement in statements:
        if statement[0] == "void":
            targets = [e for e in recorded if e.verb != "voided"]
            if targets:
                target = targets[statement[1] % len(targets)]
                recorded.append(events.void(actor_id=target.actor_id, event_id=target.id))
            continue
        who, verb, object_type, object_id, minutes, result, context = statement
        recorded.append(events.record(actor_id=learners[who], verb=verb, object_type=object_type, object_id=object_id,
                                      result=result, context=context, occurred_at=BEGIN + timedelta(minutes=minutes)))  # fmt: skip
    db.session.flush()
    kept = _rows(learners)

    db.session.execute(delete(completions.Completion).where(completions.Completion.learner_id.in_(learners)))
    db.session.expunge_all()
    events.fill_completions(learners)
    db.session.expunge_all()
    assert _rows(learners) == kept
    # A row without a check has no competencies at all (SQL NULL, as the ORM leaves it), not JSON null.
    assert not db.session.scalar(
        select(func.count()).select_from(completions.Completion).where(
            completions.Completion.learner_id.in_(learners), completions.Completion.check_verb.is_(None),
            completions.Completion.failed_competencies.isnot(None))
    )  # fmt: skip
    db.session.rollback()
