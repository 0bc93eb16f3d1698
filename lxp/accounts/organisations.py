"""Organisations on one installation: creating one with its first admin, and listing them.

Each organisation is isolated by the organisation scoping every service already applies; an
installation can hold several. The first admin gets no password here: they are invited, and
the invitation link (single-use, ``LXP_INVITATION_DAYS`` long) lets them choose one.

These functions flush but do not commit: the command that calls them commits once, at its end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lxp.accounts import tokens
from lxp.accounts.models import Organisation, User, UserRole
from lxp.accounts.services import _add_invited_user, _email_taken, check_invitee
from lxp.channels import external_url
from lxp.core.errors import Conflict, Invalid
from lxp.extensions import db

# Lower-case letters, digits and inner hyphens: the slug goes into commands and URLs.
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
# A lone first admin must be able to publish their own course: the reviewer role allows it.
FIRST_ADMIN_ROLES = ("admin", "reviewer")


def check_slug(slug: str) -> str:
    """The trimmed, lower-cased slug; raises ``Invalid`` when it is not 1-64 letters, digits
    and inner hyphens."""
    candidate = (slug or "").strip().lower()
    if not _SLUG.fullmatch(candidate):
        raise Invalid(_l("Use 1 to 64 lower-case letters, digits and hyphens for the organisation's short name."),
                      field="slug")  # fmt: skip
    return candidate


def check_organisation_name(name: str) -> str:
    """The trimmed name; raises ``Invalid`` when it is empty or longer than 200 characters."""
    candidate = " ".join((name or "").split())
    if not candidate or len(candidate) > 200:
        raise Invalid(_l("Give the organisation a name of at most 200 characters."), field="name")
    return candidate


@dataclass(frozen=True)
class NewOrganisation:
    organisation: Organisation
    admin: User
    sign_in_link: str  # the admin's invitation: opening it lets them choose a password


def create_organisation(slug: str, name: str, admin_email: str, admin_name: str | None = None) -> NewOrganisation:
    """Create an organisation and its first admin (roles ``FIRST_ADMIN_ROLES``, invited, no
    password), and make the admin's one-time sign-in link under ``LXP_BASE_URL``.

    ``admin_name`` defaults to the part of the e-mail before the @. Raises ``Invalid`` for a
    bad slug, name or e-mail, ``Conflict`` when the slug or the e-mail is taken; then nothing
    is written. Flushes; the caller commits."""
    slug, name = check_slug(slug), check_organisation_name(name)
    invitee = check_invitee(admin_email, admin_name or (admin_email or "").split("@")[0], FIRST_ADMIN_ROLES,
                            None, current_app.config["DEFAULT_TIMEZONE"])  # fmt: skip
    if db.session.execute(select(Organisation.id).where(Organisation.slug == slug)).first() is not None:
        raise Conflict(_l("The organisation %(slug)s already exists.", slug=slug), field="slug")
    if _email_taken(invitee.email):
        raise Conflict(_l("Someone with this e-mail already has an account."), field="email")
    organisation = Organisation(slug=slug, name=name)
    db.session.add(organisation)
    db.session.flush()
    admin = _add_invited_user(organisation.id, invitee)
    db.session.flush()
    link = external_url("accounts.accept_invitation", token=tokens.make_token(admin, tokens.INVITATION))
    return NewOrganisation(organisation, admin, link)


@dataclass(frozen=True)
class OrganisationRow:
    slug: str
    name: str
    created_at: datetime
    people: int
    admins: tuple[str, ...]  # their e-mails


def list_organisations() -> list[OrganisationRow]:
    """Every organisation on the installation, by slug, with its number of people and its admins."""
    people = dict(db.session.execute(select(User.organisation_id, func.count()).group_by(User.organisation_id)).all())
    admins: dict[int, list[str]] = {}
    admin_rows = db.session.execute(
        select(User.organisation_id, User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "admin")
        .order_by(User.email)
    )
    for organisation_id, email in admin_rows:
        admins.setdefault(organisation_id, []).append(email)
    organisations = db.session.execute(select(Organisation).order_by(Organisation.slug)).scalars()
    return [OrganisationRow(o.slug, o.name, o.created_at, people.get(o.id, 0), tuple(admins.get(o.id, ())))
            for o in organisations]  # fmt: skip


def organisation_slugs() -> list[str]:
    """The slugs of every organisation, sorted."""
    return list(db.session.execute(select(Organisation.slug).order_by(Organisation.slug)).scalars())
