"""Previews of Markdown: the words only, safe to escape once, cut at a word."""

from lxp.core.markdown import plain_text, preview


def test_formatting_is_dropped_and_entities_are_plain_characters():
    assert preview("Look for the **feeling** word & _name_ it") == "Look for the feeling word & name it"
    assert preview("- one\n- two\n\n> [a link](https://example.com)") == "one two a link"
    assert preview("`<script>alert(1)</script>`") == "<script>alert(1)</script>"  # text, escaped by the page
    assert plain_text("Tom &amp; Jerry") == "Tom & Jerry"


def test_a_long_text_is_cut_after_a_whole_word_with_an_ellipsis():
    shown = preview("word " * 100, length=40)
    assert shown.endswith("word\u2026") and len(shown) <= 40
    assert preview("x" * 300, length=40) == "x" * 39 + "\u2026"
    assert preview(None) == "" and preview("short") == "short"
