"""The coverage check of a course version: a pure function, no database, no Flask.

Publishing refuses a version with errors; warnings are shown but do not block:

errors
  - no outcomes yet, or no items yet: an empty course covers nothing;
  - an outcome mapped to no competency;
  - a competency of an outcome that no item teaches, or that no item assesses;
  - an item that teaches or assesses none of the outcomes' competencies;
  - a cycle in the prerequisites (named item by item);
warnings
  - total duration (an item and its stand-ins counted once) differs from the promised effort by
    more than the tolerance;
  - a self-paced block longer than 10 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LONG_BLOCK_MINUTES = 10
DEFAULT_TOLERANCE = 0.2


@dataclass(frozen=True)
class OutcomeSpec:
    ref: str
    statement: str
    competencies: frozenset[str]


@dataclass(frozen=True)
class ItemSpec:
    ref: str
    title: str
    minutes: int
    teaches: frozenset[str] = frozenset()
    assesses: frozenset[str] = frozenset()
    prerequisites: tuple[str, ...] = ()
    short_block: bool = True
    alternatives: tuple[str, ...] = ()  # items that can stand in for this one


@dataclass(frozen=True)
class Gap:
    """An outcome whose competency is not taught or not assessed by any item."""

    outcome: OutcomeSpec
    competency: str
    missing: str  # "teaching" or "assessment"


@dataclass
class CoverageReport:
    no_outcomes: bool = False  # nothing is promised yet, so nothing can be covered
    no_items: bool = False  # nothing teaches or assesses yet
    outcomes_without_competency: list[OutcomeSpec] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    idle_items: list[ItemSpec] = field(default_factory=list)
    cycles: list[list[ItemSpec]] = field(default_factory=list)
    long_blocks: list[ItemSpec] = field(default_factory=list)
    total_minutes: int = 0
    promised_minutes: int = 0
    effort_off_by: float = 0.0  # relative difference, e.g. 0.35 for 35 % more or less
    effort_warning: bool = False

    @property
    def has_errors(self) -> bool:
        return bool(
            self.no_outcomes
            or self.no_items
            or self.outcomes_without_competency
            or self.gaps
            or self.idle_items
            or self.cycles
        )

    @property
    def has_warnings(self) -> bool:
        return self.effort_warning or bool(self.long_blocks)


def check(
    outcomes: list[OutcomeSpec],
    items: list[ItemSpec],
    promised_minutes: int,
    tolerance: float = DEFAULT_TOLERANCE,
) -> CoverageReport:
    """Check a version's outcomes against its items; items in course order."""
    report = CoverageReport(promised_minutes=promised_minutes, no_outcomes=not outcomes, no_items=not items)
    taught = set().union(*(item.teaches for item in items)) if items else set()
    assessed = set().union(*(item.assesses for item in items)) if items else set()
    promised = set().union(*(outcome.competencies for outcome in outcomes)) if outcomes else set()

    for outcome in outcomes:
        if not outcome.competencies:
            report.outcomes_without_competency.append(outcome)
        for competency in sorted(outcome.competencies):
            if competency not in taught:
                report.gaps.append(Gap(outcome, competency, "teaching"))
            if competency not in assessed:
                report.gaps.append(Gap(outcome, competency, "assessment"))

    for item in items:
        # without outcomes every item would be idle: the missing outcomes are the one thing to say
        if outcomes and not (item.teaches | item.assesses) & promised:
            report.idle_items.append(item)
        if item.short_block and item.minutes > LONG_BLOCK_MINUTES:
            report.long_blocks.append(item)

    report.cycles = find_cycles(items)
    report.total_minutes = effort_minutes(items)
    if promised_minutes > 0:
        report.effort_off_by = abs(report.total_minutes - promised_minutes) / promised_minutes
        report.effort_warning = report.effort_off_by > tolerance
    return report


def effort_minutes(items: list[ItemSpec]) -> int:
    """The minutes one learner spends: an item's stand-ins are the same slot, counted once."""
    stand_ins: set[str] = set()
    total = 0
    for item in items:
        if item.ref in stand_ins:
            continue
        total += item.minutes
        stand_ins.update(item.alternatives)
    return total


def find_cycles(items: list[ItemSpec]) -> list[list[ItemSpec]]:
    """One cycle per tangle of prerequisites, as the items in the order they depend on each other.

    Deterministic: strongly connected components (Tarjan) in course order, each named by a
    walk from its first item back to itself. Prerequisites naming unknown items are ignored.
    """
    by_ref = {item.ref: item for item in items}
    order = {item.ref: n for n, item in enumerate(items)}
    edges = {item.ref: [p for p in item.prerequisites if p in by_ref] for item in items}

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def strongconnect(start: str) -> None:  # iterative Tarjan, safe for deep graphs
        nonlocal counter
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(edges[successor])))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)

    for item in items:
        if item.ref not in index:
            strongconnect(item.ref)

    cycles = []
    for component in components:
        members = set(component)
        if len(component) == 1 and component[0] not in edges[component[0]]:
            continue
        first = min(component, key=order.__getitem__)
        cycles.append([by_ref[ref] for ref in _walk_back_to(first, edges, members, order)])
    cycles.sort(key=lambda cycle: order[cycle[0].ref])
    return cycles


def _walk_back_to(start: str, edges: dict[str, list[str]], members: set[str], order: dict[str, int]) -> list[str]:
    """A shortest path start -> ... -> start inside one component (breadth-first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        next_frontier = []
        for node in frontier:
            for successor in sorted(edges[node], key=order.__getitem__):
                if successor not in members:
                    continue
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return list(reversed(path))
                if successor not in previous:
                    previous[successor] = node
                    next_frontier.append(successor)
        frontier = next_frontier
    return [start]  # unreachable for a true component
