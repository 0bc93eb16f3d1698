"""SCIM filters, walked with Hypothesis: any filter built from eq, ne, co, sw, ew, gt, ge, lt, le,
pr, and, or and not over userName, emails.value, externalId, displayName, active and
meta.lastModified finds, through GET /Users, exactly the people an independent evaluation (written
here, from RFC 7644 §3.4.2.2, over what lxp shows of each person) picks."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import quote

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.integration.scim_fixtures import Scim, a_user, scim_token

PEOPLE = [  # userName, displayName, externalId, active
    ("ann.smith@example.com", "Ann Smith", "E-100", True),
    ("Bob.Jones@Example.com", "Bob Jones", "e-101", False),
    ("carla@sub.example.org", "Carla 50% Off", None, True),
    ("dan_o@example.org", "Dan_O Brien", "E-1000", True),
    ("eve@example.com", "Ève Adams", "X_9", False),
    ("fay@example.com", "fay", "x_9", True),
]
TEXT_ATTRIBUTES = ("userName", "emails.value", "displayName", "externalId")
CASE_EXACT = {"externalId"}
_population: dict = {}


def _populate(app, make_user) -> dict:
    """The people, made once for the whole walk through SCIM itself; their resources as lxp shows them."""
    if "scim" not in _population:
        scim = Scim(app, scim_token(app, make_user(("admin",), email="walker@admin.example")))
        shown = []
        for user_name, display, external, active in PEOPLE:
            body = a_user(
                user_name, displayName=display, active=active, **({"externalId": external} if external else {})
            )
            created = scim.post("/Users", body)
            assert created.status_code == 201, created.get_data(as_text=True)
            shown.append(created.get_json())
        _population.update(scim=scim, shown=shown)
    return _population


def _fragments():
    words = [p[0] for p in PEOPLE] + [p[1] for p in PEOPLE] + [p[2] for p in PEOPLE if p[2]]
    pieces = {w[i:j] for w in words for i in range(0, len(w), 3) for j in (i + 1, i + 4, len(w)) if j <= len(w)}
    return st.sampled_from(sorted(pieces | {"%", "_", "50%", "ZZZ", ""})).map(lambda s: s).flatmap(
        lambda s: st.sampled_from([s, s.upper(), s.lower()]))  # fmt: skip


def _text_compare():
    return st.tuples(st.sampled_from(TEXT_ATTRIBUTES), st.sampled_from(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]),
                     _fragments())  # fmt: skip


def _leaf():
    return st.one_of(
        _text_compare().map(lambda t: ("cmp", *t)),
        st.tuples(st.sampled_from(["eq", "ne"]), st.booleans()).map(lambda t: ("cmp", "active", *t)),
        st.sampled_from(TEXT_ATTRIBUTES).map(lambda a: ("pr", a)),
        st.tuples(
            st.sampled_from(["gt", "ge", "lt", "le", "eq", "ne"]),
            st.integers(0, len(PEOPLE) - 1),
            st.sampled_from([-1, 0, 1]),
        ).map(lambda t: ("time", *t)),  # fmt: skip
    )


def _trees():
    return st.recursive(_leaf(), lambda inner: st.one_of(
        st.tuples(st.just("and"), inner, inner), st.tuples(st.just("or"), inner, inner),
        st.tuples(st.just("not"), inner)), max_leaves=4)  # fmt: skip


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _time_value(shown, index, shift) -> str:
    moment = _moment(shown[index]["meta"]["lastModified"]) + timedelta(milliseconds=shift)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def render(tree, shown) -> str:
    kind = tree[0]
    if kind == "cmp":
        return f"{tree[1]} {tree[2]} {json.dumps(tree[3])}"
    if kind == "pr":
        return f"{tree[1]} pr"
    if kind == "time":
        return f'meta.lastModified {tree[1]} "{_time_value(shown, tree[2], tree[3])}"'
    if kind == "not":
        return f"not ({render(tree[1], shown)})"
    return f"({render(tree[1], shown)}) {kind} ({render(tree[2], shown)})"


def _value(person: dict, attribute: str):
    if attribute == "emails.value":
        return person["emails"][0]["value"]
    return person.get(attribute)


ORDER = {"gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b}


def evaluate(tree, person: dict, shown) -> bool:
    """RFC 7644's meaning, independently of lxp's parser: strings compare case-insensitively
    unless the attribute is caseExact; an absent attribute matches nothing but ``ne``."""
    kind = tree[0]
    if kind == "and":
        return evaluate(tree[1], person, shown) and evaluate(tree[2], person, shown)
    if kind == "or":
        return evaluate(tree[1], person, shown) or evaluate(tree[2], person, shown)
    if kind == "not":
        return not evaluate(tree[1], person, shown)
    if kind == "pr":
        return _value(person, tree[1]) not in (None, "")
    if kind == "time":
        actual, wanted = _moment(person["meta"]["lastModified"]), _moment(_time_value(shown, tree[2], tree[3]))
        return (
            {"eq": actual == wanted, "ne": actual != wanted}.get(tree[1])
            if tree[1] in {"eq", "ne"}
            else ORDER[tree[1]](actual, wanted)
        )
    _cmp, attribute, op, expected = tree
    actual = _value(person, attribute)
    if attribute == "active":
        return (actual == expected) == (op == "eq")
    if actual is None:
        return op == "ne"
    if attribute not in CASE_EXACT:
        actual, expected = actual.lower(), expected.lower()
    return {"eq": actual == expected, "ne": actual != expected, "co": expected in actual,
            "sw": actual.startswith(expected), "ew": actual.endswith(expected)}.get(op) if op not in ORDER else ORDER[op](actual, expected)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=_trees())
@example(tree=("cmp", "displayName", "sw", "ève"))  # beyond ASCII: SQLite's own lower() would miss it
@example(tree=("not", ("cmp", "externalId", "eq", "")))  # absent: "not" of it holds
@example(tree=("cmp", "externalId", "co", "E"))  # externalId counts case; SQLite's LIKE does not
@example(tree=("cmp", "externalId", "sw", "x"))
@example(tree=("cmp", "externalId", "ew", "_9"))
def test_filters_find_exactly_whom_an_independent_evaluation_finds(app, make_user, tree):
    population = _populate(app, make_user)
    scim, shown = population["scim"], population["shown"]
    text = render(tree, shown)
    response = scim.get(f"/Users?count=200&filter={quote(text)}")
    assert response.status_code == 200, (text, response.get_data(as_text=True))
    found = {r["userName"] for r in response.get_json()["Resources"]} - {"walker@admin.example"}
    expected = {person["userName"] for person in shown if evaluate(tree, person, shown)}
    assert found == expected, text
