"""Every reason the planner gives reads as its own sentence in every language, with the
goal, item and competency it names, and never as another reason's or the fallback's words."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lxp.learning.reasons import back_text, card_reason, reason_text
from lxp.paths.planner import Reason, Step

# Every code ``planner.Reason`` documents, but ``not_needed`` (the fallback's own).
CODES = ("teaches", "assesses", "prerequisite", "mandatory", "optional", "remediation", "retry",
         "preferred_modality", "live_unavailable", "your_choice", "mastered", "placement", "assigned")  # fmt: skip
# What each sentence names: the competency (c), the goal or package (g), the item (i).
NAMES = {"teaches": "cg", "assesses": "cg", "prerequisite": "i", "mandatory": "g", "optional": "g", "remediation": "ci",
         "retry": "i", "preferred_modality": "i", "live_unavailable": "i", "your_choice": "i", "mastered": "c",
         "placement": "c", "assigned": "g"}  # fmt: skip
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)


def _step(*reasons, again=False):
    return Step(ref="1:a", title="A", kind="lesson", modality="self_paced", minutes=5, week=0, due=None,
                reasons=tuple(reasons), again=again)  # fmt: skip


@pytest.mark.parametrize("locale", ["en", "de", "ru"])
def test_each_code_has_its_own_sentence_naming_what_it_is_about(app, locale):
    with app.test_request_context(headers={"Accept-Language": locale}):
        fallback = reason_text(Reason("not_needed"), {})
        sentences = set()
        for code in CODES:
            reason = Reason(code, competency="c1", goal="Goal G", item="Item I")
            text = reason_text(reason, {"c1": "Listening"})
            assert text != fallback, code
            named = {"c": "Listening", "g": "Goal G", "i": "Item I"}
            assert all(named[part] in text for part in NAMES[code]), (code, text)
            sentences.add(text)
        assert len(sentences) == len(CODES)


@given(goal=words, item=words, competency=words)
def test_any_title_reads_as_written(app, goal, item, competency):
    # As plain text ("&", "<" and "%(x)s" stay themselves): pages escape it, the API sends it.
    with app.test_request_context():
        for code in CODES:
            text = reason_text(Reason(code, competency="c", goal=goal, item=item), {"c": competency})
            named = {"c": competency, "g": goal, "i": item}
            assert all(named[part] in text for part in NAMES[code]), (code, text)


def test_a_step_back_after_a_check_says_which_check_and_which_gaps(app):
    with app.test_request_context():
        names = {"c1": "Listening", "c2": "Summarising", "c3": "Other"}
        back = _step(Reason("remediation", competency="c1", item="Check 1"),
                     Reason("remediation", competency="c2", item="Check 1"),
                     Reason("remediation", competency="c3", item="Check 2"), again=True)  # fmt: skip
        assert back_text(back, names) == "Back because the check “Check 1” showed a gap in Listening, Summarising"
        assert card_reason(back, names) == back_text(back, names)
        retry = _step(Reason("retry", item="Check 1"), again=True)
        assert back_text(retry, names) == "Back for another try: you did not pass “Check 1” yet"
        assert back_text(_step(Reason("retry", item="Check 1")), names) == ""  # not done before: not back
        assigned = _step(Reason("teaches", competency="c1", goal="G"), Reason("assigned", goal="Safety"))
        assert card_reason(assigned, names, {"Safety": "Mia Maier"}) == "Asked by your manager Mia Maier: “Safety”"
        assert card_reason(_step(), names) == ""
