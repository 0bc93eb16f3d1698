"""cmi5 course structure with nested blocks: a block is satisfied once all its AUs are, the
course once every AU is, each said by the LMS as cmi5 9.3.9 asks; an admin's waiver counts and
can be taken back (audited); the learner's preferences an AU writes are read at the next launch."""

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from lxp.events import LearningEvent
from lxp.extensions import db
from tests.integration.test_packages import _csrf, tmp_upload_dir  # noqa: F401
from tests.integration.test_packages_cmi5 import CATEGORY, SESSION, _auth, _session, _statement
from tests.package_builder import cmi5_blocks_zip

BLOCK_TYPE = "https://w3id.org/xapi/cmi5/activitytype/block"


@pytest.fixture
def course(app, client, make_user, tmp_upload_dir):  # noqa: F811
    from lxp.accounts.models import User
    from lxp.authoring import publishing, transfer
    from lxp.authoring.models import Competency, Goal
    from lxp.packages import services as packages
    from tests.conftest import PASSWORD, committing, sign_in
    from tests.integration.conftest import MINI, start_path

    author = make_user(("admin", "reviewer"), email="author@example.com")
    with committing(app):
        admin = db.session.get(User, author)
        version = transfer.import_document(admin, MINI)
        listening = db.session.execute(select(Competency)).scalar_one()
        units = packages.import_package(admin, version.modules[0], cmi5_blocks_zip(b"/* no client */"),
                                        assesses=[listening.id], minutes=3)  # fmt: skip
        goal = db.session.execute(select(Goal)).scalar_one()
        for n, unit in enumerate(units):  # each AU teaches something of its own, so the path has all three
            own = Competency(organisation_id=admin.organisation_id, code=f"calls-{n}", name=f"Calls {n}")
            db.session.add(own)
            unit.teaches = [own]
            goal.competencies.append(own)
        db.session.flush()
        publishing.submit_for_review(admin, version)
        publishing.approve(admin, version)
        refs = {u.content["unit"].rsplit("/", 1)[1]: f"{version.course_id}:{u.key}" for u in units}
        goal = goal.id
    make_user(("learner",), email="lena@example.com")
    sign_in(client, "lena@example.com", PASSWORD)
    start_path(client, {"goal": goal})
    return {"refs": refs, "course_id": version.course_id}


def _launch(client, ref) -> dict:
    play = client.post(f"/learn/{ref}/package", headers={"X-CSRFToken": _csrf(client)}).json["play"]
    return {"play": play, **{k: v[0] for k, v in parse_qs(urlsplit(play).query).items()}}


def _complete(client, launch) -> tuple[dict, str]:
    headers = _auth(client, launch)
    statements = urlsplit(launch["endpoint"]).path + "statements"
    session = _session(client, launch, headers)
    for verb in ("initialized", "completed"):
        assert client.post(statements, json=_statement(launch, session, verb), headers=headers).status_code == 200
    return headers, session


def _satisfied(app) -> list[tuple[str, str]]:
    with app.app_context():
        found = db.session.scalars(select(LearningEvent).where(LearningEvent.verb == "satisfied")
                                   .order_by(LearningEvent.recorded_at)).all()  # fmt: skip
        return [(e.object_type, (e.context["cmi5"]["grouping"] or [""])[0].rsplit("/", 1)[1]) for e in found]


def test_the_units_keep_their_blocks_and_the_player_names_them(client, course):
    page = client.get(f"/learn/{course['refs']['listening']}")
    assert page.status_code == 200
    trail = page.text.split('class="cmi5-blocks"', 1)[1].split("</nav>", 1)[0]
    assert trail.index("Part one") < trail.index("Warm-up")
    final = client.get(f"/learn/{course['refs']['final']}").text
    assert 'class="cmi5-blocks"' not in final  # outside any block
    path = client.get("/path").text
    assert "Part one · Warm-up" in path and "Part one" in path


def test_a_block_is_satisfied_when_its_aus_are_and_the_course_when_all_are(app, client, course):
    refs = course["refs"]
    launch = _launch(client, refs["listening"])
    headers, session = _complete(client, launch)
    # The listening AU fills the inner block alone; the outer one waits for the summary.
    assert _satisfied(app) == [("item", "listening"), ("cmi5_block", "warm-up")]
    kept = client.get(urlsplit(launch["endpoint"]).path + "statements", headers=headers).json["statements"]
    block = next(s for s in kept if "/cmi5_block/" in s["object"]["id"])
    assert block["object"]["definition"]["type"] == BLOCK_TYPE
    assert "warm-up" not in block["object"]["id"]  # lxp's own id, never the publisher's
    assert block["context"]["registration"] == launch["registration"]
    assert block["context"]["contextActivities"]["category"] == [CATEGORY]
    assert {"id": "https://lxp.example/blocks/warm-up"} in block["context"]["contextActivities"]["grouping"]
    assert {"id": "https://lxp.example/courses/calls"} in block["context"]["contextActivities"]["grouping"]
    assert block["context"]["extensions"][SESSION] == session
    _complete(client, _launch(client, refs["summary"]))
    assert _satisfied(app)[2:] == [("item", "summary"), ("cmi5_block", "part-one")]
    _complete(client, _launch(client, refs["final"]))
    assert _satisfied(app)[4:] == [("item", "final"), ("cmi5_course", "calls")]
    _launch(client, refs["final"])  # launched again: moveOn still met, nothing new to say
    assert len(_satisfied(app)) == 6


