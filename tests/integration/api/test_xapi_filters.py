"""The statements resource's xAPI 1.0.3 filters, checked over generated statement sets: for any
mix of learners, verbs, items, journeys, live sessions with their trainer and voided
statements, each query (agent, verb, activity, registration, related_*, ascending, limit with
``more``, format; as an admin or as a learner) returns exactly the statements the rules of
the specification pick, worked out here from the generated events, not by lxp's code. What the
resource answers is parsed with TinCanPython (``tincan``), an independent xAPI library."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from tincan import Statement, StatementsResult

from lxp import events
from lxp.events import VERBS, LearningEvent
from lxp.extensions import db
from tests.conftest import committing
from tests.integration.api.conftest import is_problem

BASE = "http://lxp.test"
ADMIN = ("read", "write", "admin")
VERB_NAMES = ("completed", "passed", "failed", "attended", "experienced")
ITEMS = ("11:intro", "11:check", "12:intro", "12:live")
SESSIONS = (5, 6)


def agent(user_id) -> dict:
    return {"objectType": "Agent", "account": {"homePage": BASE, "name": str(user_id)}}


def item_iri(item: str) -> str:
    return f"{BASE}/xapi/activities/item/{item.replace(':', '%3A')}"


def course_iri(item: str) -> str:
    return f"{BASE}/xapi/activities/course/{item.split(':')[0]}"


def session_iri(session: int) -> str:
    return f"{BASE}/xapi/activities/live_session/{session}"


def registration_of(journey: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{BASE}/xapi/registrations/journey/{journey}"))


@dataclass(frozen=True)
class Spec:
    """One generated learning event."""

    learner: int  # index into the learners
    verb: str
    item: str
    journey: int | None
    session: int | None  # a live session: its trainer took the attendance
    voided: bool


specs = st.lists(
    st.builds(Spec, learner=st.integers(0, 2), verb=st.sampled_from(VERB_NAMES), item=st.sampled_from(ITEMS),
              journey=st.none() | st.integers(1, 3), session=st.none() | st.sampled_from(SESSIONS),
              voided=st.booleans()),
    min_size=1, max_size=14,
)  # fmt: skip


@dataclass
class Made:
    """A recorded event as the test knows it: its id and what the statement must say."""

    id: str
    actor: int
    verb: str
    activities: set[str]  # the object
    related_activities: set[str]  # the object and the context's activities
    instructor: int | None
    registration: str | None
    target: Made | None = None  # for a voiding statement: what it voids
    voided: bool = False


def expected_match(made: Made, query: dict, people: dict) -> bool:
    """Whether ``made`` meets ``query``, by the rules of xAPI 1.0.3 (Communication 2.1.3)."""

    def own(m: Made) -> bool:
        wanted = query.get("agent")
        if wanted is not None:
            agents = {m.actor} | ({m.instructor} if query.get("related_agents") and m.instructor else set())
            if wanted not in agents:
                return False
        if "verb" in query and VERBS[m.verb].iri != query["verb"]:
            return False
        if "activity" in query:
            pool = m.related_activities if query.get("related_activities") else m.activities
            if query["activity"] not in pool:
                return False
        return "registration" not in query or m.registration == query["registration"]

    if not {"agent", "verb", "activity", "registration"} & set(query):
        return True
    return own(made) or (made.target is not None and own(made.target))


def record_world(app, learners: list[int], trainer: int, world: list[Spec]) -> list[Made]:
    made: list[Made] = []
    with committing(app):
        for spec in world:
            context = {}
            if spec.journey is not None:
                context["journey"] = spec.journey
            if spec.session is not None:
                context |= {"session": spec.session, "instructor": trainer}
            event = events.record(actor_id=learners[spec.learner], verb=spec.verb, object_type="item",
                                  object_id=spec.item, context=context or None)  # fmt: skip
            related = {item_iri(spec.item), course_iri(spec.item)} | (
                {session_iri(spec.session)} if spec.session is not None else set()
            )
            made.append(Made(str(event.id), learners[spec.learner], spec.verb, {item_iri(spec.item)}, related,
                             trainer if spec.session is not None else None,
                             registration_of(spec.journey) if spec.journey is not None else None))  # fmt: skip
        for spec, target in list(zip(world, made, strict=True)):
            if spec.voided:
                voiding = events.void(actor_id=trainer, event_id=uuid.UUID(target.id), reason="a mistake")
                target.voided = True
                made.append(Made(str(voiding.id), trainer, "voided", set(), set(), None, None, target=target))
    return made


def fetch_all(api, query: dict) -> tuple[list[Statement], list[dict]]:
    """Every page of a query, parsed by tincan; also the raw statements."""
    params = {k: (json.dumps(agent(v)) if k == "agent" else str(v).lower() if isinstance(v, bool) else v)
              for k, v in query.items()}  # fmt: skip
    response = api.get("/api/v1/xapi/statements", query_string=params)
    parsed, raw = [], []
    while True:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
        assert response.headers["X-Experience-API-Consistent-Through"]
        page = StatementsResult.from_json(response.get_data(as_text=True))
        parsed += list(page.statements)
        raw += response.get_json()["statements"]
        if not page.more:
            return parsed, raw
        assert query.get("limit", 1) != 0
        response = api.get(page.more)


def test_every_filter_returns_exactly_the_statements_the_specification_picks(app, api_as):
    learners = [api_as("learner") for _ in range(3)]
    trainer = api_as("trainer")
    admin = api_as("admin", scopes=ADMIN)
    learner_ids, people = [c.user_id for c in learners], {}

    queries = st.fixed_dictionaries({}, optional={
        "agent": st.sampled_from([*learner_ids, trainer.user_id]),
        "verb": st.sampled_from([VERBS[v].iri for v in (*VERB_NAMES, "voided")]),
        "activity": st.sampled_from([item_iri(i) for i in ITEMS] + [course_iri(i) for i in ITEMS]
                                    + [session_iri(s) for s in SESSIONS]),
        "registration": st.sampled_from([registration_of(j) for j in (1, 2, 3)]),
        "related_activities": st.booleans(),
        "related_agents": st.booleans(),
        "ascending": st.booleans(),
        "limit": st.integers(0, 4),
        "format": st.sampled_from(["exact", "ids", "canonical"]),
    })  # fmt: skip

    @settings(max_examples=12, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(world=specs, data=st.data())
    def check(world, data):
        made = record_world(app, learner_ids, trainer.user_id, world)
        # Each broadening once in every world, then queries drawn at random.
        probes = [({"agent": trainer.user_id, "related_agents": True}, "admin"),
                  ({"agent": trainer.user_id}, "admin"),
                  ({"activity": session_iri(5), "related_activities": True}, "admin"),
                  ({"activity": course_iri(ITEMS[0]), "related_activities": True, "limit": 2}, 0),
                  ({"registration": registration_of(1)}, "admin"),
                  ({"verb": VERBS["passed"].iri, "ascending": True, "limit": 1}, "admin")]  # fmt: skip
        try:
            for index in range(len(probes) + 6):
                query, reader = probes[index] if index < len(probes) else (
                    data.draw(queries), data.draw(st.sampled_from(["admin", 0, 1])))  # fmt: skip
                api = admin if reader == "admin" else learners[reader]
                statements, raw = fetch_all(api, query)
                visible = [m for m in made if not m.voided and (reader == "admin" or m.actor == learner_ids[reader])]
                expected = {m.id for m in visible if expected_match(m, query, people)}
                got = [str(s.id) for s in statements]
                assert sorted(got) == sorted(expected), (query, reader)
                assert len(got) == len(set(got))
                stored = [s["stored"] for s in raw]
                assert stored == sorted(stored, reverse=not query.get("ascending", False))
                if query.get("format") == "ids":
                    assert all("display" not in s["verb"] and "definition" not in s["object"] for s in raw)
        finally:
            with committing(app):
                db.session.execute(delete(LearningEvent).where(LearningEvent.id.in_([uuid.UUID(m.id) for m in made])))

    check()


def test_one_statement_by_id_voided_ones_only_by_voided_statement_id(app, api_as):
    learner, trainer = api_as("learner"), api_as("trainer")
    admin = api_as("admin", scopes=ADMIN)
    with committing(app):
        kept = events.record(actor_id=learner.user_id, verb="completed", object_type="item", object_id="1:a")
        gone = events.record(actor_id=learner.user_id, verb="passed", object_type="item", object_id="1:b")
        events.void(actor_id=trainer.user_id, event_id=gone.id)
    one = admin.get(f"/api/v1/xapi/statements?statementId={kept.id}")
    assert one.status_code == 200 and one.headers["X-Experience-API-Version"] == "1.0.3"
    assert str(Statement.from_json(one.get_data(as_text=True)).id) == str(kept.id)
    is_problem(admin.get(f"/api/v1/xapi/statements?statementId={gone.id}"), 404)
    voided = admin.get(f"/api/v1/xapi/statements?voidedStatementId={gone.id}&format=ids")
    assert voided.get_json()["id"] == str(gone.id) and voided.get_json()["verb"] == {"id": VERBS["passed"].iri}
    is_problem(admin.get(f"/api/v1/xapi/statements?voidedStatementId={kept.id}"), 404)
    listed = {s["id"] for s in admin.get("/api/v1/xapi/statements").get_json()["statements"]}
    assert str(kept.id) in listed and str(gone.id) not in listed  # the voiding statement is listed, not the voided
    assert learner.get(f"/api/v1/xapi/statements?statementId={kept.id}").status_code == 200
    is_problem(api_as("learner").get(f"/api/v1/xapi/statements?statementId={kept.id}"), 404)  # not theirs


def test_unknown_malformed_or_unsupported_parameters_are_a_400_with_a_problem(app, api_as):
    admin = api_as("admin", scopes=ADMIN)
    some = str(uuid.uuid4())
    for query in (
        "?sort=stored", "?StatementId=" + some, "?Verb=http://adlnet.gov/expapi/verbs/passed", "?attachments=true",
        "?statementId=" + some + "&verb=http://adlnet.gov/expapi/verbs/passed",
        "?statementId=" + some + "&voidedStatementId=" + some, "?statementId=not-a-uuid", "?agent=lena",
        '?agent={"name": "Lena"}', '?agent={"mbox": "mailto:a@example.com", "openid": "https://x.example/"}',
        "?format=full", "?limit=-1", "?limit=501", "?ascending=maybe", "?since=yesterday", "?registration=7",
    ):  # fmt: skip
        body = is_problem(admin.get("/api/v1/xapi/statements" + query), 400)
        assert body.get("errors") or body.get("detail"), query
    assert admin.get("/api/v1/xapi/statements?attachments=false").status_code == 200


def test_the_about_resource_is_open_and_names_the_version(app, client):
    response = client.get("/api/v1/xapi/about")
    assert response.status_code == 200 and response.get_json() == {"version": ["1.0.3"]}
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
