"""Addresses people typed, made safe to put into a link.

Forms refuse anything but web addresses, yet a page must not trust what is stored (an import,
an older version, a direct database change): ``web_address`` lets through only http(s)
addresses and paths on this site, so a stored ``javascript:`` address never becomes a link
that runs script.
"""

from __future__ import annotations

from urllib.parse import urlsplit

REFUSED = "about:blank"


def web_address(value: str | None) -> str:
    """``value`` when it is an http(s) address or a path on this site, else ``about:blank``."""
    text = (value or "").strip()
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return REFUSED
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in text for c in "\r\n\t"):
        return text
    return REFUSED
