"""What the organisation assigns shapes the plan: properties over untidy worlds (the same worlds
as ``test_planner_properties.py``) with assignments, dated or not, some re-opened for
recertification."""

import json
from dataclasses import asdict
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from lxp.paths.planner import Assignment, Calendar, CatalogueItem, Goal, LearnerState, Reason, plan
from lxp.paths.storage import plan_from_json, plan_to_json
from tests.unit.test_planner_properties import COMPETENCIES, learner_worlds


@st.composite
def worlds_with_assignments(draw):
    goals, items, state, calendar, package, choices = draw(learner_worlds())
    refs = [item.ref for item in items] + ["gone0"]
    assignments = []
    for n in range(draw(st.integers(0, 3))):
        due = draw(st.one_of(st.none(), st.integers(-30, 120).map(lambda d: calendar.start + timedelta(days=d))))
        assignments.append(Assignment(
            ref=f"a{n}", title=f"Assignment {n}", due=due,
            competencies=draw(st.frozensets(st.sampled_from(COMPETENCIES + ("unoffered",)), max_size=3)),
            items=tuple(draw(st.lists(st.sampled_from(refs), max_size=3))),
            redo=draw(st.frozensets(st.sampled_from(refs), max_size=2)) if draw(st.booleans()) else frozenset(),
        ))  # fmt: skip
    return goals, items, state, calendar, package, choices, tuple(assignments)


def _plan(world):
    goals, items, state, calendar, package, choices, assignments = world
    return plan(goals, items, state, calendar, package, choices, assignments)


def _serves(step, assignment) -> bool:
    return Reason("assigned", goal=assignment.title) in step.reasons


@given(worlds_with_assignments())
def test_every_open_step_an_assignment_asks_for_says_so_with_its_earliest_due_date(world):
    *_, assignments = world
    result = _plan(world)
    for step in result.open_steps:
        dues = [a.due for a in assignments if _serves(step, a) and a.due is not None]
        if dues:
            assert step.assigned_due is not None and step.assigned_due <= min(dues), step


@given(worlds_with_assignments())
def test_required_steps_with_a_due_date_come_before_those_without_one(world):
    goals, items, state, calendar, package, choices, assignments = world
    result = plan(goals, items, state, calendar, package, None, assignments)  # no moves of optional steps
    seen_undated = False
    for step in result.open_steps:
        if step.assigned_due is None:
            seen_undated = True
        else:
            assert not seen_undated, f"{step.ref} due {step.assigned_due} planned after an undated step"


@given(worlds_with_assignments())
def test_an_assignment_is_at_risk_exactly_when_an_open_step_of_it_starts_after_its_due_date(world):
    *_, calendar, _package, _choices, assignments = world
    result = _plan(world)
    at_risk = {risk.ref for risk in result.feasibility.at_risk}
    for assignment in assignments:
        late = assignment.due is not None and any(
            _serves(s, assignment) and not s.optional and calendar.start + timedelta(days=7 * s.week) > assignment.due
            for s in result.open_steps
        )  # fmt: skip
        assert (assignment.ref in at_risk) == late, assignment


@given(worlds_with_assignments())
def test_the_plan_with_assignments_round_trips_through_its_stored_json(world):
    result = _plan(world)
    assert plan_from_json(plan_to_json(result)) == result


def _as_stored_by_asdict(result) -> dict:
    """How plans were stored until ``plan_to_json`` was written out by hand: the stored plans
    of every journey are in this form, and the touchpoint planner reads them as they are."""
    data = asdict(result)
    for step in data["steps"]:
        for key in ("due", "live_date", "assigned_due"):
            step[key] = step[key].isoformat() if step[key] else None
    data["feasibility"]["finish"] = result.feasibility.finish.isoformat()
    data["feasibility"]["at_risk"] = [{**risk, "due": risk["due"].isoformat(), "finish": risk["finish"].isoformat()}
                                      for risk in data["feasibility"]["at_risk"]]  # fmt: skip
    return data


@given(worlds_with_assignments())
def test_the_stored_json_is_what_it_always_was(world):
    result = _plan(world)
    assert plan_to_json(result) == _as_stored_by_asdict(result)
    assert json.dumps(plan_to_json(result)) == json.dumps(_as_stored_by_asdict(result))


@given(worlds_with_assignments())
def test_the_assigned_order_does_not_change_the_plan(world):
    goals, items, state, calendar, package, choices, assignments = world
    assert plan(goals, items, state, calendar, package, choices, tuple(reversed(assignments))) == _plan(world)


