"""Course import and export: validation with paths, all-or-nothing, byte-stable round trips."""

import copy
import json
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.authoring import services, transfer
from lxp.authoring.format_doc import json_schema
from lxp.authoring.models import AuthoringChange, Competency, Course, Goal, Item
from lxp.extensions import db

ROOT = Path(__file__).resolve().parents[2]
MINI = json.loads((ROOT / "tests/data/mini-course.json").read_text())


@pytest.fixture
def admin(ctx, make_user):
    return db.session.get(User, make_user(("admin",), email="author@example.com"))


def _counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Course, Item, Competency, Goal, AuthoringChange)}  # fmt: skip


def test_import_stores_the_whole_course_as_a_draft(admin):
    version = transfer.import_document(admin, json.dumps(MINI))
    assert (version.status, version.number, version.title) == ("draft", 1, "Listening so customers feel heard")
    lesson, quiz = version.modules[0].items
    assert quiz.prerequisites == [lesson] and [c.code for c in quiz.assesses] == ["active-listening"]
    goal = db.session.execute(select(Goal)).scalar_one()
    assert [(e.item_key, e.mandatory) for e in goal.packages[0].entries] == [
        ("listen-lesson", True),
        ("listen-check", True),
    ]


def test_export_import_export_is_byte_for_byte_stable(admin, make_user, other_organisation):
    version = transfer.import_document(admin, json.dumps(MINI))
    first = transfer.export_document(version.course)
    transfer.import_document(admin, first)  # replaces the draft in place
    second = transfer.export_document(services.find_course(admin.organisation_id, "listening-basics"))
    assert second == first
    # ...and into another organisation, where nothing exists yet.
    other_admin = db.session.get(
        User, make_user(("admin",), email="else@example.com", organisation_id=other_organisation)
    )
    elsewhere = transfer.import_document(other_admin, first)
    assert transfer.export_document(elsewhere.course) == first


def test_a_document_with_three_errors_reports_all_three_and_writes_nothing(admin):
    broken = copy.deepcopy(MINI)
    items = broken["course"]["modules"][0]["items"]
    items[0]["minutes"] = 0
    items[1]["content"]["questions"][0]["options"][0]["correct"] = False
    items[1]["prerequisites"] = ["no-such-item"]
    before = _counts()
    with pytest.raises(transfer.DocumentRejected) as rejected:
        transfer.import_document(admin, json.dumps(broken))
    paths = {error.path: error.message for error in rejected.value.errors}
    assert set(paths) == {
        "$.course.modules[0].items[0].minutes",
        "$.course.modules[0].items[1].content.questions[0].options",
        "$.course.modules[0].items[1].prerequisites[0]",
    }
    assert "Mark at least one option as correct." in paths["$.course.modules[0].items[1].content.questions[0].options"]
    db.session.rollback()
    assert _counts() == before


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.update(format="something-else"), "$.format"),
        (lambda d: d["course"].update(colour="red"), "$.course.colour"),
        (
            lambda d: d["course"]["outcomes"][0]["competencies"].append("juggling"),
            "$.course.outcomes[0].competencies[1]",
        ),
        (
            lambda d: d["course"]["modules"][0]["items"][1].update(key="listen-lesson"),
            "$.course.modules[0].items[1].key",
        ),
        (
            lambda d: d["goals"][0]["packages"][0]["items"][0].update(item="ghost"),
            "$.goals[0].packages[0].items[0].item",
        ),
        (lambda d: d["goals"][0]["courses"].append("unknown-course"), "$.goals[0].courses[1]"),
    ],
)
def test_each_kind_of_mistake_is_named_by_its_path(admin, mutate, path):
    broken = copy.deepcopy(MINI)
    mutate(broken)
    with pytest.raises(transfer.DocumentRejected) as rejected:
        transfer.import_document(admin, json.dumps(broken))
    assert path in {error.path for error in rejected.value.errors}


def test_not_json_at_all_is_refused_with_its_position(admin):
    with pytest.raises(transfer.DocumentRejected) as rejected:
        transfer.import_document(admin, b'{"format": "lxp-course",\n  oops}')
    assert rejected.value.errors[0].message == "This is not a JSON document (line 2, column 3)."


def test_importing_over_a_published_course_makes_a_new_draft(admin, make_user):
    from lxp.authoring import publishing

    version = transfer.import_document(admin, json.dumps(MINI))
    reviewer = db.session.get(User, make_user(("admin",), email="reviewer@example.com"))
    publishing.submit_for_review(admin, version)
    publishing.approve(reviewer, version)
    changed = copy.deepcopy(MINI)
    changed["course"]["title"] = "Listening, revised"
    draft = transfer.import_document(admin, json.dumps(changed))
    assert draft.number == 2 and draft.status == "draft"
    assert services.current_published(draft.course).title == "Listening so customers feel heard"


def test_cli_exports_imports_and_lists(app, admin, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(MINI))
    result = runner.invoke(args=["lxp", "course", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 'listening-basics' as version 1 (draft)" in result.output
    listing = runner.invoke(args=["lxp", "course", "list"])
    assert "listening-basics" in listing.output and "draft" in listing.output
    exported = runner.invoke(args=["lxp", "course", "export", "listening-basics"])
    assert json.loads(exported.output)["course"]["slug"] == "listening-basics"


def test_cli_import_of_a_bad_document_fails_listing_the_errors(app, admin, tmp_path):
    broken = copy.deepcopy(MINI)
    broken["course"]["modules"][0]["items"][0]["kind"] = "podcast"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = app.test_cli_runner().invoke(args=["lxp", "course", "import", str(path)])
    assert result.exit_code != 0
    assert "$.course.modules[0].items[0].kind: Must be one of" in result.output
    assert "import refused: 1 error(s), nothing was written" in result.output
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_documented_json_schema_matches_the_importer():
    documented = json.loads((ROOT / "docs/course-format.schema.json").read_text())
    assert documented == json_schema(), (
        "regenerate with: flask --app lxp lxp course schema > docs/course-format.schema.json"
    )


def test_the_example_document_is_valid_against_the_documented_schema():
    jsonschema.validate(MINI, json_schema())
    broken = copy.deepcopy(MINI)
    broken["course"]["modules"][0]["items"][1]["content"]["questions"][0]["options"] = "none"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, json_schema())


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["goals"][0]["packages"].append(dict(d["goals"][0]["packages"][0])), "$.goals[0].packages[1].slug"),
        (lambda d: d["course"]["how"].update(modality_mix={"self_paced": 70, "live": 70}), "$.course.how.modality_mix"),
        (
            lambda d: d["course"]["modules"][0]["items"][1].update(assesses=[]),
            "$.course.modules[0].items[1].content.questions[0].competency",
        ),
    ],
)
def test_rules_the_editor_enforces_hold_for_imports_too(admin, mutate, path):
    broken = copy.deepcopy(MINI)
    mutate(broken)
    with pytest.raises(transfer.DocumentRejected) as rejected:
        transfer.import_document(admin, json.dumps(broken))
    assert path in {error.path for error in rejected.value.errors}


def test_items_take_the_course_language_unless_they_say_otherwise(admin):
    german = copy.deepcopy(MINI)
    german["course"]["language"] = "de"
    german["course"]["modules"][0]["items"][1]["language"] = "en"
    version = transfer.import_document(admin, json.dumps(german))
    assert [i.language for i in version.modules[0].items] == ["de", "en"]
