"""The coverage check, on small hand-made courses."""

from hypothesis import given
from hypothesis import strategies as st

from lxp.authoring.coverage import ItemSpec, OutcomeSpec, check, find_cycles

LISTEN = OutcomeSpec("o1", "I can listen so the customer feels heard", frozenset({"listening"}))
RECOVER = OutcomeSpec("o2", "I can turn a complaint into trust", frozenset({"recovery", "empathy"}))


def item(ref, minutes=5, teaches=(), assesses=(), prerequisites=(), short_block=True):
    return ItemSpec(
        ref, f"Item {ref}", minutes, frozenset(teaches), frozenset(assesses), tuple(prerequisites), short_block
    )


def test_a_fully_covered_course_passes():
    items = [
        item("a", teaches={"listening"}),
        item("b", assesses={"listening"}, prerequisites=["a"]),
        item("c", teaches={"recovery", "empathy"}),
        item("d", assesses={"recovery", "empathy"}, prerequisites=["c", "b"]),
    ]
    report = check([LISTEN, RECOVER], items, promised_minutes=20)
    assert not report.has_errors and not report.has_warnings
    assert report.total_minutes == 20


def test_each_competency_needs_teaching_and_assessment():
    items = [item("a", teaches={"listening"}), item("c", teaches={"recovery"}, assesses={"recovery", "listening"})]
    report = check([LISTEN, RECOVER], items, promised_minutes=10)
    assert [(g.outcome.ref, g.competency, g.missing) for g in report.gaps] == [
        ("o2", "empathy", "teaching"),
        ("o2", "empathy", "assessment"),
    ]
    assert report.has_errors


def test_outcome_without_competency_and_idle_items_are_errors():
    vague = OutcomeSpec("o3", "I feel better", frozenset())
    items = [item("a", teaches={"listening"}, assesses={"listening"}), item("x", teaches={"golf"})]
    report = check([LISTEN, vague], items, promised_minutes=10)
    assert report.outcomes_without_competency == [vague]
    assert [i.ref for i in report.idle_items] == ["x"]


def test_a_cycle_is_named_item_by_item_in_dependency_order():
    items = [
        item("a", teaches={"listening"}, prerequisites=["c"]),
        item("b", assesses={"listening"}, prerequisites=["a"]),
        item("c", teaches={"listening"}, prerequisites=["b"]),
        item("d", assesses={"listening"}, prerequisites=["d"]),  # needs itself
        item("e", assesses={"listening"}, prerequisites=["a"]),
    ]
    report = check([LISTEN], items, promised_minutes=25)
    assert [[i.ref for i in cycle] for cycle in report.cycles] == [["a", "c", "b"], ["d"]]
    assert report.has_errors


def test_effort_outside_tolerance_and_long_blocks_are_warnings_only():
    items = [
        item("a", minutes=14, teaches={"listening"}),
        item("b", minutes=6, assesses={"listening"}),
        item("live", minutes=90, teaches={"listening"}, short_block=False),
    ]
    report = check([LISTEN], items, promised_minutes=60)
    assert not report.has_errors
    assert report.effort_warning and round(report.effort_off_by, 2) == 0.83
    assert [i.ref for i in report.long_blocks] == ["a"]
    assert not check([LISTEN], items, promised_minutes=100).effort_warning  # 10 % off


@given(st.lists(st.lists(st.integers(0, 11), max_size=3), min_size=1, max_size=12))
def test_cycles_found_exactly_when_the_graph_has_one(prerequisite_lists):
    items = [item(str(n), prerequisites=[str(p) for p in ps]) for n, ps in enumerate(prerequisite_lists)]
    refs = {i.ref for i in items}
    edges = {i.ref: [p for p in i.prerequisites if p in refs] for i in items}

    def acyclic():  # Kahn's algorithm as an independent oracle
        indegree = {r: 0 for r in refs}
        for r in refs:
            for p in edges[r]:
                indegree[p] += 1
        ready = [r for r in refs if indegree[r] == 0]
        seen = 0
        while ready:
            node = ready.pop()
            seen += 1
            for p in edges[node]:
                indegree[p] -= 1
                if indegree[p] == 0:
                    ready.append(p)
        return seen == len(refs)

    cycles = find_cycles(items)
    assert (not cycles) == acyclic()
    for cycle in cycles:  # every reported cycle is a real one
        refs_in_order = [i.ref for i in cycle]
        for here, there in zip(refs_in_order, refs_in_order[1:] + refs_in_order[:1], strict=True):
            assert there in edges[here]


def test_an_item_and_its_stand_in_count_once_for_effort():
    live = ItemSpec("live", "Live practice", 60, frozenset({"listening"}), short_block=False, alternatives=("self",))
    self_study = ItemSpec("self", "Self-study practice", 10, frozenset({"listening"}))
    check_item = item("quiz", minutes=5, assesses={"listening"})
    report = check([LISTEN], [live, self_study, check_item], promised_minutes=65)
    assert report.total_minutes == 65 and not report.effort_warning


def test_an_empty_course_is_not_covered_and_says_what_is_missing():
    empty = check([], [], promised_minutes=0)
    assert empty.has_errors and empty.no_outcomes and empty.no_items

    no_items = check([LISTEN], [], promised_minutes=10)
    assert no_items.has_errors and no_items.no_items and not no_items.no_outcomes
    assert [(g.competency, g.missing) for g in no_items.gaps] == [
        ("listening", "teaching"),
        ("listening", "assessment"),
    ]

    no_outcomes = check([], [item("a", teaches={"listening"})], promised_minutes=5)
    assert no_outcomes.has_errors and no_outcomes.no_outcomes and not no_outcomes.no_items
    assert no_outcomes.idle_items == []  # the missing outcomes are the news, not every item listed as idle
