"""Insights pages against the real database: the SQL agrees with the hand-checked maths, the
privacy rules hold, bad input gets a clear message, every table downloads as CSV."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import inspect

from lxp import events
from lxp.accounts.models import User
from lxp.coaching.models import CoachAssignment, HelpRequest
from lxp.cohorts.models import Cohort
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.insights import maths, services
from lxp.nudges.models import OutboxMessage
from lxp.paths.models import Journey, JourneyCourse
from tests.conftest import committing


def _learners(app, make_user, count, **fields):
    return [make_user(("learner",), name=f"Learner {n:02d}", **fields) for n in range(count)]


def _enrol(app, published, learner_ids):
    """A journey on the example course for each learner, as the bulk demo data has them."""
    from lxp.authoring.models import Course

    with committing(app):
        version = db.session.get(Course, published["course"]).versions[-1]
        for learner in learner_ids:
            journey = Journey(learner_id=learner, start_date=utcnow().date() - timedelta(days=10),
                              target_date=utcnow().date() + timedelta(days=10), package_id=published["package"])  # fmt: skip
            journey.courses.append(JourneyCourse(course_id=published["course"], version_id=version.id))
            db.session.add(journey)
        db.session.commit()


def _story(app, published, learner_ids, comment=None):
    """Learner n finishes the lesson in (n + 1) * 2 minutes; all but the last take the quiz (the
    first two fail it once, then pass); every learner gives the quiz a pulse of mood 2 except
    the first, who says 4. Returns the events as the maths reads them."""
    lesson, quiz = published["lesson"], published["quiz"]
    at = utcnow() - timedelta(days=1)
    made = []
    with committing(app):
        for n, learner in enumerate(learner_ids):
            seconds = (n + 1) * 120
            events.record(actor_id=learner, verb="completed", object_type="item", object_id=lesson,
                          result={"completion": True, "duration": f"PT{seconds}S"}, occurred_at=at)  # fmt: skip
            made.append(maths.Event(learner, "completed", lesson, at, seconds=seconds))
            if n == len(learner_ids) - 1:
                continue
            if n < 2:
                events.record(actor_id=learner, verb="failed", object_type="item", object_id=quiz,
                              result={"success": False, "duration": "PT200S"}, occurred_at=at)  # fmt: skip
                made.append(maths.Event(learner, "failed", quiz, at, seconds=200))
            events.record(actor_id=learner, verb="passed", object_type="item", object_id=quiz,
                          result={"success": True, "duration": "PT300S"}, occurred_at=at + timedelta(minutes=5))  # fmt: skip
            made.append(maths.Event(learner, "passed", quiz, at + timedelta(minutes=5), seconds=300))
            mood = 4 if n == 0 else 2
            events.record(actor_id=learner, verb="responded", object_type="item", object_id=quiz,
                          result={"response": comment if n == 1 else None, "extensions": {"mood": mood, "effort": 3, "useful": True}},
                          context={"pulse": True}, occurred_at=at + timedelta(minutes=6))  # fmt: skip
            made.append(
                maths.Event(learner, "responded", quiz, at + timedelta(minutes=6), mood=mood, effort=3, pulse=True)
            )
        db.session.commit()
    return made


@pytest.fixture
def admin(app, client, login_as, published):
    return login_as("admin")


def test_the_journey_map_counts_in_sql_what_the_maths_counts_by_hand(app, client, admin, published, make_user):
    learners = _learners(app, make_user, 7)
    made = _story(app, published, learners)
    with committing(app):
        user = db.session.get(User, admin.id)
        _, _, journey = services.journey_map(user, published["course"], services.Filters())
        lesson_ref, quiz_ref = published["lesson"], published["quiz"]
        expected_counts, learner_count = maths.tally(made, [lesson_ref, quiz_ref], utcnow())
        assert journey.learners == learner_count == 7
        lesson, quiz = journey.stations
        for facts in (lesson, quiz):
            assert facts.counts == expected_counts[facts.station.ref]
    # lesson: 7 reached and finished; times 2, 4, ... 14 min -> median 8 of 6 estimated
    assert (lesson.reached, lesson.finished, lesson.median_minutes) == (7, 7, 8.0)
    # quiz: 6 took it, 2 failed first; moods 4, 2, 2, 2, 2, 2
    assert (quiz.reached, quiz.finished, quiz.first_try_rate) == (6, 6, pytest.approx(4 / 6))
    assert quiz.mood_average == pytest.approx(14 / 6)

    page = client.get(f"/insights/courses/{published['course']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Where it rubs" in html and "Lowest mood" in html and "Largest overrun of effort" in html
    assert "<svg" in html and "Download as CSV" in html
    assert "Learner 00" not in html  # the map never names anyone


def test_fewer_than_five_learners_show_no_numbers(app, client, admin, published, make_user):
    _story(app, published, _learners(app, make_user, 4))
    html = client.get(f"/insights/courses/{published['course']}").get_data(as_text=True)
    assert "Fewer than 5 learners match these filters" in html
    assert "Where it rubs" not in html


def test_filtering_to_one_cohort_counts_only_its_members(app, client, admin, published, make_user):
    inside, outside = _learners(app, make_user, 5), _learners(app, make_user, 3)
    _story(app, published, inside + outside)
    with committing(app):
        cohort = Cohort(organisation_id=admin.organisation_id, name="Night shift")
        cohort.members = [db.session.get(User, i) for i in inside]
        db.session.add(cohort)
        db.session.commit()
        cohort_id = cohort.id
    page = client.get(f"/insights/courses/{published['course']}?cohort={cohort_id}&format=csv")
    rows = list(csv.reader(io.StringIO(page.get_data(as_text=True))))
    assert page.mimetype == "text/csv" and "attachment" in page.headers["Content-Disposition"]
    assert rows[0][:6] == ["Module", "Station", "Kind", "Estimated minutes", "Reached", "Finished"]
    assert [r[4] for r in rows[1:]] == ["5", "5"]  # the three outside the cohort are not counted
    everyone = list(
        csv.reader(
            io.StringIO(client.get(f"/insights/courses/{published['course']}?format=csv").get_data(as_text=True))
        )
    )
    assert [r[4] for r in everyone[1:]] == ["8", "7"]


def test_a_trainer_asking_for_a_cohort_not_theirs_is_told_so(app, client, login_as, published, make_user):
    other = make_user(("trainer",))
    trainer = login_as("trainer")
    with committing(app):
        cohort = Cohort(organisation_id=trainer.organisation_id, name="Not yours", coach_id=other)
        db.session.add(cohort)
        db.session.commit()
        cohort_id = cohort.id
    for path in (f"/insights/courses/{published['course']}?cohort={cohort_id}", f"/insights/people?cohort={cohort_id}"):
        page = client.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 403
        assert "You can see the cohorts you coach only; “Not yours” is not one of them." in html
    assert client.get(f"/insights/courses/{published['course']}?cohort={cohort_id}&format=csv").mimetype == "text/html"


def test_a_period_ending_before_it_starts_is_refused_with_a_message(client, admin, published):
    page = client.get(f"/insights/courses/{published['course']}?start=2026-03-10&end=2026-03-01")
    assert page.status_code == 400
    assert "The end of the period is before its start" in page.get_data(as_text=True)
    assert (
        client.get(f"/insights/courses/{published['course']}/satisfaction?start=2026-03-10&end=2026-03-01").status_code
        == 400
    )


def test_an_unknown_course_gets_a_clear_404(client, admin, published):
    page = client.get("/insights/courses/987654")
    assert page.status_code == 404
    assert "There is no published course with that number" in page.get_data(as_text=True)


def test_a_course_of_another_organisation_is_unknown(app, client, admin, published, make_user, other_organisation):
    outsider = make_user(("admin",), organisation_id=other_organisation)
    client.post("/logout")
    from tests.conftest import sign_in, submit

    submit(client, "/logout", {}, form_page="/me")
    with committing(app):
        email = db.session.get(User, outsider).email
    sign_in(client, email)
    assert client.get(f"/insights/courses/{published['course']}").status_code == 404


def test_learners_cannot_open_insights(client, login_as, published):
    login_as("learner")
    assert client.get("/insights/").status_code == 403
    assert client.get(f"/insights/courses/{published['course']}").status_code == 403


def test_a_trainer_sees_their_own_learners_on_track_or_behind(app, client, login_as, published, make_user):
    trainer = login_as("trainer")
    mine, others = _learners(app, make_user, 2), _learners(app, make_user, 1)
    _enrol(app, published, mine + others)
    with committing(app):
        for learner in mine:
            db.session.add(CoachAssignment(learner_id=learner, coach_id=trainer.id))
        db.session.add(HelpRequest(organisation_id=trainer.organisation_id, learner_id=mine[0], item_ref=published["quiz"],
                                   item_title="Check: listening", status="open"))  # fmt: skip
        db.session.commit()
    events_at = utcnow() - timedelta(days=9)
    with committing(app):
        events.record(actor_id=mine[1], verb="completed", object_type="item", object_id=published["lesson"],
                      occurred_at=events_at)  # fmt: skip
        db.session.commit()
    html = client.get("/insights/people").get_data(as_text=True)
    assert "Learner 00" in html and "Learner 01" in html
    assert html.count("Learner 00") == 1 and "Behind" in html
    assert "9 days ago" in html and "never" in html
    rows = list(csv.reader(io.StringIO(client.get("/insights/people?format=csv").get_data(as_text=True))))
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"Learner 00", "Learner 01"}  # not the learner someone else coaches
    assert by_name["Learner 00"][8] == "1" and by_name["Learner 01"][3:5] == ["1", "2"]


def test_comments_are_listed_by_station_without_names_and_safe_in_a_spreadsheet(
    app, client, admin, published, make_user
):
    _story(app, published, _learners(app, make_user, 7), comment='=HYPERLINK("http://x") too long')
    html = client.get(f"/insights/courses/{published['course']}/satisfaction").get_data(as_text=True)
    assert "too long" in html and "Learner 01" not in html
    rows = list(csv.reader(io.StringIO(client.get(
        f"/insights/courses/{published['course']}/satisfaction?format=csv&table=comments").get_data(as_text=True))))  # fmt: skip
    assert rows[1][1] == "Check: listening" and rows[1][4].startswith("'=HYPERLINK")


def test_the_net_promoter_score_waits_for_ten_answers(app, client, admin, published, make_user):
    learners = _learners(app, make_user, 10)
    _enrol(app, published, learners)
    with committing(app):
        journeys = dict(db.session.query(Journey.learner_id, Journey.id).all())
        for n, learner in enumerate(learners):
            if n == 9:
                continue
            events.record(actor_id=learner, verb="responded", object_type="journey", object_id=journeys[learner],
                          result={"score": {"raw": 10 if n < 5 else 3}}, context={"nps": True})  # fmt: skip
        db.session.commit()
    html = client.get(f"/insights/courses/{published['course']}/satisfaction").get_data(as_text=True)
    assert "9 answers so far: a score is shown from 10 answers on." in html
    with committing(app):
        events.record(actor_id=learners[9], verb="responded", object_type="journey", object_id=journeys[learners[9]],
                      result={"score": {"raw": 8}}, context={"nps": True})  # fmt: skip
        db.session.commit()
    html = client.get(f"/insights/courses/{published['course']}/satisfaction").get_data(as_text=True)
    # 5 promoters, 4 detractors, 1 passive of 10 -> 10
    assert '<strong class="big-number">10</strong> from 10 answers' in html


def test_modalities_page_and_its_csv(client, admin, published, app, make_user):
    _story(app, published, _learners(app, make_user, 6))
    assert "Self-paced" in client.get(f"/insights/courses/{published['course']}/modalities").get_data(as_text=True)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/insights/courses/{published['course']}/modalities?format=csv").get_data(as_text=True)
            )
        )
    )
    assert rows[1][:3] == ["Self-paced", "2", "1"]  # 6 + 5 reached, 6 + 5 finished


def test_seed_synthetic_adds_a_population_and_refuses_nonsense(app, published):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lxp", "seed-synthetic", "--learners", "12", "--cohort", "Synthetic A"])

    assert result.exit_code == 0, result.output
    assert "12 synthetic learners on 'listening-basics'" in result.output
    with committing(app):
        assert db.session.query(User).filter(User.email.like("synthetic-%")).count() == 12
        assert db.session.query(events.LearningEvent).filter(events.LearningEvent.occurred_at > utcnow()).count() == 0
        sent = db.session.query(OutboxMessage).all()
        assert {m.rule for m in sent} >= {"welcome"} and all(m.sent_at <= utcnow() for m in sent)
        assert all(m.opened_at is None or m.sent_at <= m.opened_at <= utcnow() for m in sent)
    refused = runner.invoke(args=["lxp", "seed-synthetic", "--learners", "0"])
    assert refused.exit_code != 0 and "--learners must be at least 1" in refused.output
    unknown = runner.invoke(args=["lxp", "seed-synthetic", "--learners", "3", "--course", "nope"])
    assert unknown.exit_code != 0 and "no published course 'nope'" in unknown.output


def test_seed_synthetic_with_the_indexes_rebuilt_stores_every_event_and_keeps_every_index(app, published):
    """``--rebuild-indexes`` (for a database nobody uses yet) only changes how the rows go in:
    every event it reports is stored, and the event log has all its indexes again afterwards."""
    with committing(app):
        indexes = sorted(index["name"] for index in inspect(db.session.connection()).get_indexes("learning_events"))
        before = db.session.query(events.LearningEvent).count()
    result = app.test_cli_runner().invoke(args=["lxp", "seed-synthetic", "--learners", "15", "--rebuild-indexes"])

    assert result.exit_code == 0, result.output
    reported = int(re.search(r": (\d+) events", result.output).group(1))
    with committing(app):
        assert db.session.query(events.LearningEvent).count() - before == reported > 15
        assert sorted(i["name"] for i in inspect(db.session.connection()).get_indexes("learning_events")) == indexes


def test_a_population_read_back_in_parts_gets_every_learner_a_journey(app, published, monkeypatch):
    """100,000 learners would name more ids in one IN list than PostgreSQL takes (65,535
    parameters): the generator reads them back in parts; parts of 5 stand in for 10,000 here."""
    from lxp.insights import synthetic
    from lxp.paths.models import Journey

    monkeypatch.setattr(synthetic, "READ_BACK_PART", 5)
    result = app.test_cli_runner().invoke(args=["lxp", "seed-synthetic", "--learners", "12"])
    assert result.exit_code == 0, result.output
    with committing(app):
        people = db.session.query(User.id).filter(User.email.like("synthetic-%")).all()
        journeys = db.session.query(Journey.learner_id).filter(Journey.learner_id.in_([p.id for p in people])).all()
        assert len(people) == 12 and sorted(journeys) == sorted(people)


def test_drop_off_in_sql_agrees_with_the_maths(app, admin, published, make_user):
    """Six stop after the lesson a month ago, two after failing the quiz, three went through
    (passed the last station) long ago, two are still on their way: dropped 6 and 2."""
    learners = _learners(app, make_user, 13)
    lesson, quiz = published["lesson"], published["quiz"]
    month_ago, today = utcnow() - timedelta(days=30), utcnow() - timedelta(hours=1)
    made = []
    with committing(app):
        for n, learner in enumerate(learners):
            steps = [("completed", lesson, month_ago)]
            if n in (6, 7):
                steps.append(("failed", quiz, month_ago + timedelta(hours=1)))
            elif n in (8, 9, 10):
                steps.append(("passed", quiz, month_ago + timedelta(hours=1)))
            elif n in (11, 12):
                steps.append(("progressed", quiz, today))  # a ping alone does not count ...
                steps.append(("launched", quiz, today))  # ... opening the quiz does
            for verb, ref, at in steps:
                events.record(actor_id=learner, verb=verb, object_type="item", object_id=ref, occurred_at=at)
                made.append(maths.Event(learner, verb, ref, at))
        db.session.commit()
        user = db.session.get(User, admin.id)
        _, _, journey = services.journey_map(user, published["course"], services.Filters())
        expected, learner_count = maths.tally(made, [lesson, quiz], utcnow())
    assert {f.station.ref: f.counts for f in journey.stations} == expected
    assert [f.dropped for f in journey.stations] == [6, 2]
    assert journey.learners == learner_count == 13
    # a period that ended three weeks ago judges drop-off at its end: nobody had been gone 14 days
    with committing(app):
        user = db.session.get(User, admin.id)
        period = services.Filters(
            start=(month_ago - timedelta(days=1)).date(), end=(month_ago + timedelta(days=2)).date()
        )
        _, _, journey = services.journey_map(user, published["course"], period)
    assert [f.dropped for f in journey.stations] == [0, 0]


def test_language_and_package_filters_choose_the_learners(app, client, admin, published, make_user):
    german = [make_user(("learner",), locale="de") for _ in range(5)]
    english = _learners(app, make_user, 6)
    _story(app, published, german + english)
    _enrol(app, published, german)  # the German learners chose the example package
    url = f"/insights/courses/{published['course']}?format=csv"

    def reached(query):
        rows = list(csv.reader(io.StringIO(client.get(url + query).get_data(as_text=True))))
        return rows[1][4]

    assert reached("") == "11"
    assert reached("&language=de") == "5"
    assert reached(f"&package={published['package']}") == "5"
    assert reached(f"&language=en&package={published['package']}") == ""  # nobody: not shown
    page = client.get(f"/insights/courses/{published['course']}?package=999999")
    assert page.status_code == 400 and "Choose a package of this course." in page.get_data(as_text=True)


def test_the_trainer_desk_links_to_their_learners(client, login_as, published):
    login_as("trainer")
    html = client.get("/desk").get_data(as_text=True)
    assert 'href="/insights/people"' in html
    assert client.get("/insights/people").status_code == 200


def test_a_learner_on_a_planned_path_counts_the_steps_of_their_plan(app, client, login_as, published, make_user):
    from tests.conftest import sign_in
    from tests.integration.conftest import start_path

    trainer = login_as("trainer")
    learner = make_user(("learner",), name="Planned Learner", email="planned@example.com")
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner, coach_id=trainer.id))
        db.session.commit()
    own = app.test_client()
    sign_in(own, "planned@example.com")
    assert start_path(own, published).status_code == 302
    rows = list(csv.reader(io.StringIO(client.get("/insights/people?format=csv").get_data(as_text=True))))
    assert rows[1][0] == "Planned Learner"
    assert rows[1][2:5] == ["No target date", "0", "2"]  # the lesson and the quiz on the stored plan


def _colleagues_answer(app, learner_ids, ref):
    """Each of ``learner_ids`` replies in a space about station ``ref`` (the first one twice)."""
    with committing(app):
        for n, learner in enumerate([learner_ids[0], *learner_ids]):
            events.record(actor_id=learner, verb="replied", object_type="space_post", object_id=str(900 + n),
                          context={"cohort": 1, "thread": 1, "item": ref})  # fmt: skip
        db.session.commit()


def test_the_csv_counts_colleagues_active_in_the_spaces_per_station(app, client, admin, published, make_user):
    learners = _learners(app, make_user, 6)  # the quiz is reached by five of them: its numbers show
    _story(app, published, learners)
    _colleagues_answer(app, learners[:3], published["quiz"])
    rows = list(csv.reader(io.StringIO(client.get(f"/insights/courses/{published['course']}?format=csv")
                                       .get_data(as_text=True))))  # fmt: skip
    assert rows[0][-1] == "Colleagues active in the spaces"
    assert [r[-1] for r in rows[1:]] == ["0", "3"]  # the lesson, the quiz: people, not posts


def test_the_people_page_lists_fifty_a_page_in_one_order_and_the_csv_everyone(app, client, admin, make_user):
    """120 learners: those never seen after everyone seen, then by name, 50 a page; the pager keeps
    the cohort chosen; a page past the end shows the last; the CSV has all of them."""
    from sqlalchemy import insert

    from lxp.accounts.models import UserRole
    from lxp.cohorts.models import cohort_members

    with committing(app):
        ids = list(db.session.execute(insert(User).returning(User.id), [
            {"organisation_id": admin.organisation_id, "email": f"l{n}@example.com", "display_name": f"Person {n:03d}",
             "timezone": "UTC", "active": True, "last_login_at": utcnow() - timedelta(days=1) if n % 2 else None}
            for n in range(120)]).scalars())  # fmt: skip
        db.session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
        cohort = Cohort(organisation_id=admin.organisation_id, name="Evens")
        db.session.add(cohort)
        db.session.flush()
        db.session.execute(insert(cohort_members), [{"cohort_id": cohort.id, "user_id": i} for i in ids[::2]])
        cohort_id = cohort.id

    def names(url: str) -> list[str]:
        html = client.get(url).get_data(as_text=True)
        return re.findall(r'<th scope="row">(Person \d{3})', html)

    # No path for anyone: never seen (the evens) first, then seen a day ago; by name in each.
    expected = [f"Person {n:03d}" for n in range(0, 120, 2)] + [f"Person {n:03d}" for n in range(1, 120, 2)]
    pages = [names(f"/insights/people?page={n}") for n in (1, 2, 3)]
    assert [len(page) for page in pages] == [50, 50, 20] and sum(pages, []) == expected
    first = client.get("/insights/people").get_data(as_text=True)
    assert "120 learners, 50 a page." in first and "Page 1 of 3" in first
    assert names("/insights/people?page=7") == pages[2]
    in_cohort = client.get(f"/insights/people?cohort={cohort_id}").get_data(as_text=True)
    assert f'href="/insights/people?page=2&amp;cohort={cohort_id}"' in in_cohort
    assert names(f"/insights/people?cohort={cohort_id}&page=2") == expected[50:60]
    rows = list(csv.reader(io.StringIO(client.get("/insights/people?format=csv").get_data(as_text=True))))
    assert len(rows) == 121
