"""The path planner: a pure function from goals, catalogue, learner state and calendar to a plan.

No database and no Flask: plain frozen dataclasses in, a ``Plan`` out, so it is fast to test
and to benchmark, and the same input always gives the same plan.

Rules
  - every targeted competency the learner has not shown is covered by an item that teaches it
    and one that assesses it, or is reported as unmet;
  - prerequisites come before what needs them;
  - where an item has an alternative in a preferred modality, the preferred one is planned;
  - mastered competencies are not taught again unless a later check on them failed;
  - each week holds at most the learner's weekly minutes (a single step longer than a whole
    week gets a week of its own);
  - a live session is planned in a week with a date the learner can attend, or replaced by its
    self-paced alternative when there is none;
  - the learner may move optional steps, never before what they need nor after what needs them
    (a move that would break that is ignored);
  - what the organisation assigns (``Assignment``: a goal's competencies, a package's items) is
    planned like a goal, each of its steps says so with the assignment's due date, and those
    steps (with what they need) come first, earliest due date first; the learner's own goals
    follow. An assignment whose steps cannot start before its due date is ``at_risk``.
Every step carries its reasons; every item left out carries why.

The planner is total: any input gives a plan. Refs that name nothing in the catalogue (an item
removed in a new course version) are ignored wherever they appear; duplicate refs keep their
earliest item; a prerequisite cycle is ordered by course order inside the cycle only.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

MODALITIES = ("self_paced", "live", "coaching", "on_the_job")


# --- input -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueItem:
    ref: str  # stable across versions: "<course id>:<item key>"
    title: str
    kind: str
    modality: str
    minutes: int
    order: int  # course order (courses, then modules, then items), for stable choices
    teaches: frozenset[str] = frozenset()
    assesses: frozenset[str] = frozenset()
    prerequisites: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()  # items that can stand in for this one


@dataclass(frozen=True)
class Goal:
    ref: str
    title: str
    competencies: frozenset[str]


@dataclass(frozen=True)
class Package:
    ref: str
    title: str
    items: tuple[tuple[str, bool], ...]  # (item ref, mandatory)


@dataclass(frozen=True)
class Assignment:
    """What the organisation asks of the learner, by ``due`` (None: no date).

    ``competencies`` are covered like a goal's, ``items`` are planned like a package's required
    items. ``redo`` names items done before that count no more (a recertification re-opened
    them): they are planned again, and the assignment's competencies are taught again."""

    ref: str
    title: str
    due: date | None = None
    competencies: frozenset[str] = frozenset()
    items: tuple[str, ...] = ()
    redo: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FailedCheck:
    item: str  # the check's ref
    competencies: frozenset[str]


@dataclass(frozen=True)
class LearnerState:
    mastered: frozenset[str] = frozenset()
    completed: frozenset[str] = frozenset()
    failed_checks: tuple[FailedCheck, ...] = ()  # since the last pass of the same check
    shown_in_placement: frozenset[str] = frozenset()  # the subset of ``mastered`` shown there


@dataclass(frozen=True)
class Calendar:
    start: date
    weekly_minutes: int
    target: date | None = None
    preferred_modalities: frozenset[str] = frozenset(MODALITIES)
    live_dates: tuple[tuple[str, tuple[date, ...]], ...] = ()  # (item ref, dates the learner can attend)

    def dates_for(self, ref: str) -> tuple[date, ...]:
        return next((dates for item, dates in self.live_dates if item == ref), ())


@dataclass(frozen=True)
class Choices:
    """What the learner chose on their path: an alternative instead of a step, and where
    optional steps go."""

    swaps: tuple[tuple[str, str], ...] = ()  # (item ref, the alternative ref to do instead)
    # (optional step ref, the step ref it goes just before, or None for "last"), applied in order
    moves: tuple[tuple[str, str | None], ...] = ()


# --- output ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """Why a step is there (or was left out): a code the pages translate, with its values."""

    code: str  # teaches, assesses, prerequisite, mandatory, optional, remediation, retry,
    #            preferred_modality, live_unavailable, your_choice, mastered, placement, not_needed,
    #            assigned (goal: the assignment's title)
    competency: str | None = None
    goal: str | None = None
    item: str | None = None  # a title


