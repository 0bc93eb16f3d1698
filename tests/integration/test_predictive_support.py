"""Predictive support end to end on a real database: training from stored history, flags with
reasons on the coach's desk, acting on them, the learner's switch, and the follow-through."""

import json
import re
import subprocess
import sys
from datetime import date, timedelta

from sqlalchemy import func, select

from lxp.accounts.models import Organisation, User
from lxp.coaching.models import CoachAssignment, CoachingThread
from lxp.core.time import utcnow
from lxp.events import record
from lxp.extensions import db
from lxp.nudges.models import TouchpointRule
from lxp.risk import history, population, services
from lxp.risk.models import RiskFlag, RiskModel, RiskOptOut
from tests.conftest import committing, csrf_from, sign_in, submit
from tests.integration.conftest import start_path
from tests.integration.served import ROOT
from tests.seeded_demo import seeded_demo


def _organisation():
    return db.session.execute(select(Organisation).where(Organisation.slug == "acme")).scalar_one()


def test_evaluate_trains_on_the_organisations_history_and_prints_model_against_baseline(app, organisation):
    with committing(app):
        history.store(_organisation().id, population.generate(160, seed=4, now=utcnow()))
    result = app.test_cli_runner().invoke(args=["lxp", "risk", "evaluate"])
    assert result.exit_code == 0, result.output
    assert "AUC (higher is better)" in result.output and "Brier score (lower is better)" in result.output
    assert "reliability" in result.output and "baseline" in result.output
    assert "it is used" in result.output or "it is not used" in result.output
    with committing(app):
        stored = db.session.execute(select(RiskModel)).scalar_one()
        assert stored.status in ("used", "not_better")
        assert set(stored.model) == {"features", "means", "scales", "coefficients", "intercept"}
        assert 0.5 < stored.evaluation["model"]["auc"] <= 1


def test_the_scheduler_trains_in_a_child_process_the_same_model_as_in_its_own(app, organisation, other_organisation):
    """The scheduler's app trains apart (``RISK_TRAIN_APART``: numpy and scikit-learn stay out of
    the long-lived process); what is stored is the same, and too little history reads the same."""
    now = utcnow()
    with committing(app):
        history.store(_organisation().id, population.generate(160, seed=4, now=now))
    trained, empty = {}, {}
    for apart in (False, True):
        app.config["RISK_TRAIN_APART"] = apart
        try:
            with committing(app):
                run, _evaluation = services.train(_organisation(), now)
                trained[apart] = (run.status, run.model, run.baseline, run.evaluation)
                run, _evaluation = services.train(db.session.get(Organisation, other_organisation), now)
                empty[apart] = (run.status, run.detail)
        finally:
            app.config["RISK_TRAIN_APART"] = False
    assert trained[True] == trained[False] and trained[True][0] in ("used", "not_better")
    assert empty[True] == empty[False] and empty[True][0] == "not_enough_history"


SCHEDULER_TRAINS = """
import json, sys
from scheduler_app import app
from lxp.accounts.models import Organisation
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.risk import history, population, services
with app.app_context():
    db.create_all()
    organisation = Organisation(slug="acme", name="Acme")
    db.session.add(organisation)
    db.session.flush()
    history.store(organisation.id, population.generate(160, seed=4, now=utcnow()))
    run, _evaluation = services.train(organisation)
    print(json.dumps({"status": run.status, "loaded": [m for m in ("numpy", "sklearn") if m in sys.modules]}))
"""


def test_the_scheduler_process_trains_without_loading_numpy_and_scikit_learn_itself(tmp_path):
    env = {"LXP_DATABASE_URL": f"sqlite:///{tmp_path / 'lxp.db'}", "LXP_INSTANCE_PATH": str(tmp_path),
           "LXP_SECRET_KEY": "x" * 40, "PATH": "/usr/bin:/bin"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", SCHEDULER_TRAINS], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300, check=True)  # fmt: skip
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"status": answer["status"], "loaded": []} and answer["status"] in ("used", "not_better")


def test_with_little_history_evaluate_says_so_and_the_rules_alone_apply(app, make_user):
    make_user(("learner",))
    result = app.test_cli_runner().invoke(args=["lxp", "risk", "evaluate"])
    assert result.exit_code == 0, result.output
    assert "not enough history" in result.output and "rules alone" in result.output
    with committing(app):
        assert db.session.execute(select(RiskModel.status)).scalar_one() == "not_enough_history"


