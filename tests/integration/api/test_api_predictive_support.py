"""Predictive support over the API: an admin's list of the organisation's learners who may need
support and a coach's list of their own, each with the reasons in words (never a score), the
coach, and what can be offered; reaching out through the API is told to the learner and
recorded, exactly as on the pages; bad input is a 400 problem that changes nothing, and nobody
reaches a learner who is not theirs to reach."""

from datetime import timedelta

from sqlalchemy import func, select

from lxp.channels.in_app import InAppMessage
from lxp.coaching.models import CoachingMessage
from lxp.core.time import utcnow
from lxp.events import record
from lxp.extensions import db
from lxp.paths.models import Journey
from lxp.risk import services
from lxp.risk.models import RiskFlag
from tests.conftest import committing, sign_in
from tests.integration.api.conftest import PROBLEM, ApiClient, make_token
from tests.integration.test_live_fixtures import live_course_fixture, schedule, soon, start_path, trainer_fixture  # noqa: F401  (fixtures)
from tests.integration.test_predictive_support import _quiet_learner_with_a_coach
from tests.integration.test_risk_admin_flags import _flag, _message, _organisation

FLAGS = "/api/v1/admin/predictive-support/flags"
DESK = "/api/v1/trainer/at-risk"


def _acted(app, flag_id: int):
    with committing(app):
        flag = db.session.get(RiskFlag, flag_id)
        return flag.action, flag.acted_by_id


def test_an_admin_reads_the_flags_in_words_and_writes_to_the_learner(app, published, make_user, api_as):
    learner, coach, _ = _quiet_learner_with_a_coach(app, published, make_user)
    flag_id = _flag(app)
    admin = api_as("admin", scopes=("read", "write", "admin"), name="Ada Admin")
    response = admin.get(FLAGS)
    assert response.status_code == 200
    [flag] = response.json
    assert flag["id"] == flag_id and flag["learner"] == {"id": learner, "display_name": "Lena Learner"}
    assert flag["coach"] == {"id": coach, "display_name": "Carla Coach"}
    texts = [r["text"] for r in flag["reasons"]]
    assert any("no activity for 9 days" in t for t in texts) and any("2 failed checks on" in t for t in texts)
    assert {r["code"] for r in flag["reasons"]} >= {"quiet", "failed_checks"}
    assert flag["suggested_action"] in ("message", "offer_session", "simplify_plan")
    assert not {"score", "probability", "risk"} & set(flag)  # reasons, never a score
    german = admin.get(FLAGS, headers={"Accept-Language": "de"}).json[0]["reasons"]
    assert german[0]["code"] == flag["reasons"][0]["code"] and german[0]["text"] != flag["reasons"][0]["text"]

    sent = admin.post(f"{FLAGS}/{flag_id}/actions", json={"action": "message", "body": "Shall we find a quieter week?"})
    assert sent.status_code == 200 and sent.json["action"] == "message" and sent.json["acted_at"]
    assert _acted(app, flag_id) == ("message", admin.user_id)
    lena = app.test_client()
    sign_in(lena, "lena@example.com")
    assert "Shall we find a quieter week?" in _message(app, lena, "risk-message:%")
    assert admin.get(FLAGS).json == []  # acted on: off the admin's list and the coach's
    carla = ApiClient(app, make_token(app, coach), coach)
    assert carla.get(DESK).json == []


def test_a_bad_message_or_action_is_a_problem_and_changes_nothing(app, published, make_user, api_as):
    _quiet_learner_with_a_coach(app, published, make_user)
    flag_id = _flag(app)
    admin = api_as("admin", scopes=("read", "write", "admin"))
    for body, status, says in (("   ", 400, "Write a message first."),
                               ("x" * 2001, 422, "Longer than maximum length 2000.")):  # fmt: skip
        response = admin.post(f"{FLAGS}/{flag_id}/actions", json={"action": "message", "body": body})
        assert response.status_code == status and response.content_type == PROBLEM
        assert says in response.get_data(as_text=True)
    response = admin.post(f"{FLAGS}/{flag_id}/actions", json={"action": "shout"})
    assert response.status_code == 422 and response.content_type == PROBLEM
    response = admin.post(f"{FLAGS}/{flag_id}/actions", json={"action": "offer_session", "session_id": 999999})
    assert response.status_code == 400 and "Choose one of the upcoming sessions" in response.get_data(as_text=True)
    assert admin.post(f"{FLAGS}/999999/actions", json={"action": "simplify_plan"}).status_code == 404
    assert _acted(app, flag_id) == (None, None)
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(InAppMessage)
                                 .where(InAppMessage.key.like("risk-%"))) == 0  # fmt: skip
    assert [f["id"] for f in admin.get(FLAGS).json] == [flag_id]