@dataclass(frozen=True)
class Step:
    ref: str
    title: str
    kind: str
    modality: str
    minutes: int
    week: int | None  # 0 = the week starting on ``Calendar.start``; None for done steps
    due: date | None
    reasons: tuple[Reason, ...]
    done: bool = False
    optional: bool = False
    live_date: date | None = None
    again: bool = False  # done before, back on the path after a failed check (remediation or retry)
    # The earliest due date of the assignments this step serves, or of steps that need it.
    assigned_due: date | None = None


@dataclass(frozen=True)
class Skipped:
    ref: str
    title: str
    reason: Reason


@dataclass(frozen=True)
class AtRisk:
    """An assignment whose open steps do not all start by its due date: ``finish`` is the last
    day of the week its last open step is planned in."""

    ref: str
    title: str
    due: date
    finish: date


@dataclass(frozen=True)
class Feasibility:
    """Whether the journey makes its target date.

    ``finished``: no open required step is left (optional ones may be): the path is done and
    so ``reachable``, whatever the date. Otherwise ``reachable`` is False exactly when the last
    open step falls due after the target; ``late_by_days`` says by how much, and
    ``weekly_minutes_needed`` is the weekly budget that would make it, or None when no budget
    would (a target already past, or a live session after it).
    """

    reachable: bool
    finish: date  # the due date of the last open step (``Calendar.start`` if none)
    weeks_needed: int
    remaining_minutes: int
    late_by_days: int = 0
    weekly_minutes_needed: int | None = None  # what would make the target, if anything would
    finished: bool = False
    at_risk: tuple[AtRisk, ...] = ()  # assignments the plan does not make in time

    @property
    def status(self) -> str:
        """``finished``, ``on_track`` or ``late``: what the pages and the API say."""
        if self.finished:
            return "finished"
        return "on_track" if self.reachable else "late"


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    skipped: tuple[Skipped, ...]
    unmet: tuple[str, ...]  # competencies no item teaches or assesses
    feasibility: Feasibility

    @property
    def open_steps(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if not step.done)


# --- the planner -------------------------------------------------------------------------


@dataclass
class _Pick:
    item: CatalogueItem
    reasons: list[Reason] = field(default_factory=list)
    optional: bool = False

    def add(self, reason: Reason) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)


