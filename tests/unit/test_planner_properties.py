"""The planner is total and truthful: properties over any learner state the data can reach.

``test_planner.py`` generates tidy worlds (acyclic, every ref known) to check the planning
rules; here the worlds are as untidy as real journeys get: items removed in a new course version
but still named by packages, choices, failed checks, prerequisites and alternatives; duplicate
refs; prerequisite cycles; live items without dates; targets long past; no time at all; nothing
left to do. The number of examples follows the Hypothesis profile (``tests/conftest.py``).
"""

import json
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from lxp.paths import storage
from lxp.paths.planner import (
    MODALITIES,
    Calendar,
    CatalogueItem,
    Choices,
    FailedCheck,
    Goal,
    LearnerState,
    Package,
    plan,
)
from lxp.paths.storage import plan_from_json, plan_to_json

MONDAY = date(2026, 11, 23)
COMPETENCIES = ("c0", "c1", "c2", "c3", "c4")
KINDS = ("lesson", "quiz", "live_session", "job_aid", "on_the_job_task")


@st.composite
def learner_worlds(draw):
    """(goals, catalogue, state, calendar, package, choices), any of them untidy."""
    count = draw(st.integers(0, 12))
    live = [f"k{n}" for n in range(count)]
    gone = [f"gone{n}" for n in range(3)]  # refs of items removed in a newer course version
    pool = live + gone
    refs = st.sampled_from(pool)
    competencies = st.frozensets(st.sampled_from(COMPETENCIES), max_size=2)
    acyclic = draw(st.booleans())
    items = []
    for n, ref in enumerate(live):
        if acyclic:  # prerequisites point backwards (or to removed items), as in a published course
            prerequisites = draw(st.lists(st.sampled_from(live[:n] + gone), max_size=2)) if n else []
        else:
            prerequisites = draw(st.lists(refs, max_size=2))
        items.append(CatalogueItem(
            ref=ref, title=f"Item {n}", kind=draw(st.sampled_from(KINDS)), modality=draw(st.sampled_from(MODALITIES)),
            minutes=draw(st.integers(0, 150)), order=draw(st.integers(0, 20)) if draw(st.booleans()) else n,
            teaches=draw(competencies), assesses=draw(competencies), prerequisites=tuple(prerequisites),
            alternatives=tuple(draw(st.lists(refs, max_size=2))),
        ))  # fmt: skip
    if items and draw(st.booleans()):  # the same ref twice, e.g. an item key reused in a module
        twin = draw(st.sampled_from(items))
        items.append(replace(twin, title=twin.title + " (again)", order=draw(st.integers(0, 20)),
                             minutes=draw(st.integers(0, 150))))  # fmt: skip
    goals = draw(st.lists(st.builds(Goal, st.sampled_from(("g1", "g2", "g2")), st.just("A goal"),
                                    st.frozensets(st.sampled_from(COMPETENCIES + ("unoffered",)), max_size=4)),
                          max_size=3))  # fmt: skip

    everything = draw(st.booleans())  # a placement check covered everything, or it did not
    mastered = frozenset(COMPETENCIES) if everything else draw(st.frozensets(st.sampled_from(COMPETENCIES)))
    completed = frozenset(pool) if draw(st.integers(0, 4)) == 0 else draw(st.frozensets(refs))
    state = LearnerState(
        mastered=mastered,
        completed=completed,
        failed_checks=tuple(draw(st.lists(st.builds(FailedCheck, refs, st.frozensets(st.sampled_from(COMPETENCIES))),
                                          max_size=3))),
        shown_in_placement=mastered if everything else draw(st.frozensets(st.sampled_from(COMPETENCIES))),
    )  # fmt: skip

    start = MONDAY + timedelta(days=draw(st.integers(-3, 3)))  # services start on a Monday; the planner must not care
    days = st.lists(st.integers(-20, 90).map(lambda d: start + timedelta(days=d)), max_size=3)
    calendar = Calendar(
        start=start,
        weekly_minutes=draw(st.one_of(st.sampled_from((0, 1, 2, 15)), st.integers(-5, 600))),
        target=draw(st.one_of(st.none(), st.integers(-400, 120).map(lambda d: start + timedelta(days=d)))),
        preferred_modalities=draw(st.frozensets(st.sampled_from(MODALITIES))),
        live_dates=tuple((ref, tuple(draw(days))) for ref in draw(st.lists(refs, max_size=4))),
    )
    package = None
    if draw(st.booleans()):
        package = Package("p1", "Essentials", tuple(draw(st.lists(st.tuples(refs, st.booleans()), max_size=6))))
    choices = Choices(
        swaps=tuple(draw(st.lists(st.tuples(refs, refs), max_size=3))),
        moves=tuple(draw(st.lists(st.tuples(refs, st.one_of(st.none(), refs)), max_size=3))),
    )
    return goals, items, state, calendar, package, choices


