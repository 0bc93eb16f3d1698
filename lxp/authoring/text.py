"""Small text rules shared by the authoring services: slugs, lengths, order."""

from __future__ import annotations

import re
import uuid

from flask_babel import lazy_gettext as _l

from lxp.core.errors import Invalid

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# The same shapes the course exchange document accepts (``schemas.py``), so what an admin
# saves in the editor always exports.
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_COMPETENCY_DESCRIPTION = 2000
MAX_ROLE = 200
MIN_WEEKS, MAX_WEEKS = 1, 104


def ascii_slug(text: str, max_length: int = 80) -> str:
    """Lower-case ASCII words joined by dashes; empty when nothing ASCII is left (e.g. Cyrillic)."""
    ascii_text = (text or "").lower().translate(str.maketrans("äöüß", "aous")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:max_length].strip("-")


def check_text(value: str | None, max_length: int, field: str, required_message=None) -> str:
    """The trimmed text. Raises ``Invalid`` when it is required and empty, or too long."""
    text = (value or "").strip()
    if required_message is not None and not text:
        raise Invalid(required_message, field=field)
    if len(text) > max_length:
        raise Invalid(_l("Use at most %(num)d characters here.", num=max_length), field=field)
    return text


def check_slug(slug: str | None, title: str, prefix: str) -> str:
    """The slug given, or one made from the title. Raises ``Invalid`` for a malformed one."""
    slug = (slug or "").strip().lower() or ascii_slug(title) or f"{prefix}-{uuid.uuid4().hex[:8]}"
    if len(slug) > 80 or not SLUG.match(slug):
        raise Invalid(_l("Use lower-case letters, digits and dashes for the short name."), field="slug")
    return slug


def renumber(rows) -> None:
    """Positions 0, 1, 2 … in list order."""
    for position, row in enumerate(rows):
        row.position = position
