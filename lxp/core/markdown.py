"""Authored and written text: Markdown rendered with markdown-it-py, always cleaned by nh3.

Raw HTML in the source is escaped, and the rendered HTML is cleaned again, so neither a
``<script>`` nor a ``javascript:`` link can reach a page, whoever wrote the text.

The two libraries are loaded on first use (``load``): the scheduler's jobs render no Markdown,
and they are about 2.5 MB of its memory (issue 20). The web app loads them at start, so gunicorn's
workers share them with the master rather than each loading its own.
"""

from __future__ import annotations

import html
from functools import cache
from types import SimpleNamespace

from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@cache
def load() -> SimpleNamespace:
    """markdown-it-py's parsers (``page``, ``email``) and nh3 (``nh3``), made once."""
    import nh3
    from markdown_it import MarkdownIt

    page = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    # In e-mail an image would be fetched by the reader's mail client from wherever its address
    # points (a tracking pixel tells its author who read the mail, when and where): each becomes a
    # link with its alt text, which loads nothing until it is followed.
    email = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    email.add_render_rule("image", _image_as_link)
    return SimpleNamespace(page=page, email=email, nh3=nh3)


def render(text: str | None) -> Markup:
    """Safe HTML for ``text``; headings start at h2 because the page owns the h1."""
    loaded = load()
    html = loaded.page.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(  # noqa: S704 (nh3 has just cleaned it)
        loaded.nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer nofollow",
        )
    )


def _image_as_link(renderer, tokens, idx, options, env) -> str:
    from markdown_it.common.utils import escapeHtml

    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    words = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{escapeHtml(src)}">{escapeHtml(words)}</a>'


def render_for_email(text: str | None) -> Markup:
    """Safe HTML for ``text`` in an e-mail: as ``render``, but no image (``<img>`` is not even
    allowed through the cleaner); each image is a link to it, named by its alt text."""
    loaded = load()
    html = loaded.email.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(  # noqa: S704 (nh3 has just cleaned it)
        loaded.nh3.clean(
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
    loaded = load()
    return html.unescape(loaded.nh3.clean(loaded.page.render(text or ""), tags=set())).strip()


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