def plan(
    goals: Iterable[Goal],
    catalogue: Iterable[CatalogueItem],
    state: LearnerState,
    calendar: Calendar,
    package: Package | None = None,
    choices: Choices | None = None,
    assignments: Iterable[Assignment] = (),
) -> Plan:
    """The learner's plan. Deterministic: the same input always gives the same plan."""
    chosen_swaps = dict(choices.swaps) if choices is not None else {}
    moves = choices.moves if choices is not None else ()
    goals = sorted(goals, key=lambda g: (g.ref, g.title, sorted(g.competencies)))
    assignments = sorted(set(assignments), key=_assignment_key)
    items: dict[str, CatalogueItem] = {}
    for item in sorted(catalogue, key=_catalogue_key):
        items.setdefault(item.ref, item)  # a duplicate ref keeps its earliest item, whatever the input order
    redo = frozenset(ref for a in assignments for ref in a.redo)
    if redo:  # a recertification: what was done before counts no more for these
        relearn = frozenset(c for a in assignments if a.redo for c in a.competencies)
        state = replace(state, completed=state.completed - redo, mastered=state.mastered - relearn,
                        shown_in_placement=state.shown_in_placement - relearn)  # fmt: skip
    failed = {c for check in state.failed_checks for c in check.competencies}
    mastered = state.mastered - failed
    goal_of = {}
    for goal in goals:
        for competency in sorted(goal.competencies):
            goal_of.setdefault(competency, goal.title)
    for assignment in assignments:
        for competency in sorted(assignment.competencies):
            goal_of.setdefault(competency, assignment.title)
    needed = sorted(set(goal_of) - mastered)

    picks: dict[str, _Pick] = {}
    skipped: dict[str, Skipped] = {}

    def pick(item: CatalogueItem, reason: Reason, optional: bool = False) -> _Pick:
        chosen = picks.get(item.ref)
        if chosen is None:
            chosen = picks[item.ref] = _Pick(item, optional=optional)
        elif not optional:
            chosen.optional = False
        chosen.add(reason)
        return chosen

    def teaches_only_mastered(item: CatalogueItem) -> bool:
        return bool(item.teaches) and item.teaches <= mastered and not (item.assesses - mastered)

    # 1. The package's items, when one was chosen.
    if package is not None:
        for ref, mandatory in package.items:
            item = items.get(ref)
            if item is None:
                continue
            if teaches_only_mastered(item) and ref not in state.completed:
                skipped[ref] = Skipped(ref, item.title, _mastered_reason(item, mastered, state))
                continue
            if mandatory:
                pick(item, Reason("mandatory", goal=package.title))
            else:
                pick(item, Reason("optional", goal=package.title), optional=True)

    # 1b. What the organisation assigns by item: planned like a package's required items.
    for assignment in assignments:
        for ref in assignment.items:
            item = items.get(ref)
            if item is None:
                continue
            if teaches_only_mastered(item) and ref not in state.completed:
                skipped.setdefault(ref, Skipped(ref, item.title, _mastered_reason(item, mastered, state)))
                continue
            pick(item, Reason("assigned", goal=assignment.title))

    # 2. Cover what is still needed: one item teaching, one assessing, each competency.
    unmet = []
    for competency in needed:
        for role in ("teaches", "assesses"):
            covering = sorted(
                (p for p in picks.values() if competency in getattr(p.item, role)), key=lambda p: p.item.order
            )
            if covering:
                for p in covering:
                    p.add(Reason(role, competency=competency, goal=goal_of[competency]))
                if all(p.optional for p in covering):
                    covering[0].optional = False  # the goal needs it, whatever the package says
                continue
            candidates = [i for i in items.values() if competency in getattr(i, role)]
            if not candidates:
                unmet.append(competency)
                continue
            best = min(candidates, key=lambda i: (
                i.ref not in state.completed,
                i.modality not in calendar.preferred_modalities,
                bool(i.teaches & mastered),  # rather not go over what the learner has shown
                i.order,
            ))  # fmt: skip
            chosen = pick(best, Reason(role, competency=competency, goal=goal_of[competency]))
            first = min(candidates, key=lambda i: i.order)
            if first is not best and first.modality not in calendar.preferred_modalities:
                chosen.add(Reason("preferred_modality", item=first.title))
    unmet = sorted(set(unmet))

    # 3. Remediation after a failed check: teach the competency again, then retry the check.
    for check in sorted(state.failed_checks, key=lambda c: c.item):
        check_item = items.get(check.item)
        for competency in sorted(check.competencies):
            teachers = [i for i in items.values() if competency in i.teaches]
            if teachers:
                best = min(teachers, key=lambda i: (i.modality not in calendar.preferred_modalities, i.order))
                pick(best, Reason("remediation", competency=competency, item=check_item.title if check_item else None))
        if check_item is not None:
            pick(check_item, Reason("retry", item=check_item.title))

    # 4. Swap for an alternative in a preferred modality, and live sessions without a date.
    for ref in sorted(picks, key=lambda r: items[r].order):
        chosen = picks.get(ref)
        if chosen is None:
            continue
        item = chosen.item
        swap_reason = None
        if chosen_swaps.get(ref) in item.alternatives and chosen_swaps[ref] in items and ref not in state.completed:
            stand_in = items[chosen_swaps[ref]]
            must_teach = {r.competency for r in chosen.reasons if r.code in ("teaches", "remediation")}
            must_assess = {r.competency for r in chosen.reasons if r.code == "assesses"}
            usable = stand_in.modality != "live" or _usable_dates(calendar.dates_for(stand_in.ref), calendar.start)
            if must_teach <= stand_in.teaches and must_assess <= stand_in.assesses and usable:
                del picks[ref]
                replacement = pick(stand_in, Reason("your_choice", item=item.title), optional=chosen.optional)
                for reason in chosen.reasons:
                    replacement.add(reason)
                continue
        if item.modality not in calendar.preferred_modalities:
            swap_reason = Reason("preferred_modality", item=item.title)
        elif item.modality == "live" and not _usable_dates(calendar.dates_for(ref), calendar.start):
            swap_reason = Reason("live_unavailable", item=item.title)
        if swap_reason is None or ref in state.completed:
            continue
        # A stand-in must cover whatever the item was chosen to teach or assess.
        must_teach = {r.competency for r in chosen.reasons if r.code in ("teaches", "remediation")}
        must_assess = {r.competency for r in chosen.reasons if r.code == "assesses"}
        options = [items[a] for a in item.alternatives if a in items]
        options = [a for a in options if a.modality in calendar.preferred_modalities and not teaches_only_mastered(a)
                   and must_teach <= a.teaches and must_assess <= a.assesses
                   and (a.modality != "live" or _usable_dates(calendar.dates_for(a.ref), calendar.start))]  # fmt: skip
        if options:
            stand_in = min(options, key=lambda i: i.order)
            del picks[ref]
            replacement = pick(stand_in, swap_reason, optional=chosen.optional)
            for reason in chosen.reasons:
                replacement.add(reason)

    # 5. Prerequisites, transitively, before what needs them.
    queue = sorted(picks, key=lambda r: items[r].order)
    while queue:
        ref = queue.pop(0)
        for prerequisite in picks[ref].item.prerequisites:
            item = items.get(prerequisite)
            if item is None or prerequisite == ref:
                continue
            if prerequisite in picks:
                picks[prerequisite].add(Reason("prerequisite", item=picks[ref].item.title))
                picks[prerequisite].optional = picks[prerequisite].optional and picks[ref].optional
                continue
            if prerequisite not in state.completed and teaches_only_mastered(item):
                skipped.setdefault(
                    prerequisite, Skipped(prerequisite, item.title, _mastered_reason(item, mastered, state))
                )
                continue
            pick(item, Reason("prerequisite", item=picks[ref].item.title), optional=picks[ref].optional)
            queue.append(prerequisite)

    # 6. What the learner already did for these goals stays on the path, as done.
    in_package = {ref for ref, _ in package.items} if package is not None else set()
    for ref in sorted(state.completed & set(items), key=lambda r: items[r].order):
        item = items[ref]
        served = sorted((item.teaches | item.assesses) & set(goal_of))
        if ref in picks or not (served or ref in in_package):
            continue
        competency = served[0] if served else None
        role = "teaches" if competency in item.teaches else "assesses"
        pick(item, Reason(role, competency=competency, goal=goal_of.get(competency)) if competency
             else Reason("mandatory" if dict(package.items).get(ref) else "optional", goal=package.title))  # fmt: skip
        skipped.pop(ref, None)

    # 7. Whatever the goals' courses offer that was not chosen, and why (an item skipped early,
    #    then needed after all, say to retry a check or as the learner's own swap, is not skipped).
    for ref in picks:
        skipped.pop(ref, None)
    for item in items.values():
        if item.ref in picks or item.ref in skipped:
            continue
        if (item.teaches | item.assesses) and (item.teaches | item.assesses) <= mastered:
            skipped[item.ref] = Skipped(item.ref, item.title, _mastered_reason(item, mastered, state))
        else:
            skipped[item.ref] = Skipped(item.ref, item.title, Reason("not_needed"))

    # 8. Mark what each assignment asks for, and give it (and what it needs) its due date.
    due_of: dict[str, date] = {}
    for assignment in assignments:
        for ref, chosen in picks.items():
            # Already marked: a stand-in for an assigned item (step 4) serves the assignment too.
            asked_for = Reason("assigned", goal=assignment.title)
            serves = ref in assignment.items or asked_for in chosen.reasons or any(
                r.competency in assignment.competencies for r in chosen.reasons
                if r.code in ("teaches", "assesses", "remediation")
            )  # fmt: skip
            if not serves:
                continue
            chosen.add(asked_for)
            if assignment.due is not None and (ref not in due_of or assignment.due < due_of[ref]):
                due_of[ref] = assignment.due
    # Until nothing changes, not one pass in order: prerequisites may form a cycle, and then no
    # order visits every dependant before what it needs. Dates only move earlier, so this ends.
    waiting = sorted(due_of)
    while waiting:
        ref = waiting.pop()
        for prerequisite in picks[ref].item.prerequisites:
            if prerequisite in picks and due_of.get(prerequisite, date.max) > due_of[ref]:
                due_of[prerequisite] = due_of[ref]
                waiting.append(prerequisite)

    ordered = _order(picks, items, due_of)
    for ref, before in moves:
        if ref in picks and picks[ref].optional and ref not in state.completed:
            ordered = _move_step(ordered, picks, ref, before)
    steps = _schedule(ordered, picks, state, calendar, due_of)

    def reschedule(weekly_minutes: int) -> list[Step]:
        return _schedule(ordered, picks, state, replace(calendar, weekly_minutes=weekly_minutes), due_of)

    feasibility = _feasibility(steps, calendar, reschedule)
    return Plan(
        steps=tuple(steps),
        skipped=tuple(sorted(skipped.values(), key=lambda s: items[s.ref].order)),
        unmet=tuple(unmet),
        feasibility=replace(feasibility, at_risk=_at_risk(steps, assignments, calendar)),
    )