def _plan(world):
    goals, items, state, calendar, package, choices = world
    return plan(goals, items, state, calendar, package, choices)


def _planned_items(items) -> dict[str, CatalogueItem]:
    """The item the planner keeps for each ref: of duplicates, the earliest in course order."""
    kept = {}
    for item in sorted(items, key=lambda i: (i.order, i.title)):
        kept.setdefault(item.ref, item)
    return kept


def _reach(items: dict[str, CatalogueItem]) -> dict[str, set[str]]:
    """For each ref, the refs it needs through prerequisites, transitively (itself only on a cycle)."""
    reach = {}
    for ref, item in items.items():
        seen, todo = set(), list(item.prerequisites)
        while todo:
            other = todo.pop()
            if other not in seen:
                seen.add(other)
                todo.extend(items[other].prerequisites if other in items else ())
        reach[ref] = seen
    return reach


# The bug of issue #13: past the target, nothing open.
PAST_AND_DONE = (
    [Goal("g1", "A goal", frozenset({"c0"}))],
    [
        CatalogueItem(
            "k0", "Item 0", "lesson", "self_paced", 5, 0, teaches=frozenset({"c0"}), assesses=frozenset({"c0"})
        )
    ],
    LearnerState(mastered=frozenset({"c0"}), completed=frozenset({"k0"})),
    Calendar(MONDAY, 60, target=MONDAY - timedelta(days=30)),
    None,
    Choices(),
)


@given(learner_worlds())
@example(PAST_AND_DONE)
def test_every_learner_state_gets_a_plan_with_each_open_step_placed_once(world):
    goals, items, state, calendar, package, choices = world
    result = _plan(world)
    refs = [step.ref for step in result.steps]
    assert len(refs) == len(set(refs)), "a step is on the plan twice"
    known = {item.ref for item in items}
    assert set(refs) <= known and {s.ref for s in result.skipped} <= known
    assert not set(refs) & {s.ref for s in result.skipped}
    for step in result.open_steps:
        assert step.week is not None and step.week >= 0 and step.due is not None and step.due >= calendar.start, step
        assert step.live_date is None or step.due == step.live_date
    assert all(step.week is None for step in result.steps if step.done)


@given(learner_worlds())
def test_prerequisites_come_before_their_dependants_outside_a_cycle(world):
    goals, items, state, calendar, package, choices = world
    result = _plan(world)
    by_ref = _planned_items(items)
    position = {step.ref: n for n, step in enumerate(result.steps)}
    reach = _reach({ref: by_ref[ref] for ref in position})  # cycles among the steps themselves
    for step in result.open_steps:
        for prerequisite in by_ref[step.ref].prerequisites:
            if prerequisite in position and step.ref not in reach.get(prerequisite, ()):
                assert position[prerequisite] < position[step.ref], (prerequisite, step.ref)


