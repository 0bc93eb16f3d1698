"""Today and the path page cost few statements, write nothing on GET, and answer 304 when the
learner's copy is current; cached course versions never hide a newly published one; a learner's
pages read as much with many colleagues as with few."""

import json
import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, func, insert, select, text

from lxp import demo
from lxp.accounts.models import User, UserRole
from lxp.assignments import services as assignments
from lxp.authoring import publishing, transfer
from lxp.authoring.models import Competency, Goal
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.time import utcnow
from lxp.demo.assignments import MANAGER, seed_assignments
from lxp.demo.coaching import seed_coaching
from lxp.demo.journeys import seed_journeys
from lxp.demo.live import seed_live_sessions
from lxp.demo.social import seed_social
from lxp.demo.workplace import seed_workplace
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.managers import services as managers
from lxp.paths import services as paths
from lxp.paths.models import Journey, JourneyCourse
from tests.conftest import committing, csrf_from, sign_in, statements_sent, submit
from tests.integration.conftest import MINI, start_path

MARCUS = "marcus.johnson@northwind.example"


@pytest.fixture
def demo_world(app):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        seed_journeys()
        seed_coaching()
        seed_live_sessions()
        seed_workplace()
        seed_social()  # the English cohort's space with this week's question
        seed_assignments()  # the Berlin newcomers' assigned onboarding and their manager
        _assign_marcus()
        db.session.commit()


def _assign_marcus():
    """Marcus (the English cohort, the course with the SCORM drill) also gets assigned work and a
    line manager, so one learner has everything Today and the path page read."""
    people = {u.email: u for u in db.session.scalars(select(User))}
    admin, marcus = people["admin@northwind.example"], people[MARCUS]
    goal = db.session.scalar(select(Goal).where(Goal.slug == "keep-customers"))
    assignments.create_assignment(admin, assignments.AssignmentInput(
        goal_id=goal.id, package_id=None, reason="Every desk learns to keep customers.", audience="people",
        people=(marcus.id,), due_within_days=30,
    ))  # fmt: skip
    managers.set_line(marcus, people[MANAGER], by=admin)
    assignments.refresh_path(marcus)


def _engine(app):
    with committing(app):
        return db.engine


# Marcus has assigned work, a manager, the cohort's weekly question, the SCORM drill on his path;
# Sofía answered the weekly question; Jana (German, translated competencies) is assigned
# onboarding with a manager; Anna reads Russian names; Claire paused.
@pytest.mark.parametrize("email", [MARCUS, "sofia.garcia@northwind.example", "jana.koch@northwind.example",
                                   "kenji.watanabe@northwind.example", "anna.ivanova@northwind.example",
                                   "claire.dubois@northwind.example"])  # fmt: skip
def test_a_demo_learners_path_and_today_take_few_statements_and_write_nothing(app, client, demo_world, email):
    sign_in(client, email, demo.DEMO_PASSWORD)
    for page in ("/path", "/today"):
        client.get(page)  # the first visit of this process fills its caches
    costs, shown = {}, {}
    for page, most in (("/path", 7), ("/today", 8)):
        with statements_sent(app) as seen:
            response = client.get(page)
        assert response.status_code == 200
        writes = [s for s in seen if not s.lstrip().upper().startswith("SELECT")]
        assert writes == [], f"GET {page} wrote: {writes}"
        assert "Set-Cookie" not in response.headers  # nothing changed in the session
        costs[page], shown[page] = (len(seen), most, seen), response.get_data(as_text=True)
    for page, (count, most, seen) in costs.items():
        assert count <= most, f"GET {page} took {count} statements:\n" + "\n".join(seen)
    if email == MARCUS:  # the budget holds with everything on the pages
        assert "data-assigned" in shown["/path"] and "Katrin Vogel" in shown["/path"]
        assert 'id="weekly-question"' in shown["/today"]