def _assignment_key(assignment: Assignment) -> tuple:
    return (assignment.due or date.max, assignment.ref, assignment.title, sorted(assignment.competencies),
            assignment.items, sorted(assignment.redo))  # fmt: skip


def _at_risk(steps: list[Step], assignments: list[Assignment], calendar: Calendar) -> tuple[AtRisk, ...]:
    """The dated assignments with an open step planned in a week that begins after the due date."""
    found = []
    for assignment in assignments:
        if assignment.due is None:
            continue
        mine = [
            s for s in steps if not s.done and not s.optional and Reason("assigned", goal=assignment.title) in s.reasons
        ]
        late = [s for s in mine if calendar.start + timedelta(days=7 * (s.week or 0)) > assignment.due]
        if late:
            finish = max(s.due for s in mine if s.due is not None)
            found.append(AtRisk(assignment.ref, assignment.title, assignment.due, finish))
    return tuple(found)


def _catalogue_key(item: CatalogueItem) -> tuple:
    """A total order on catalogue items, so that duplicates resolve the same way every time."""
    return (item.order, item.ref, item.title, item.kind, item.modality, item.minutes, sorted(item.teaches),
            sorted(item.assesses), item.prerequisites, item.alternatives)  # fmt: skip


def _mastered_reason(item: CatalogueItem, mastered: frozenset[str], state: LearnerState) -> Reason:
    shown = sorted((item.teaches | item.assesses) & mastered)
    code = "mastered"
    competency = shown[0] if shown else None
    if competency is not None and competency in state.shown_in_placement:
        code = "placement"
    return Reason(code, competency=competency)