@given(learner_worlds())
@example(PAST_AND_DONE)
def test_feasibility_tells_finished_on_track_and_late_apart(world):
    goals, items, state, calendar, package, choices = world
    result = _plan(world)
    feasibility = result.feasibility
    required_open = [s for s in result.open_steps if not s.optional]
    assert feasibility.finished == (not required_open)
    assert feasibility.remaining_minutes == sum(s.minutes for s in result.open_steps)
    if feasibility.finished:
        assert feasibility.status == "finished" and feasibility.reachable
        assert feasibility.late_by_days == 0 and feasibility.weekly_minutes_needed is None
        return
    last_due = max(s.due for s in result.open_steps)
    assert feasibility.finish == last_due
    if calendar.target is None or last_due <= calendar.target:
        assert feasibility.status == "on_track" and feasibility.reachable and feasibility.late_by_days == 0
        return
    assert feasibility.status == "late" and not feasibility.reachable
    assert feasibility.late_by_days == (last_due - calendar.target).days > 0
    if calendar.target < calendar.start:  # the target is past: work remains, minutes cannot help
        assert feasibility.late_by_days >= (calendar.start - calendar.target).days
        assert feasibility.weekly_minutes_needed is None


@given(learner_worlds())
def test_the_weekly_minutes_a_late_plan_asks_for_make_the_target(world):
    goals, items, state, calendar, package, choices = world
    feasibility = _plan(world).feasibility
    if feasibility.weekly_minutes_needed is None:
        return
    assert feasibility.weekly_minutes_needed > calendar.weekly_minutes
    with_more = plan(goals, items, state, replace(calendar, weekly_minutes=feasibility.weekly_minutes_needed), package,
                     choices).feasibility  # fmt: skip
    assert with_more.reachable and with_more.status == "on_track"
    if feasibility.weekly_minutes_needed > 1:  # and it is the least that does
        with_less = replace(calendar, weekly_minutes=feasibility.weekly_minutes_needed - 1)
        assert not plan(goals, items, state, with_less, package, choices).feasibility.reachable


@given(learner_worlds())
@example(PAST_AND_DONE)
def test_a_journey_with_nothing_left_to_do_says_finished(world):
    goals, items, state, calendar, package, choices = world
    everything_done = replace(state, completed=frozenset(i.ref for i in items), failed_checks=())
    result = plan(goals, items, everything_done, calendar, package, choices)
    assert result.open_steps == () and result.feasibility.finished and result.feasibility.reachable
    assert result.feasibility.finish == calendar.start and result.feasibility.remaining_minutes == 0


@given(learner_worlds())
@example(PAST_AND_DONE)
def test_the_plan_round_trips_through_its_stored_json(world):
    result = _plan(world)
    stored = json.loads(json.dumps({**plan_to_json(result), "week_start": "2026-11-23"}))
    assert plan_from_json(stored) == result
    # A plan stored before ``finished`` existed reads as finished exactly when nothing required is open.
    del stored["feasibility"]["finished"]
    older = plan_from_json(stored).feasibility
    assert older.finished == result.feasibility.finished
    assert older.reachable == result.feasibility.reachable


@given(learner_worlds())
@example(PAST_AND_DONE)
def test_the_stored_plan_reads_as_the_plan_says(world):
    """The touchpoint planner reads stored plans without parsing them whole (``paths.storage``):
    what it reads must be what the plan itself says."""
    result = _plan(world)
    stored = json.loads(json.dumps(plan_to_json(result)))
    first = result.open_steps[0] if result.open_steps else None
    assert storage.first_open_step(stored) == ((first.ref, first.title, first.minutes) if first else (None, "", 0))
    assert storage.is_finished(stored) == result.feasibility.finished
    required = [step for step in result.steps if not step.optional]
    assert storage.required_progress(stored) == (sum(step.done for step in required), len(required))
    for day in sorted({step.due for step in result.open_steps if step.due}):
        assert [s.ref for s in storage.open_steps_due(stored, day)] == [
            s.ref for s in result.open_steps if s.due == day
        ]
        assert [s.ref for s in storage.open_steps_due_by(stored, day)] == [
            s.ref for s in result.open_steps if s.due and s.due <= day
        ]


@given(learner_worlds(), st.randoms(use_true_random=False))
def test_the_same_untidy_input_in_any_order_gives_the_same_plan(world, random):
    goals, items, state, calendar, package, choices = world
    shuffled, goals_shuffled = list(items), list(goals)
    random.shuffle(shuffled)
    random.shuffle(goals_shuffled)
    assert _plan(world) == plan(goals_shuffled, shuffled, state, calendar, package, choices)