def test_a_waiver_satisfies_its_blocks_and_taking_it_back_voids_them_with_an_audited_reason(app, client, course):
    from lxp.accounts.models import User
    from lxp.audit.models import AuditEntry
    from lxp.paths import services as paths
    from tests.conftest import PASSWORD, sign_in, submit

    refs = course["refs"]
    _complete(client, _launch(client, refs["listening"]))
    admin = app.test_client()
    sign_in(admin, "author@example.com", PASSWORD)
    url = f"/admin/courses/{course['course_id']}/packages/waive"
    form = {"learner": "lena@example.com", "unit": refs["summary"], "reason": "Wrote the summary herself"}
    refused = submit(admin, url, {**form, "action": "unwaive"})
    assert refused.status_code == 400 and "not waived" in refused.text  # nothing to take back yet
    assert submit(admin, url, {**form, "action": "waive"}).status_code in (200, 302)
    assert _satisfied(app)[2:] == [("item", "summary"), ("cmi5_block", "part-one")]
    with app.app_context():
        waived = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == "waived"))
        waiver_session = waived.context["cmi5"]["session"]  # 9.6.1: outside a launch, a session of its own
        block = db.session.scalar(select(LearningEvent).where(LearningEvent.object_type == "cmi5_block")
                                  .order_by(LearningEvent.recorded_at.desc()))  # fmt: skip
        assert waiver_session and block.context["cmi5"]["session"] == waiver_session
    refused = submit(admin, url, {**form, "action": "unwaive", "reason": ""})
    assert refused.status_code == 400
    taken = submit(admin, url, {**form, "action": "unwaive", "reason": "Her summary was for another team"})
    assert taken.status_code in (200, 302)
    with app.app_context():
        voided = set(db.session.scalars(select(LearningEvent.object_id).where(LearningEvent.verb == "voided")))
        gone = db.session.scalars(
            select(LearningEvent).where(LearningEvent.id.in_([__import__("uuid").UUID(v) for v in voided]))
        ).all()
        assert sorted((e.verb, e.object_type) for e in gone) == [
            ("satisfied", "cmi5_block"), ("satisfied", "item"), ("waived", "item")]  # fmt: skip
        assert all(e.object_id != refs["listening"] for e in gone)  # the warm-up stays satisfied
        lena = db.session.scalar(select(User).where(User.email == "lena@example.com"))
        assert refs["summary"] not in paths.learner_state(lena.id).completed  # back on the path
        trail = db.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == str(lena.id))
                                   .order_by(AuditEntry.at)).all()  # fmt: skip
        assert [a for a in trail if a.startswith("package_unit")] == ["package_unit_waived", "package_unit_unwaived"]
    # Waived again: new statements, the block satisfied once more.
    assert submit(admin, url, {**form, "action": "waive", "reason": "Checked again"}).status_code in (200, 302)
    assert _satisfied(app)[-2:] == [("item", "summary"), ("cmi5_block", "part-one")]


def test_the_preferences_an_au_writes_are_read_at_the_next_launch(app, client, course):
    launch = _launch(client, course["refs"]["listening"])
    headers = _auth(client, launch)
    profile = urlsplit(launch["endpoint"]).path + "agents/profile"
    query = {"profileId": "cmi5LearnerPreferences", "agent": launch["actor"]}
    assert client.get(profile, headers=headers, query_string=query).json["audioPreference"] == "on"
    assert client.put(profile, headers=headers, query_string=query,
                      json={"languagePreference": "de-DE,en", "audioPreference": "off"}).status_code == 204  # fmt: skip
    for bad in ({"audioPreference": "loud"}, {"languagePreference": "<script>"}, {"colour": "red"}, []):
        refused = client.post(profile, headers=headers, query_string=query, json=bad)
        assert refused.status_code == 400 and refused.json["title"]
    other = client.put(profile, headers=headers, query_string={**query, "profileId": "mine"}, json={"a": 1})
    assert other.status_code == 403
    assert client.put(profile, query_string=query, json={"audioPreference": "on"}).status_code == 403  # no token
    # The next launch, of another AU, reads what was written; POST merges.
    again = _launch(client, course["refs"]["summary"])
    headers = _auth(client, again)
    profile = urlsplit(again["endpoint"]).path + "agents/profile"
    assert client.get(profile, headers=headers, query_string=query).json == {
        "languagePreference": "de-DE,en", "audioPreference": "off"}  # fmt: skip
    assert client.post(profile, headers=headers, query_string=query, json={"audioPreference": "on"}).status_code == 204
    assert client.get(profile, headers=headers, query_string=query).json == {
        "languagePreference": "de-DE,en", "audioPreference": "on"}  # fmt: skip