def _usable_dates(dates: tuple[date, ...], start: date) -> tuple[date, ...]:
    return tuple(sorted(d for d in dates if d >= start))


def _order(
    picks: dict[str, _Pick], items: dict[str, CatalogueItem], due_of: dict[str, date] | None = None
) -> list[str]:
    """Prerequisites first, then the earliest assigned due date (``due_of``; undated last),
    otherwise course order (Kahn's algorithm with a priority queue).

    A prerequisite cycle (never in a published course) cannot be honoured inside itself: its
    items keep course order among themselves, while everything outside the cycle still comes
    after what it needs and before what needs it.
    """
    needs = {ref: {p for p in picks[ref].item.prerequisites if p in picks and p != ref} for ref in picks}
    component = _components(needs, items)
    needs = {ref: {p for p in deps if component[p] != component[ref]} for ref, deps in needs.items()}
    waiting = {ref: len(deps) for ref, deps in needs.items()}
    needed_by: dict[str, list[str]] = {ref: [] for ref in picks}
    for ref, deps in needs.items():
        for dep in deps:
            needed_by[dep].append(ref)
    due_of = due_of or {}

    def priority(ref: str) -> tuple:
        return (due_of.get(ref, date.max), items[ref].order, ref)

    ready = [priority(ref) for ref, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        *_, ref = heapq.heappop(ready)
        ordered.append(ref)
        for dependant in needed_by[ref]:
            waiting[dependant] -= 1
            if waiting[dependant] == 0:
                heapq.heappush(ready, priority(dependant))
    return ordered


def _components(needs: dict[str, set[str]], items: dict[str, CatalogueItem]) -> dict[str, int]:
    """The strongly connected component of each ref in the prerequisite graph (Tarjan's
    algorithm, iterative so a long chain of prerequisites cannot exhaust the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    component: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in sorted(needs, key=lambda r: items[r].order):
        if root in index:
            continue
        work = [(root, iter(sorted(needs[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            ref, edges = work[-1]
            for dep in edges:
                if dep not in index:
                    index[dep] = low[dep] = len(index)
                    stack.append(dep)
                    on_stack.add(dep)
                    work.append((dep, iter(sorted(needs[dep]))))
                    break
                if dep in on_stack:
                    low[ref] = min(low[ref], index[dep])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[ref])
                if low[ref] == index[ref]:
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component[member] = index[ref]
                        if member == ref:
                            break
    return component


def _move_step(ordered: list[str], picks: dict[str, _Pick], ref: str, before: str | None) -> list[str]:
    """``ordered`` with ``ref`` just before ``before`` (last when None or not on the path);
    unchanged when that would put it before a step it needs or after a step that needs it."""
    moved = [r for r in ordered if r != ref]
    at = moved.index(before) if before in moved else len(moved)
    moved.insert(at, ref)
    earlier = set(moved[:at])
    needs = {p for p in picks[ref].item.prerequisites if p in picks and p != ref}
    needed_by = {r for r in picks if ref in picks[r].item.prerequisites and r != ref}
    if needs <= earlier and not (needed_by & earlier):
        return moved
    return ordered


def _schedule(ordered: list[str], picks: dict[str, _Pick], state: LearnerState, calendar: Calendar,
              due_of: dict[str, date]) -> list[Step]:  # fmt: skip
    """Done steps first, then open ones week by week within the weekly minutes."""
    budget = max(calendar.weekly_minutes, 1)
    done, open_steps = [], []
    week, used = 0, 0
    for ref in ordered:
        chosen = picks[ref]
        item = chosen.item
        reasons = tuple(chosen.reasons)
        if ref in state.completed and not any(r.code in ("retry", "remediation") for r in reasons):
            done.append(Step(ref, item.title, item.kind, item.modality, item.minutes, None, None, reasons, done=True,
                             optional=chosen.optional, assigned_due=due_of.get(ref)))  # fmt: skip
            continue
        live_date = None
        if item.modality == "live":
            live_date = _first_live_date(calendar.dates_for(ref), calendar, week, used, item.minutes, budget)
            if live_date is not None and _week_of(live_date, calendar) > week:
                week, used = _week_of(live_date, calendar), 0
        if live_date is None and used and used + item.minutes > budget:
            week, used = week + 1, 0
        used += item.minutes
        due = live_date or calendar.start + timedelta(days=7 * week + 6)
        open_steps.append(Step(ref, item.title, item.kind, item.modality, item.minutes, week, due, reasons,
                               optional=chosen.optional, live_date=live_date, again=ref in state.completed,
                               assigned_due=due_of.get(ref)))  # fmt: skip
    return done + open_steps


def _first_live_date(dates, calendar: Calendar, week: int, used: int, minutes: int, budget: int) -> date | None:
    """The first date the learner can attend from ``week`` on, in a week with room for it."""
    for day in _usable_dates(dates, calendar.start):
        session_week = _week_of(day, calendar)
        if session_week > week or (session_week == week and (not used or used + minutes <= budget)):
            return day
    return None


def _week_of(day: date, calendar: Calendar) -> int:
    return (day - calendar.start).days // 7


def _feasibility(steps: list[Step], calendar: Calendar, reschedule: Callable[[int], list[Step]]) -> Feasibility:
    """Whether the steps make the target date (see ``Feasibility``); ``reschedule`` plans the
    same steps with another weekly budget, to find the budget that would make it."""
    open_steps = [s for s in steps if not s.done]
    remaining = sum(s.minutes for s in open_steps)
    weeks_needed = max((s.week + 1 for s in open_steps), default=0)
    finish = _finish(open_steps, calendar)
    finished = all(s.optional for s in open_steps)
    if finished or calendar.target is None or finish <= calendar.target:
        return Feasibility(True, finish, weeks_needed, remaining, finished=finished)
    return Feasibility(False, finish, weeks_needed, remaining, (finish - calendar.target).days,
                       _weekly_minutes_needed(open_steps, calendar, reschedule))  # fmt: skip


def _finish(open_steps: list[Step], calendar: Calendar) -> date:
    return max((s.due for s in open_steps if s.due is not None), default=calendar.start)


def _weekly_minutes_needed(open_steps: list[Step], calendar: Calendar,
                           reschedule: Callable[[int], list[Step]]) -> int | None:  # fmt: skip
    """The least weekly budget with which the open steps make the target, or None when none
    would: a budget of all the remaining minutes puts every self-paced step in this week and
    every live one on its first date, and more cannot do better (a target already past, or a
    live session after it, stays missed)."""
    target = calendar.target
    if target is None:
        return None

    def makes_it(budget: int) -> bool:
        return _finish([s for s in reschedule(budget) if not s.done], calendar) <= target

    low = max(calendar.weekly_minutes, 1)  # the budget the plan was made with, which misses it
    high = max(sum(s.minutes for s in open_steps), 1)
    if high <= low or not makes_it(high):
        return None
    while high - low > 1:  # a larger budget never finishes later, so halve the gap
        middle = (low + high) // 2
        if makes_it(middle):
            high = middle
        else:
            low = middle
    return high