def test_same_etag_gets_304_and_a_completion_gets_a_new_page(app, client, login_as, published):
    learner = login_as("learner")
    start_path(client, published)
    client.get("/today")  # shows the flashed "your path is ready" once
    for page in ("/today", "/path"):
        first = client.get(page)
        tag = first.headers["ETag"]
        assert first.status_code == 200 and "no-cache" in first.headers["Cache-Control"]
        again = client.get(page, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.get_data() == b""
    tags = {page: client.get(page).headers["ETag"] for page in ("/today", "/path")}
    lesson_page = client.get(f"/learn/{published['lesson']}").get_data(as_text=True)
    event_id = re.search(r'name="event_id" type="hidden" value="([^"]+)"', lesson_page).group(1)
    done = client.post(f"/learn/{published['lesson']}",
                       data={"csrf_token": csrf_from(lesson_page), "event_id": event_id, "started_at": "0"})  # fmt: skip
    assert done.status_code == 302
    with committing(app):
        completed = db.session.scalar(select(func.count()).select_from(LearningEvent)
                                      .where(LearningEvent.actor_id == learner.id, LearningEvent.verb == "completed"))  # fmt: skip
    assert completed == 1
    for page, tag in tags.items():
        fresh = client.get(page, headers={"If-None-Match": tag})
        assert fresh.status_code == 200 and fresh.headers["ETag"] != tag and fresh.get_data()


def test_the_etag_differs_by_person_and_by_locale(app, client, login_as, make_user, published):
    learner = login_as("learner")
    start_path(client, published)
    client.get("/today")
    mine = client.get("/today").headers["ETag"]
    other = app.test_client()
    make_user(("learner",), email="twin@example.com")
    sign_in(other, "twin@example.com")
    start_path(other, published)
    other.get("/today")
    theirs = other.get("/today", headers={"If-None-Match": mine})
    assert theirs.status_code == 200 and theirs.headers["ETag"] != mine  # the same plan, another person
    with committing(app):
        db.session.get(User, learner.id).locale = "de"
        db.session.commit()
    german = client.get("/today", headers={"If-None-Match": mine})
    assert german.status_code == 200 and german.headers["ETag"] != mine and "Heute" in german.get_data(as_text=True)


def test_a_newly_published_version_shows_although_the_old_one_is_cached(app, client, login_as, make_user, published):
    login_as("learner")
    start_path(client, published)
    assert "What active listening sounds like" in client.get("/path").get_data(as_text=True)  # cached now
    document = json.loads(MINI)
    for module in document["course"]["modules"]:
        for item in module["items"]:
            if item["key"] == "listen-lesson":
                item["title"] = "Listening, the second edition"
    with committing(app):
        admin = db.session.execute(select(User).where(User.email == "author@example.com")).scalar_one()
        version = transfer.import_document(admin, json.dumps(document))
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
    newcomer = app.test_client()
    make_user(("learner",), email="newcomer@example.com")
    sign_in(newcomer, "newcomer@example.com")
    start_path(newcomer, published)
    assert "Listening, the second edition" in newcomer.get("/path").get_data(as_text=True)
    # Whoever started on the first version keeps it.
    kept = client.get("/path").get_data(as_text=True)
    assert "What active listening sounds like" in kept and "second edition" not in kept


def test_the_session_cookie_is_sent_when_the_idle_clock_moves_not_on_every_page(app, make_user):
    make_user(email="quiet@example.com")
    client = app.test_client()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        sign_in(client, "quiet@example.com")
        client.get("/today")  # the first page adds the session's CSRF secret: a change, so it is sent
        traveller.shift(timedelta(seconds=30))
        assert "Set-Cookie" not in client.get("/today").headers  # signed half a minute ago: left alone
        traveller.shift(timedelta(minutes=100))
        assert "session=" in client.get("/today").headers["Set-Cookie"]  # the idle clock moves on
        traveller.shift(timedelta(seconds=30))
        assert "Set-Cookie" not in client.get("/today").headers
        traveller.shift(timedelta(minutes=119))  # 119.5 minutes after the cookie was last signed
        assert client.get("/today").status_code == 200
        traveller.shift(timedelta(minutes=121))
        assert client.get("/today").headers["Location"].startswith("/login")


def test_a_renamed_competency_shows_on_the_next_page_although_names_are_cached(app, client, make_user, published):
    make_user(("learner",), email="lernende@example.com", locale="de")
    sign_in(client, "lernende@example.com")
    start_path(client, published)
    first = client.get("/path")
    assert "Active listening" in first.get_data(as_text=True)  # no German name yet; now cached
    with statements_sent(app) as seen:
        client.get("/path")
    assert not [s for s in seen if "FROM competencies" in s]  # the names came from the cache

    make_user(("admin",), email="admin@example.com")
    admin = app.test_client()
    sign_in(admin, "admin@example.com")
    with committing(app):
        competency = db.session.execute(select(Competency)).scalar_one()
    saved = submit(admin, f"/admin/competencies/{competency.id}", {
        "name": "Active listening", "description": "", "name_de": "Aktives Zuhören", "description_de": ""})  # fmt: skip
    assert saved.status_code == 302

    again = client.get("/path", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "Aktives Zuhören" in again.get_data(as_text=True)


def test_a_step_its_completion_and_its_pulse_take_few_statements(app, client, demo_world):
    """The block player's requests, those a learner makes most: the step's page and its pulse
    write nothing; marking the step done records it and replans, in a few statements each."""
    sign_in(client, MARCUS, demo.DEMO_PASSWORD)
    ref = re.search(r'href="/learn/([^"#]+)"', client.get("/path").get_data(as_text=True)).group(1)
    token = csrf_from(client.get("/today").get_data(as_text=True))
    for url, most in ((f"/learn/{ref}", 6), (f"/learn/{ref}/pulse", 2)):
        client.get(url)  # the first visit of this process fills its caches
        with statements_sent(app) as seen:
            assert client.get(url).status_code == 200
        assert [s for s in seen if not s.lstrip().upper().startswith("SELECT")] == [], f"GET {url} wrote"
        assert len(seen) <= most, f"GET {url} took {len(seen)} statements:\n" + "\n".join(seen)
    body = {"event_id": str(uuid.uuid4()), "seconds": 60, "fields": {}}
    with statements_sent(app) as seen:
        done = client.post(f"/learn/{ref}/done", json=body, headers={"X-CSRFToken": token, "X-LXP-Replay": "1"})
    assert done.status_code == 200
    assert len(seen) <= 15, f"marking a step done took {len(seen)} statements:\n" + "\n".join(seen)
    # Marcus's assigned work is read once: for the planner, and again to complete what it finished
    assert sum("FROM assigned_work" in s for s in seen) == 1, "\n".join(seen)
    with committing(app):
        marcus = db.session.execute(select(User).where(User.email == MARCUS)).scalar_one()
        journey = paths.open_journey(marcus)
        done_refs = {step["ref"] for step in journey.plan["steps"] if step["done"]}
    assert ref in done_refs  # recorded, and the stored plan says so


def test_replanning_reads_goals_and_packages_as_the_loaded_journey_has_them(app, demo_world):
    """``planner_goals`` and ``planner_package`` read a journey's goals and package with one
    statement each when it has not loaded them, and from the loaded journey otherwise: for every
    demo journey both ways give the planner the same input."""
    from lxp.paths import services as paths_services
    from lxp.paths.models import Journey

    with committing(app):
        ids = db.session.execute(select(Journey.id)).scalars().all()
        assert ids
        for journey_id in ids:
            db.session.expunge_all()
            unloaded = db.session.get(Journey, journey_id)
            read = (paths_services.planner_goals(unloaded), paths_services.planner_package(unloaded))
            db.session.expunge_all()
            loaded = db.session.get(Journey, journey_id)
            loaded.goals, loaded.package  # noqa: B018  (load them, as the path page does)
            assert (paths_services.planner_goals(loaded), paths_services.planner_package(loaded)) == read


def _pages_read(client, engine, urls) -> dict[tuple[str, int], tuple[int, str]]:
    """GET each url; for each SELECT it sent, the pages PostgreSQL read running it (shared
    buffers hit or read, from ``EXPLAIN (ANALYZE, BUFFERS)`` on the same connection just before
    it ran), keyed by (url, its position among the url's statements)."""
    read, url_now = {}, [None]

    def explain(_conn, cursor, statement, parameters, _context, _executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
            top = cursor.fetchone()[0][0]["Plan"]
            position = sum(url == url_now[0] for url, _ in read)
            read[(url_now[0], position)] = (
                top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0),
                statement,
            )

    event.listen(engine, "before_cursor_execute", explain)
    try:
        for url in urls:
            url_now[0] = url
            assert client.get(url).status_code == 200, url
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    return read


def _colleagues(marcus: User, how_many: int) -> None:
    """``how_many`` more learners on Marcus's courses and in his cohorts, in bulk."""
    organisation = marcus.organisation_id
    ids = db.session.scalars(insert(User).returning(User.id), [
        {"organisation_id": organisation, "email": f"colleague{n}@northwind.example", "display_name": f"Colleague {n}",
         "password_hash": "!", "timezone": "Europe/Berlin", "active": True, "auth_version": 1}
        for n in range(how_many)
    ]).all()  # fmt: skip
    db.session.execute(insert(UserRole), [{"user_id": i, "role": "learner"} for i in ids])
    journeys = db.session.scalars(insert(Journey).returning(Journey.id), [
        {"learner_id": i, "status": "active", "start_date": utcnow().date(), "weekly_minutes": 60,
         "modalities": ["self_paced"]} for i in ids
    ]).all()  # fmt: skip
    courses = db.session.execute(select(JourneyCourse.course_id, JourneyCourse.version_id)
                                 .join(Journey).where(Journey.learner_id == marcus.id)).all()  # fmt: skip
    assert courses
    db.session.execute(insert(JourneyCourse), [{"journey_id": j, "course_id": c, "version_id": v}
                                               for j in journeys for c, v in courses])  # fmt: skip
    cohorts = db.session.scalars(
        select(Cohort.id).join(cohort_members).where(cohort_members.c.user_id == marcus.id)
    ).all()
    assert cohorts
    db.session.execute(insert(cohort_members), [{"cohort_id": c, "user_id": i} for c in cohorts for i in ids])


def test_without_statistics_a_learners_pages_read_as_little_with_many_colleagues_as_with_few(app, client, demo_world):
    """A learner's pages (Today, the path, a step, the spaces, the inbox...) read the learner's
    own rows, not their colleagues': with 3,000 more learners on Marcus's courses and in his
    cohort, and no table statistics (a bulk import nobody ANALYZEd yet), no statement reads
    more than a few more pages than before (an index a level deeper). Today's "courses on my
    path" once read every journey of every course: 29,000 pages (14 ms) a visit at 10,000
    learners (``statements.among``)."""
    with committing(app):
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL: the plans are PostgreSQL's")
    sign_in(client, MARCUS, demo.DEMO_PASSWORD)
    ref = re.search(r'href="/learn/([^"#]+)"', client.get("/path").get_data(as_text=True)).group(1)
    spaces = client.get("/spaces").get_data(as_text=True)
    cohort_space, course_space = (
        re.search(rf'href="(/spaces/{kind}\d+)"', spaces).group(1) for kind in ("", "courses/")
    )
    urls = ("/today", "/path", f"/learn/{ref}", f"/learn/{ref}/pulse", "/spaces", cohort_space, course_space,
            "/inbox", "/help", "/credentials", "/me", "/job-aids", "/calendar", "/profile/notifications")  # fmt: skip
    for url in urls:
        client.get(url)  # the first visit of this process fills its caches
    engine = _engine(app)
    with committing(app):  # inside the test's transaction, rolled back at its end
        db.session.execute(text("DELETE FROM pg_statistic WHERE starelid IN "
                                "(SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)"))  # fmt: skip
    few = _pages_read(client, engine, urls)
    with committing(app):
        _colleagues(db.session.scalar(select(User).where(User.email == MARCUS)), 3000)
    many = _pages_read(client, engine, urls)
    assert few.keys() == many.keys() and len(few) >= 15
    for key, (before, statement) in few.items():
        after, same = many[key]
        assert same == statement, key
        # An index a level deeper costs a page more for each row looked up through it.
        assert after <= before * 1.5 + 5, (
            f"{key}: {before} pages with few colleagues, {after} with 3,000 more:\n{statement}"
        )