def test_an_assigned_goal_comes_before_the_learners_own_and_a_late_one_warns_early():
    monday = date(2026, 11, 23)
    lesson = CatalogueItem("c:own", "My own topic", "lesson", "self_paced", 50, 0, teaches=frozenset({"mine"}))
    onboarding = [
        CatalogueItem(f"c:on{n}", f"Onboarding {n}", "lesson", "self_paced", 50, n + 1, teaches=frozenset({"safety"}),
                      assesses=frozenset({"safety"}) if n == 2 else frozenset())
        for n in range(3)
    ]  # fmt: skip
    assignment = Assignment("a1", "Safety onboarding", due=monday + timedelta(days=9),
                            competencies=frozenset({"safety"}), items=tuple(i.ref for i in onboarding))  # fmt: skip
    result = plan([Goal("g", "My goal", frozenset({"mine"}))], [lesson, *onboarding], LearnerState(),
                  Calendar(monday, weekly_minutes=60), assignments=[assignment])  # fmt: skip
    assert [s.ref for s in result.open_steps] == ["c:on0", "c:on1", "c:on2", "c:own"]
    assert all(s.assigned_due == assignment.due for s in result.open_steps[:3])
    assert result.feasibility.at_risk and result.feasibility.at_risk[0].ref == "a1"  # the third lesson is in week 2
    roomy = plan([], onboarding, LearnerState(), Calendar(monday, weekly_minutes=150), assignments=[assignment])
    assert roomy.feasibility.at_risk == ()


def test_a_recertification_reopens_what_was_done_before():
    monday = date(2026, 11, 23)
    items = [CatalogueItem("c:a", "First aid", "lesson", "self_paced", 20, 0, teaches=frozenset({"aid"})),
             CatalogueItem("c:b", "First aid check", "quiz", "self_paced", 10, 1, assesses=frozenset({"aid"}))]  # fmt: skip
    state = LearnerState(mastered=frozenset({"aid"}), completed=frozenset({"c:a", "c:b"}))
    done = Assignment("a", "First aid", monday + timedelta(days=30), frozenset({"aid"}))
    assert plan([], items, state, Calendar(monday, 60), assignments=[done]).open_steps == ()
    again = Assignment(
        "a", "First aid", monday + timedelta(days=30), frozenset({"aid"}), redo=frozenset({"c:a", "c:b"})
    )
    assert [s.ref for s in plan([], items, state, Calendar(monday, 60), assignments=[again]).open_steps] == [
        "c:a",
        "c:b",
    ]


def test_a_stand_in_for_an_assigned_item_keeps_the_assignments_due_date():
    # Found by the property above: the learner's preferred stand-in took the assigned item's
    # place and its reason, but not its due date, so Today did not say when it was due.
    monday = date(2026, 11, 23)
    live = CatalogueItem("c:live", "Workshop", "session", "live", 60, 1, alternatives=("c:video",))
    video = CatalogueItem("c:video", "Workshop recording", "lesson", "self_paced", 30, 2)
    assignment = Assignment("a1", "Compliance", due=monday + timedelta(days=5), items=("c:live",))
    result = plan([], [live, video], LearnerState(),
                  Calendar(monday, weekly_minutes=60, preferred_modalities=frozenset({"self_paced"})),
                  assignments=[assignment])  # fmt: skip
    [step] = result.open_steps
    assert step.ref == "c:video" and Reason("assigned", goal="Compliance") in step.reasons
    assert step.assigned_due == assignment.due


def test_what_an_assigned_item_needs_is_due_with_it_even_when_prerequisites_form_a_cycle():
    # Found by the ordering property: with k2 and the check needing each other, one pass in
    # plan order left k2's own prerequisite undated, planned before a dated step.
    monday = date(2026, 11, 23)
    basics = CatalogueItem("k0", "Basics", "lesson", "self_paced", 10, 0)
    lesson = CatalogueItem("k2", "Lesson", "lesson", "self_paced", 10, 2, prerequisites=("k0", "k11"))
    check = CatalogueItem(
        "k11", "Check", "quiz", "self_paced", 10, 0, assesses=frozenset({"c0"}), prerequisites=("k2",)
    )
    assignment = Assignment("a0", "Safety", due=monday, competencies=frozenset({"c0"}))
    result = plan([], [basics, lesson, check], LearnerState(), Calendar(monday, weekly_minutes=60),
                  assignments=[assignment])  # fmt: skip
    assert {s.ref: s.assigned_due for s in result.open_steps} == {"k0": monday, "k2": monday, "k11": monday}