def _quiet_learner_with_a_coach(app, published, make_user):
    """A learner on the example path, quiet for nine days after failing its check twice; their coach."""
    coach = make_user(("trainer",), email="coach@example.com", name="Carla Coach")
    learner = make_user(("learner",), email="lena@example.com", name="Lena Learner")
    client = app.test_client()
    sign_in(client, "lena@example.com")
    assert start_path(client, published).status_code == 302
    with committing(app):
        db.session.add(CoachAssignment(learner_id=learner, coach_id=coach))
        for days in (10, 9):
            record(actor_id=learner, verb="failed", object_type="item", object_id=published["quiz"],
                   occurred_at=utcnow() - timedelta(days=days), result={"success": False})  # fmt: skip
    return learner, coach, client


def test_a_coach_sees_a_quiet_learner_with_reasons_and_opens_a_message(app, published, make_user):
    learner, coach, _ = _quiet_learner_with_a_coach(app, published, make_user)
    with committing(app):
        raised = services.raise_flags(_organisation())
        assert [f.learner_id for f in raised] == [learner]
        assert raised[0].source == "rules"
    client = app.test_client()
    sign_in(client, "coach@example.com")
    desk = client.get("/desk").get_data(as_text=True)
    assert "Lena Learner" in desk
    assert "no activity for 9 days" in desk
    assert "2 failed checks on" in desk
    assert "%" not in desk.split('id="at-risk"')[1].split("</section>")[0]  # reasons, never a score
    flag_id = raised[0].id
    response = submit(client, f"/desk/at-risk/{flag_id}", {"action": "message"}, form_page="/desk")
    assert response.status_code == 302 and "#write" in response.headers["Location"]
    with committing(app):
        flag = db.session.get(RiskFlag, flag_id)
        assert flag.action == "message" and flag.acted_by_id == coach
        assert db.session.scalar(select(func.count()).select_from(CoachingThread)) == 1
    assert (
        "Lena Learner" not in client.get("/desk").get_data(as_text=True).split('id="at-risk"')[1].split("<details")[0]
    )


def test_a_learner_who_comes_back_shows_as_back_for_the_coach_who_acted(app, published, make_user):
    learner, coach, _ = _quiet_learner_with_a_coach(app, published, make_user)
    with committing(app):
        flag = services.raise_flags(_organisation())[0]
        services.act_on_flag(db.session.get(User, coach), flag.id, "offer_session")
        flag_id = flag.id
    with committing(app):
        record(actor_id=learner, verb="launched", object_type="item", object_id=published["lesson"])
        services.follow_up(_organisation().id, utcnow() + timedelta(minutes=1))
        assert db.session.get(RiskFlag, flag_id).came_back_at is not None
        figures = services.follow_through(_organisation().id)
        assert figures == {"acted": None, "not_acted": None, "held_out": None}  # one learner: fewer than five
    client = app.test_client()
    sign_in(client, "coach@example.com")
    assert "came back" in client.get("/desk").get_data(as_text=True)


def test_only_the_learners_coach_may_act_on_a_flag(app, published, make_user, other_organisation):
    _quiet_learner_with_a_coach(app, published, make_user)
    make_user(("trainer",), email="other-coach@example.com")
    make_user(("trainer",), email="elsewhere@example.com", organisation_id=other_organisation)
    with committing(app):
        flag_id = services.raise_flags(_organisation())[0].id
    for email in ("other-coach@example.com", "elsewhere@example.com"):
        client = app.test_client()
        sign_in(client, email)
        desk = client.get("/desk").get_data(as_text=True)
        assert "Lena Learner" not in desk
        token = csrf_from(desk)
        assert (
            client.post(f"/desk/at-risk/{flag_id}", data={"csrf_token": token, "action": "message"}).status_code == 404
        )
    learner_client = app.test_client()
    sign_in(learner_client, "lena@example.com")
    token = csrf_from(learner_client.get("/me").get_data(as_text=True))
    assert (
        learner_client.post(f"/desk/at-risk/{flag_id}", data={"csrf_token": token, "action": "message"}).status_code
        == 403
    )


def test_a_learner_turns_the_support_off_and_is_no_longer_flagged(app, published, make_user):
    learner, _, client = _quiet_learner_with_a_coach(app, published, make_user)
    with committing(app):
        services.raise_flags(_organisation())
    profile = client.get("/me").get_data(as_text=True)
    assert "Support when you may need it" in profile and "Turn it off" in profile
    response = submit(client, "/me/predictive-support", {"on": "0"}, form_page="/me")
    assert response.status_code == 302
    assert "Turn it on" in client.get("/me").get_data(as_text=True)
    with committing(app):
        assert db.session.get(RiskOptOut, learner) is not None
        assert history.learner_ids(_organisation().id) == []  # no features are computed for them
        assert db.session.scalar(select(func.count()).select_from(RiskFlag).where(RiskFlag.closed_at.is_(None))) == 0
        assert services.raise_flags(_organisation(), utcnow() + timedelta(days=8)) == []
    coach = app.test_client()
    sign_in(coach, "coach@example.com")
    assert "Lena Learner" not in coach.get("/desk").get_data(as_text=True)
    submit(client, "/me/predictive-support", {"on": "1"}, form_page="/me")
    with committing(app):
        assert db.session.get(RiskOptOut, learner) is None


