"""Predictive support, the next steps: the holdout drawn from a stored seed (re-derivable by an
analyst), the desk's honest comparison of acted-on and held-out flags, and a coach who offers a
session or a lighter plan from the desk, recorded and explained to the learner."""

from datetime import date, timedelta

from sqlalchemy import insert, select

from lxp.accounts.models import Organisation
from lxp.channels.in_app import InAppMessage
from lxp.coaching.models import CoachAssignment, CoachingMessage
from lxp.core.time import utcnow
from lxp.events import record
from lxp.extensions import db
from lxp.paths.models import Journey
from lxp.risk import history, holdout, population, services
from lxp.risk.models import RiskFlag, RiskSettings
from tests.conftest import committing, page_cost, sign_in, submit
from tests.integration.test_live_fixtures import (  # noqa: F401  (fixtures)
    live_course_fixture,
    schedule,
    soon,
    start_path,
    trainer_fixture,
)


def _organisation():
    return db.session.execute(select(Organisation).where(Organisation.slug == "acme")).scalar_one()


def test_held_out_flags_follow_the_stored_seed_and_an_analyst_re_derives_them(app, client, login_as):
    login_as("admin")
    assert submit(client, "/admin/predictive-support", {"holdout_percent": "30"}).status_code == 302
    with committing(app):
        organisation = _organisation()
        ids = history.store(organisation.id, population.generate(120, seed=5, now=utcnow()))
        db.session.execute(insert(Journey), [{"learner_id": i, "status": "active", "start_date": date(2026, 1, 5),
                                              "weekly_minutes": 60, "modalities": [], "choices": {}} for i in ids])  # fmt: skip
        seed = db.session.get(RiskSettings, organisation.id).holdout_seed
        flags = services.raise_flags(organisation)
        drawn = [(f.learner_id, f.raised_at.date(), f.held_out) for f in flags]
    assert seed and len(seed) == 16
    assert len(drawn) >= 20 and any(h for *_, h in drawn) and not all(h for *_, h in drawn)
    assert all(held == holdout.held_out(seed, learner, day, 0.3) for learner, day, held in drawn)
    page = client.get("/admin/predictive-support").get_data(as_text=True)
    assert seed in page
    printed = app.test_cli_runner().invoke(args=["lxp", "risk", "holdout"])
    assert printed.exit_code == 0, printed.output
    assert f"seed {seed}, 30 % held out" in printed.output
    learner, day, held = drawn[0]
    line = next(row for row in printed.output.splitlines() if row.split()[1:2] == [str(learner)])
    assert f"{holdout.draw(seed, learner, day):.4f}" in line and line.endswith("yes" if held else "no")


def _closed_flags(organisation_id: int, learners: list[int], *, held_out: bool, back: int, coach: int | None) -> None:
    now = utcnow()
    for n, learner in enumerate(learners):
        raised = now - timedelta(days=20)
        db.session.add(RiskFlag(organisation_id=organisation_id, learner_id=learner, raised_at=raised, source="rules",
                                reasons=[], suggested="message", held_out=held_out,
                                acted_at=None if held_out else raised + timedelta(hours=2),
                                acted_by_id=None if held_out else coach, action=None if held_out else "message",
                                came_back_at=raised + timedelta(days=3) if n < back else None,
                                closed_at=raised + timedelta(days=3 if n < back else 14)))  # fmt: skip


def test_the_desk_compares_acted_on_and_held_out_flags_and_says_when_numbers_are_small(app, make_user):
    coach = make_user(("trainer",), email="coach@example.com")
    client = app.test_client()
    sign_in(client, "coach@example.com")
    assert "No flags are held out yet" in client.get("/desk").get_data(as_text=True)
    learners = [make_user(("learner",), email=f"l{n}@example.com") for n in range(14)]
    with committing(app):
        organisation_id = _organisation().id
        _closed_flags(organisation_id, learners[:8], held_out=False, back=6, coach=coach)
        _closed_flags(organisation_id, learners[8:11], held_out=True, back=1, coach=None)
    desk = client.get("/desk").get_data(as_text=True)
    assert "Too few learners so far to show the comparison" in desk  # three held out: not shown
    with committing(app):
        _closed_flags(organisation_id, learners[11:], held_out=True, back=0, coach=None)
    desk = client.get("/desk").get_data(as_text=True)
    comparison = desk.split('id="holdout-comparison"')[1].split("</section>")[0]
    assert "6 (75 %)" in comparison and "1 (17 %)" in comparison
    assert 'data-verdict="small"' in comparison and "can easily be chance" in comparison


def _flagged_learner_on_the_live_course(app, live_course, trainer, make_user):
    learner = make_user(("learner",), email="lena@example.com", name="Lena Learner", locale="de",
                        timezone="Europe/Berlin")  # fmt: skip
    client = app.test_client()
    sign_in(client, "lena@example.com")
    start_path(client, live_course)
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner, coach_id=trainer))
        record(actor_id=learner, verb="launched", object_type="item", object_id=live_course["alt"],
               occurred_at=utcnow() - timedelta(days=12))  # fmt: skip
        [flag] = services.raise_flags(_organisation())
        return learner, flag.id