def test_nobody_else_reads_or_acts_on_the_flags(app, published, make_user, api_as, other_organisation):
    learner, coach, _ = _quiet_learner_with_a_coach(app, published, make_user)
    flag_id = _flag(app)
    elsewhere = api_as("admin", scopes=("read", "write", "admin"), organisation_id=other_organisation)
    assert elsewhere.get(FLAGS).json == []
    assert elsewhere.post(f"{FLAGS}/{flag_id}/actions", json={"action": "simplify_plan"}).status_code == 404
    without_admin_scope = api_as("admin", scopes=("read", "write"))
    assert without_admin_scope.get(FLAGS).status_code == 403
    other_trainer = api_as("trainer")
    assert other_trainer.get(DESK).json == []
    assert other_trainer.post(f"{DESK}/{flag_id}/actions", json={"action": "message", "body": "Hi"}).status_code == 404
    for person in (ApiClient(app, make_token(app, coach), coach), ApiClient(app, make_token(app, learner), learner)):
        assert person.get(FLAGS).status_code == 403
        assert person.post(f"{FLAGS}/{flag_id}/actions", json={"action": "simplify_plan"}).status_code == 403
    assert ApiClient(app, make_token(app, learner), learner).get(DESK).status_code == 403
    assert _acted(app, flag_id) == (None, None)


def test_a_coach_writes_to_their_learner_in_their_conversation(app, published, make_user):
    learner, coach, _ = _quiet_learner_with_a_coach(app, published, make_user)
    flag_id = _flag(app)
    carla = ApiClient(app, make_token(app, coach), coach)
    [flag] = carla.get(DESK).json
    assert flag["learner"]["id"] == learner and flag["coach"] is None  # the coach's own list: they coach them
    assert any("no activity for 9 days" in r["text"] for r in flag["reasons"])
    empty = carla.post(f"{DESK}/{flag_id}/actions", json={"action": "message", "body": " "})
    assert empty.status_code == 400 and empty.content_type == PROBLEM
    assert _acted(app, flag_id) == (None, None)
    sent = carla.post(f"{DESK}/{flag_id}/actions", json={"action": "message", "body": "How is the week going?"})
    assert sent.status_code == 200 and sent.json["thread_id"]
    assert _acted(app, flag_id) == ("message", coach)
    with committing(app):
        [written] = db.session.execute(select(CoachingMessage).where(CoachingMessage.thread_id == sent.json["thread_id"])
                                       ).scalars().all()  # fmt: skip
        assert (written.author_id, written.body) == (coach, "How is the week going?")
    assert carla.get(DESK).json == []


def test_an_admin_offers_a_session_and_a_lighter_plan_through_the_api(app, make_user, live_course, trainer, api_as):  # noqa: F811
    people = {}
    for email, name in (("lena@example.com", "Lena Learner"), ("max@example.com", "Max Learner")):
        people[email] = make_user(("learner",), email=email, name=name)
        client = app.test_client()
        sign_in(client, email)
        start_path(client, live_course)
        with committing(app):
            record(actor_id=people[email], verb="launched", object_type="item", object_id=live_course["alt"],
                   occurred_at=utcnow() - timedelta(days=12))  # fmt: skip
    with committing(app):
        services.raise_flags(_organisation())
    [session_id] = schedule(app, trainer, live_course["live"], soon(days=5))
    admin = api_as("admin", scopes=("read", "write", "admin"))
    rows = {row["learner"]["display_name"]: row for row in admin.get(FLAGS).json}
    lena, max_ = rows["Lena Learner"], rows["Max Learner"]
    assert [s["id"] for s in lena["sessions"]] == [session_id] and lena["coach"] is None
    before = max_["weekly_minutes"]
    assert before["lighter"] < before["now"]
    offered = admin.post(f"{FLAGS}/{lena['id']}/actions", json={"action": "offer_session", "session_id": session_id})
    assert offered.status_code == 200 and offered.json["action"] == "offer_session"
    lighter = admin.post(f"{FLAGS}/{max_['id']}/actions", json={"action": "simplify_plan"})
    assert lighter.status_code == 200
    with committing(app):
        assert db.session.get(RiskFlag, lena["id"]).offered_session_id == session_id
        now = db.session.execute(select(Journey.weekly_minutes).where(Journey.learner_id == people["max@example.com"])
                                 ).scalar_one()  # fmt: skip
        assert now == before["lighter"]