def test_an_admin_reads_the_evaluation_and_the_follow_through(app, client, login_as):
    login_as("admin")
    page = client.get("/admin/predictive-support")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Not trained yet" in text and "fewer than 5 learners" in text


def test_an_admin_holds_out_a_share_of_flags_and_bad_input_is_refused(app, client, login_as, published, make_user):
    learner, _, _ = _quiet_learner_with_a_coach(app, published, make_user)
    login_as("admin")
    assert submit(client, "/admin/predictive-support", {"holdout_percent": "80"}).status_code == 400
    response = submit(client, "/admin/predictive-support", {"holdout_percent": "30"})
    assert response.status_code == 302
    assert 'value="30"' in client.get("/admin/predictive-support").get_data(as_text=True)
    # Every flag held out (as if the draw said so): the coach never sees it, and cannot act on it.
    submit(client, "/admin/predictive-support", {"holdout_percent": "30"})
    with committing(app):
        flag = services.raise_flags(_organisation())[0]
        flag.held_out = True
        flag_id = flag.id
    coach = app.test_client()
    sign_in(coach, "coach@example.com")
    desk = coach.get("/desk").get_data(as_text=True)
    assert "Lena Learner" not in desk.split('id="at-risk"')[1]
    token = csrf_from(desk)
    assert coach.post(f"/desk/at-risk/{flag_id}", data={"csrf_token": token, "action": "message"}).status_code == 404
    with committing(app):
        assert db.session.get(RiskFlag, flag_id).learner_id == learner


def test_on_the_demo_evaluate_shows_the_model_against_the_baseline_and_a_coach_has_a_flagged_learner(app, smtp_server):
    seeded_demo(app, smtp_server)  # ``flask lxp seed-demo`` on an empty database
    result = app.test_cli_runner().invoke(args=["lxp", "risk", "evaluate", "--organisation", "northwind"])
    assert result.exit_code == 0, result.output
    assert "not enough history" not in result.output
    assert "AUC (higher is better)" in result.output and "Brier score (lower is better)" in result.output
    # On a later period, held out from training: its cut-offs lie in the last weeks before today.
    held = re.search(r"held out: cut-offs (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", result.output)
    assert held, result.output
    assert utcnow().date() - timedelta(weeks=12) < date.fromisoformat(held[1]) <= date.fromisoformat(held[2])
    assert re.search(r"AUC \(higher is better\)\s+0\.\d{3}\s+0\.\d{3}", result.output)
    client = app.test_client()
    sign_in(client, "trainer.newyork@northwind.example", "learn-together-2026")
    desk = client.get("/desk").get_data(as_text=True).split('id="at-risk"')[1].split("</section>")[0]
    assert "Aarav Sharma" in desk and "failed checks on" in desk
    admin = app.test_client()
    sign_in(admin, "admin@northwind.example", "learn-together-2026")
    flagged = admin.get("/admin/predictive-support/flags").get_data(as_text=True)
    assert "Aarav Sharma" in flagged and "Coach: " in flagged and "failed checks on" in flagged
    effect = admin.get("/admin/touchpoints/effect").get_data(as_text=True)
    assert "When your learners learn" in effect and "Busiest hours of the week" in effect
    with committing(app):
        rule = db.session.execute(select(TouchpointRule).where(TouchpointRule.adaptive_time.is_(True))).scalar_one()
        assert rule.key == "inactive"


def test_the_learners_download_shows_their_flags_and_erasure_deletes_them(app, published, make_user):
    from tests.conftest import submit as post
    from tests.integration.privacy_fixtures import read_zip

    learner, _, client = _quiet_learner_with_a_coach(app, published, make_user)
    with committing(app):
        services.raise_flags(_organisation())
    data, _files = read_zip(post(client, "/me/data/download", {}, form_page="/me/data").data)
    assert data["predictive_support"]["on"] is True
    assert [f["reasons"][0]["code"] for f in data["predictive_support"]["flags"]] == ["quiet"]
    with committing(app):
        from lxp.privacy import erasure

        erasure.erase(db.session.get(User, learner), actor_id=None, reason="test")
    with committing(app):
        assert db.session.scalar(select(func.count()).select_from(RiskFlag)) == 0