def test_a_coach_offers_a_session_of_the_learners_course_and_the_learner_is_told_why(
    app, live_course, trainer, make_user
):
    learner, flag_id = _flagged_learner_on_the_live_course(app, live_course, trainer, make_user)
    [session_id] = schedule(app, trainer, live_course["live"], soon(days=5))
    coach = app.test_client()
    sign_in(coach, "trainer@example.com")
    desk = coach.get("/desk").get_data(as_text=True)
    assert "Session to offer" in desk and "Role-play lab" in desk and f'value="{session_id}"' in desk
    assert "Make the plan lighter: 80 instead of 120 minutes a week" in desk
    refused = submit(coach, f"/desk/at-risk/{flag_id}", {"action": "offer_session", "session_id": "999999"},
                     form_page="/desk")  # fmt: skip
    assert refused.status_code == 302 and "/desk" in refused.headers["Location"]
    with committing(app):
        assert db.session.get(RiskFlag, flag_id).acted_at is None  # nothing recorded for a refusal
    response = submit(coach, f"/desk/at-risk/{flag_id}", {"action": "offer_session", "session_id": str(session_id)},
                      form_page="/desk")  # fmt: skip
    assert response.status_code == 302 and "/desk/coaching/" in response.headers["Location"]
    with committing(app):
        flag = db.session.get(RiskFlag, flag_id)
        assert (flag.action, flag.offered_session_id, flag.acted_by_id) == ("offer_session", session_id, trainer)
        message = db.session.execute(select(CoachingMessage)).scalar_one()
        assert "Role-play lab" in message.body and f"/sessions/{session_id}" in message.body
        assert "Profil" in message.body  # in the learner's language (German), with how to turn it off
        note = db.session.execute(select(InAppMessage).where(InAppMessage.user_id == learner)).scalars().all()
        assert any(n.key == f"coaching-message:{message.id}" for n in note)


def test_a_coach_makes_the_plan_lighter_and_the_learner_can_read_how_to_change_it_back(
    app, live_course, trainer, make_user
):
    learner, flag_id = _flagged_learner_on_the_live_course(app, live_course, trainer, make_user)
    coach = app.test_client()
    sign_in(coach, "trainer@example.com")
    assert "No upcoming session of their course to offer" in coach.get("/desk").get_data(as_text=True)
    response = submit(coach, f"/desk/at-risk/{flag_id}", {"action": "simplify_plan"}, form_page="/desk")
    assert response.status_code == 302
    with committing(app):
        flag = db.session.get(RiskFlag, flag_id)
        assert (flag.action, flag.minutes_before, flag.minutes_after) == ("simplify_plan", 120, 80)
        journey = db.session.execute(select(Journey).where(Journey.learner_id == learner)).scalar_one()
        assert journey.weekly_minutes == 80 and journey.plan_stale_since is None
        body = db.session.execute(select(CoachingMessage.body)).scalar_one()
        assert "80" in body and "120" in body and "Profil" in body


def test_the_desk_offers_each_flagged_learner_their_sessions_in_as_many_statements_for_four_as_for_one(
    app, live_course, trainer, make_user
):
    """Each flagged learner gets the sessions open to them (a cohort's session only to its
    members), their lighter plan and their coach, read for all of them together: the desk takes
    as many statements with four flagged learners as with one."""
    from lxp.accounts.models import User
    from lxp.cohorts.models import Cohort
    from lxp.risk import actions

    first, _flag_id = _flagged_learner_on_the_live_course(app, live_course, trainer, make_user)
    with committing(app):
        cohort = Cohort(organisation_id=live_course["organisation"], name="Night shift",
                        members=[db.session.get(User, first)])  # fmt: skip
        db.session.add(cohort)
        db.session.flush()
        cohort_id = cohort.id
    [everyone] = schedule(app, trainer, live_course["live"], soon(days=5))
    [night_shift] = schedule(app, trainer, live_course["live"], soon(days=6), cohort_id=cohort_id)
    coach = app.test_client()
    sign_in(coach, "trainer@example.com")

    one, _page = page_cost(app, coach, "/desk")
    others = []
    for n in range(3):
        learner = make_user(("learner",), email=f"other{n}@example.com", name=f"Other {n}")
        client = app.test_client()
        sign_in(client, f"other{n}@example.com")
        start_path(client, live_course)
        others.append(learner)
    with committing(app):
        for learner in others:
            db.session.add(CoachAssignment(learner_id=learner, coach_id=trainer))
            record(actor_id=learner, verb="launched", object_type="item", object_id=live_course["alt"],
                   occurred_at=utcnow() - timedelta(days=12))  # fmt: skip
        services.raise_flags(_organisation())
    assert page_cost(app, coach, "/desk")[0] == one
    with committing(app):
        flags = services.desk_flags(db.session.get(User, trainer))
        offered = actions.session_choices(flags)
        lighter = actions.plan_minutes(flags)
        coaches = services.coaches_of(flags)
        by_learner = {flag.learner_id: flag.id for flag in flags}
        assert set(by_learner) == {first, *others}
        assert [s.id for s in offered[by_learner[first]]] == [everyone, night_shift]  # soonest first
        assert all([s.id for s in offered[by_learner[o]]] == [everyone] for o in others)
        assert all(lighter[flag_id] == (120, 80) for flag_id in by_learner.values())
        assert all(coaches[flag_id].id == trainer for flag_id in by_learner.values())
