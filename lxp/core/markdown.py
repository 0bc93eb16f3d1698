"""Authored and written text: Markdown rendered with markdown-it-py, always cleaned by nh3.

Raw HTML in the source is escaped, and the rendered HTML is cleaned again, so neither a
``<script>`` nor a ``javascript:`` link can reach a page, whoever wrote the text.
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
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


def _image_as_link(renderer, tokens, idx, options, env) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    words = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(words)}</a>'


# In e-mail an image would be fetched by the reader's mail client from wherever its address
# points (a tracking pixel tells its author who read the mail, when and where): each becomes a
# link with its alt text, which loads nothing until it is followed.
_EMAIL_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_EMAIL_PARSER.add_render_rule("image", _image_as_link)


def render_for_email(text: str | None) -> Markup:
    """Safe HTML for ``text`` in an e-mail: as ``render``, but no image (``<img>`` is not even
    allowed through the cleaner); each image is a link to it, named by its alt text."""
    html = _EMAIL_PARSER.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(  # noqa: S704 (nh3 has just cleaned it)
        nh3.clean(
            html,
            tags=ALLOWED_TAGS - {"img"},
            attributes={tag: names for tag, names in ALLOWED_ATTRIBUTES.items() if tag != "img"},
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        )
    )


def plain_text(text: str | None) -> str:
    """The words of ``text`` without markup, for search and previews.

    A plain string (``&`` is ``&``, not ``&amp;``): the page escapes it like any other text, so
    it must never be marked safe.
    """
    return html.unescape(nh3.clean(_PARSER.render(text or ""), tags=set())).strip()


PREVIEW_LENGTH = 140


def preview(text: str | None, length: int = PREVIEW_LENGTH) -> str:
    """Jinja ``preview``: one line of the words of Markdown ``text`` (``**bold**`` reads "bold",
    a list reads as its items), cut at a word before ``length`` characters with an ellipsis."""
    words = " ".join(plain_text(text).split())
    if len(words) <= length:
        return words
    cut = words[: length - 1]
    space = cut.rfind(" ")
    if space > length // 2:  # a very long word is cut inside rather than dropping most of the line
        cut = cut[:space]
    return cut.rstrip(" ,;:.\u2013-") + "\u2026"
