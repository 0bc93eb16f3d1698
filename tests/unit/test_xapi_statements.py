"""Events as xAPI statements, the pure part: every verb and object type gives a valid
statement; private words stay home; a voiding statement refers to the statement it voids."""

import uuid
from datetime import UTC, datetime

import pytest

from lxp.events import VERBS
from lxp.lrs.statements import ACTIVITY_TYPES, canonical_json, statement
from tests.integration.api.xapi_rules import problems_of

WHEN = datetime(2026, 11, 24, 1, 2, 3, 456789, tzinfo=UTC)


def make(**fields):
    base = {"event_id": uuid.uuid4(), "actor_id": 7, "verb": "completed", "object_type": "item",
            "object_id": "12:listen-lesson", "result": None, "context": None, "occurred_at": WHEN,
            "recorded_at": WHEN, "base_url": "https://lxp.example/"}  # fmt: skip
    return statement(**{**base, **fields})


@pytest.mark.parametrize("verb", sorted(VERBS))
@pytest.mark.parametrize("object_type", sorted(ACTIVITY_TYPES) + ["something-new"])
def test_every_verb_and_object_type_makes_a_valid_statement(verb, object_type):
    made = make(verb=verb, object_type=object_type, object_id="a b/c:d", context={"journey": 3, "empty": None})
    assert problems_of(made) == []
    assert made["verb"]["id"] == VERBS[verb].iri
    assert made["object"]["id"].startswith("https://lxp.example/xapi/activities/")
    assert made["timestamp"] == "2026-11-24T01:02:03.456789Z"


def test_a_quiz_result_keeps_its_score_and_its_answers_as_a_string():
    made = make(verb="passed", result={"score": {"scaled": 0.8, "raw": 80, "min": 0, "max": 100}, "success": True,
                                       "completion": True, "duration": "PT240S", "response": {"q1": [0]},
                                       "extensions": {"failed_competencies": []}})  # fmt: skip
    assert problems_of(made) == []
    assert made["result"]["score"] == {"scaled": 0.8, "raw": 80, "min": 0, "max": 100}
    assert made["result"]["response"] == '{"q1": [0]}'
    assert list(made["result"]["extensions"]) == ["https://w3id.org/xapi/lxp/extensions/failed_competencies"]


def test_a_scaled_score_outside_minus_one_to_one_is_left_out():
    made = make(result={"score": {"scaled": 3, "raw": 3, "min": 0, "max": 10}})
    assert made["result"]["score"] == {"raw": 3, "min": 0, "max": 10} and problems_of(made) == []


def test_a_private_reflection_is_not_in_the_statement():
    made = make(result={"completion": True, "response": "I froze."}, context={"private": True, "journey": 1})
    assert "response" not in made["result"] and "I froze" not in str(made) and problems_of(made) == []


def test_a_voiding_statement_refers_to_the_voided_one():
    voided = str(uuid.uuid4())
    made = make(verb="voided", object_type="event", object_id=voided)
    assert made["object"] == {"objectType": "StatementRef", "id": voided}
    assert "context" not in made and problems_of(made) == []


def test_the_actor_is_an_account_on_lxp_never_an_address_nor_a_name():
    made = make()
    assert made["actor"] == {"objectType": "Agent", "account": {"homePage": "https://lxp.example", "name": "7"}}


def test_the_same_event_gives_the_same_bytes_every_time():
    """What a re-send (at-least-once delivery) carries is what was sent the first time."""
    fields = {"event_id": uuid.uuid4(), "verb": "passed", "context": {"journey": 3, "session": 9, "instructor": 4},
              "result": {"score": {"raw": 3, "min": 0, "max": 4}, "success": True}}  # fmt: skip
    assert canonical_json(make(**fields)) == canonical_json(make(**fields))


def test_the_trainer_is_the_instructor_and_the_journey_the_registration():
    made = make(verb="attended", context={"journey": 3, "session": 9, "instructor": 4})
    context = made["context"]
    assert context["instructor"] == {"objectType": "Agent", "account": {"homePage": "https://lxp.example", "name": "4"}}
    assert context["registration"] == make(context={"journey": 3})["context"]["registration"]
    assert context["registration"] != make(context={"journey": 4})["context"]["registration"]
    assert context["contextActivities"]["parent"][0]["id"] == "https://lxp.example/xapi/activities/live_session/9"
    assert context["contextActivities"]["grouping"][0]["id"] == "https://lxp.example/xapi/activities/course/12"
    assert "instructor" not in str(context.get("extensions", {})) and problems_of(made) == []
