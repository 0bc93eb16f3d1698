"""Authored and written text: Markdown rendered with markdown-it-py, always cleaned by nh3.

Raw HTML in the source is escaped, and the rendered HTML is cleaned again, so neither a
``<script>`` nor a ``javascript:`` link can reach a page, whoever wrote the text.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render(text: str | None) -> Markup:
    """Safe HTML for ``text``; headings start at h2 because the page owns the h1."""
    html = _PARSER.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(  # noqa: S704 (nh3 has just cleaned it)
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        )
    )


def plain_text(text: str | None) -> str:
    """The words of ``text`` without markup, for search and previews."""
    return nh3.clean(_PARSER.render(text or ""), tags=set()).strip()
