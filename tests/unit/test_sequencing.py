"""SCORM 2004 sequencing for a package played as one item: the manifest's controls and rollup
read, navigation by the control modes, ``request_valid`` agreeing with navigation, and the
rollup over the tracked SCOs (pure; Hypothesis over any tree, position and progress)."""

from hypothesis import given
from hypothesis import strategies as st

from lxp.packages.manifest import read_scorm
from lxp.packages.sequencing import INVALID, Controls, Progress, Tree, navigate, rollup, valid_requests
from tests.package_builder import sequenced_manifest

FILES = frozenset({"unit/index.html"})


def test_the_manifest_s_controls_rollup_and_what_lxp_does_not_play_are_read():
    rules = '<imsss:sequencingRules><imsss:preConditionRule/></imsss:sequencingRules><imsss:limitConditions attemptLimit="1"/>'
    description = read_scorm(sequenced_manifest(choice=False, extra=rules).encode(), FILES)
    assert [u.identifier for u in description.units] == ["item-1", "item-2"]
    assert description.sequencing == {
        "choice": False, "flow": True, "forward_only": True, "completion": "all", "satisfaction": "all",
        "no_completion": [], "no_satisfaction": ["item-1"], "unsupported": ["limitConditions", "sequencingRules"],
    }  # fmt: skip


def test_a_manifest_without_sequencing_gets_scorm_s_defaults():
    lesson = "<imsss:sequencing><imsss:deliveryControls tracked='false'/></imsss:sequencing>"
    manifest = sequenced_manifest(lesson=lesson).replace("<imsss:controlMode", "<imsss:controlModeX")
    sequencing = read_scorm(manifest.encode(), FILES).sequencing
    assert (sequencing["choice"], sequencing["flow"], sequencing["forward_only"]) == (True, False, False)
    assert sequencing["no_completion"] == sequencing["no_satisfaction"] == ["item-1"]


FLOW = Tree(("a", "b", "c"), Controls(choice=True, flow=True, forward_only=False))


def test_continue_and_previous_follow_the_order_and_continue_past_the_last_ends_the_package():
    assert navigate(FLOW, None, "start").target == "a"
    assert navigate(FLOW, "a", "continue").target == "b"
    assert navigate(FLOW, "b", "previous").target == "a"
    assert navigate(FLOW, "a", "previous") == INVALID
    assert navigate(FLOW, "c", "continue").action == "end"
    assert navigate(FLOW, "b", "{target=c}choice").target == "c"
    assert navigate(FLOW, "b", "{target=zz}choice") == INVALID
    assert navigate(FLOW, "b", "exitAll").action == "end"
    assert navigate(FLOW, "b", "suspendAll").action == "leave"
    assert navigate(FLOW, "b", "_none_").action == "stay"
    assert navigate(FLOW, "b", "resume").target == "b"


def test_forward_only_refuses_going_back_and_no_flow_refuses_continue():
    forward = Tree(("a", "b", "c"), Controls(choice=True, flow=True, forward_only=True))
    assert navigate(forward, "b", "previous") == INVALID
    assert navigate(forward, "b", "{target=a}choice") == INVALID
    assert navigate(forward, "b", "{target=c}choice").target == "c"
    choice_only = Tree(("a", "b"))
    assert navigate(choice_only, "a", "continue") == INVALID
    assert navigate(choice_only, "a", "{target=b}choice").target == "b"
    no_choice = Tree(("a", "b"), Controls(choice=False, flow=True))
    assert navigate(no_choice, "a", "{target=b}choice") == INVALID


trees = st.builds(
    lambda n, choice, flow, forward: Tree(tuple(f"s{i}" for i in range(n)), Controls(choice, flow, forward)),
    st.integers(1, 6), st.booleans(), st.booleans(), st.booleans(),
)  # fmt: skip


@given(trees, st.data())
def test_request_valid_says_exactly_what_navigation_allows(tree, data):
    current = data.draw(st.sampled_from((None, *tree.scos)))
    valid = valid_requests(tree, current)
    assert valid["continue"] == ("false" if navigate(tree, current, "continue") == INVALID else "true")
    assert valid["previous"] == ("false" if navigate(tree, current, "previous") == INVALID else "true")
    for sco, allowed in valid["choice"].items():
        assert allowed == ("false" if navigate(tree, current, f"{{target={sco}}}choice") == INVALID else "true")


@given(trees, st.data(), st.sampled_from(["continue", "previous", "choice", "exit", "exitAll", "suspendAll"]))
def test_navigation_never_leaves_the_package_and_forward_only_never_goes_back(tree, data, request):
    current = data.draw(st.sampled_from(tree.scos))
    if request == "choice":
        request = f"{{target={data.draw(st.sampled_from(tree.scos))}}}choice"
    outcome = navigate(tree, current, request)
    if outcome.action == "deliver":
        assert outcome.target in tree.scos
        if tree.controls.forward_only:
            assert tree.scos.index(outcome.target) >= tree.scos.index(current)
    if not tree.controls.flow:
        assert request not in ("continue", "previous") or outcome == INVALID


progress = st.builds(Progress, st.booleans(), st.sampled_from([None, True, False]))


@given(st.integers(1, 5), st.data(), st.sampled_from(["all", "any"]))
def test_the_rollup_follows_its_rule_and_untracked_scos_never_change_it(n, data, rule):
    scos = tuple(f"s{i}" for i in range(n))
    excluded = frozenset(data.draw(st.sets(st.sampled_from(scos))))
    tree = Tree(scos, completion=rule, satisfaction=rule, no_completion=excluded, no_satisfaction=excluded)
    states = {s: data.draw(progress) for s in scos}
    whole = rollup(tree, states)
    counted = [s for s in scos if s not in excluded] or list(scos)
    done = [states[s].completed for s in counted]
    assert whole.completed == ((all(done) if rule == "all" else any(done)) or whole.success is not None)
    results = [states[s].success for s in counted]
    if rule == "all":
        assert (whole.success is True) == all(r is True for r in results)
        assert whole.success is not False or (None not in results and False in results)
    else:
        assert (whole.success is True) == any(r is True for r in results)
    changed = {**states, **{s: data.draw(progress) for s in excluded if s not in counted}}
    assert rollup(tree, changed) == whole


def test_the_demo_walkthrough_is_sequenced_with_nothing_lxp_does_not_play():
    import zipfile
    from io import BytesIO

    from lxp.demo.complaint_walkthrough import FILES
    from lxp.demo.package_files import zip_folder

    archive = zipfile.ZipFile(BytesIO(zip_folder(FILES)))
    description = read_scorm(archive.read("imsmanifest.xml"), frozenset(archive.namelist()))
    assert [u.identifier for u in description.units] == ["steps", "order"] and description.units[1].pass_mark == 75
    assert description.sequencing["flow"] and not description.sequencing["forward_only"]
    assert description.sequencing["no_satisfaction"] == ["steps"] and description.sequencing["unsupported"] == []
