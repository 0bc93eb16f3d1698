"""Account rules and transactions: sign-in, invitations, passwords, profile, roles.

Each public function validates and writes in the caller's unit of work (``lxp.core.unit_of_work``);
e-mail goes out only once that commits (through ``after_commit``). Errors are raised as ``lxp.core.errors`` types with
a message for the person and nothing written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from lxp import events
from lxp.accounts import (
    api_tokens,
    common_passwords,
    company_sign_in,
    joining,
    security_notices,
    sessions,
    throttle,
    tokens,
)
from lxp.accounts.models import Organisation, User, UserRole, UserSession
from lxp.audit import services as audit
from lxp.channels import email as email_channel
from lxp.core import table_statistics
from lxp.core.auth import ROLES
from lxp.core.errors import Conflict, Invalid, NotAllowed, NotFound, TooManyAttempts
from lxp.core.paging import beyond, paginate
from lxp.core.statements import contains, prepared
from lxp.core.tenancy import get_in_organisation
from lxp.core.time import is_valid_timezone, utcnow
from lxp.extensions import db
from lxp.push import services as push_services

MIN_PASSWORD_LENGTH = 10
# Checked when the e-mail is unknown, so a wrong e-mail takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("lxp-timing-equaliser")


@prepared
def _user_and_session():
    """The user with their roles and organisation, and the browser's session (None without one)."""
    return (
        select(User, UserSession)
        .outerjoin(UserSession, (UserSession.id == bindparam("session_key")) & (UserSession.user_id == User.id))
        .options(joinedload(User.role_rows), joinedload(User.organisation))
        .where(User.id == bindparam("user_id"))
    )


def load_user(user_id: str):
    """Flask-Login's loader: the id carries the user's auth version and the browser's session
    (see ``User.get_id`` and ``accounts.sessions``)."""
    ident, _, rest = user_id.partition(".")
    version, _, key = rest.partition(".")
    if not ident.isdigit() or not version.isdigit():
        return None
    # With the roles, the organisation (its competency stamp keys the names Today shows) and the
    # browser's session in the same statement: this runs on every request.
    found = (
        db.session.execute(_user_and_session(), {"user_id": int(ident), "session_key": key or None}).unique().first()
    )
    user, row = found if found is not None else (None, None)
    if user is None or user.auth_version != int(version) or not user.active:
        return None
    if key and not sessions.still_open(user, row):  # that browser was signed out
        return None
    return user


def normalise_email(raw: str) -> str:
    """One spelling per address: compatibility-normalised (NFKC: full-width letters become plain
    ones), trimmed, without the trailing dot of a fully qualified domain, checked and
    case-folded. Raises ``Invalid`` when it is not an address."""
    candidate = unicodedata.normalize("NFKC", raw or "").strip()
    local, at, domain = candidate.rpartition("@")
    if at and domain.endswith("."):
        candidate = f"{local}@{domain[:-1]}"
    try:
        checked = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid(_l("Enter a valid e-mail address."), field="email") from None
    return checked.normalized.casefold()


def find_user_by_email(email: str) -> User | None:
    try:
        normalised = normalise_email(email)
    except Invalid:
        return None
    return db.session.execute(select(User).where(User.email == normalised)).scalar_one_or_none()


def login_key(email: str) -> str:
    """What sign-in limits count an e-mail as: the normalised address, or for text that is no
    address, the same normalisation as far as it goes (so spellings of it count together)."""
    try:
        return normalise_email(email)
    except Invalid:
        return unicodedata.normalize("NFKC", email or "").strip().casefold()


def get_user(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if isinstance(user_id, int) else None


# --- signing in -----------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (for any reason).

    Never says which part was wrong, and takes as long for an unknown e-mail. Raises
    ``NotAllowed`` for the right password of someone whose organisation signs its people in
    only through its provider (``company_sign_in.refuses_password``). Failed attempts
    count per account across addresses and spellings (per address for an unknown e-mail):
    past ``LOGIN_ACCOUNT_RATE_LIMIT`` it raises ``TooManyAttempts``, even for the right password.
    """
    user = find_user_by_email(email)
    key = f"user:{user.id}" if user is not None else f"email:{login_key(email)}"
    if throttle.exhausted(key):
        raise TooManyAttempts(_l("Too many attempts. Please wait before you try again."))
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password or "")
        throttle.count_failure(key)
        _audit_failed_sign_in(email, user)
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        throttle.count_failure(key)
        _audit_failed_sign_in(email, user)
        return None
    refusal = company_sign_in.refuses_password(user)
    if refusal is not None:
        raise NotAllowed(refusal)
    return user


def _audit_failed_sign_in(email: str, user: User | None) -> None:
    """The trail notes the normalised e-mail that was tried (never the password); the person is
    told by mail when failures pile up (``security_notices.after_failed_sign_in``)."""
    audit.record("sign_in_failed", organisation_id=user.organisation_id if user else None,
                 subject_type="user" if user else None, subject_id=user.id if user else None,
                 details={"email": login_key(email)[:254]})  # fmt: skip
    if user is not None:
        security_notices.after_failed_sign_in(user)


def record_refused_api_token(secret: str, address: str | None) -> None:
    """An API call with a bearer token lxp does not accept is a failed sign-in: on the audit
    trail (with the token's id, never its secret) and, for a token that was someone's (revoked,
    or its owner deactivated), counted against that account with the failed passwords and
    codes, so the per-account limit and the mail after repeated failures
    (``security_notices.after_failed_sign_in``) see page and API failures together. Once the
    account's (or, for a secret that never was a token, the address's) failures are used up
    for now, further ones are not recorded, so a script cannot flood the trail. In the
    caller's unit of work."""
    token = api_tokens.refused(secret)
    owner = token.user if token is not None else None
    key = f"user:{owner.id}" if owner is not None else f"api-address:{address or '?'}"
    if throttle.exhausted(key):
        return
    throttle.count_failure(key)
    audit.record("sign_in_failed", organisation_id=owner.organisation_id if owner else None,
                 subject_type="user" if owner else None, subject_id=owner.id if owner else None,
                 details={"via": "api", "api_token": token.id if token else None})  # fmt: skip
    if owner is not None:
        security_notices.after_failed_sign_in(owner)


def record_login(user: User) -> None:
    """Note the sign-in on the user and in the event log."""
    user.last_login_at = utcnow()
    events.record(actor_id=user.id, verb="logged-in", object_type="site", object_id="lxp")
    audit.record(
        "sign_in", organisation_id=user.organisation_id, actor_id=user.id, subject_type="user", subject_id=user.id
    )
    db.session.flush()


def record_logout(user: User) -> None:
    """Note the sign-out, and end every session of the user: the session cookie is signed, not
    stored here, so a copy of it would otherwise still sign in. Raising ``auth_version`` (part
    of the id in every session and remember-me cookie, see ``User.get_id``) makes them all stale,
    on every device."""
    user.auth_version += 1
    events.record(actor_id=user.id, verb="logged-out", object_type="site", object_id="lxp")
    audit.record(
        "sign_out", organisation_id=user.organisation_id, actor_id=user.id, subject_type="user", subject_id=user.id
    )
    db.session.flush()


# --- passwords ------------------------------------------------------------------------


# What is left of a password once the words around its owner are taken out must be this long.
MIN_OWN_CHARACTERS = 8


def _compact(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "").casefold() if ch.isalnum())


def context_words(user: User) -> list[str]:
    """The words an attacker guesses first for this person (ASVS 6.1.2): lxp, the organisation's
    name, its words and slug, the person's name and its parts, the e-mail's local part and its
    parts. Compacted (case-folded letters and digits only), at least three long, longest first."""
    raw = ["lxp", user.display_name or "", user.email.partition("@")[0] if user.email else ""]
    organisation = user.organisation
    if organisation is not None:
        raw += [organisation.name, organisation.slug]
    parts = [word for text in raw for word in re.split(r"[\W_]+", text)]
    words = {_compact(word) for word in raw + parts}
    return sorted((word for word in words if len(word) >= 3), key=lambda word: (-len(word), word))


def _leans_on(password: str, words: Iterable[str]) -> bool:
    """Whether the password contains some of ``words`` and, without them, keeps fewer than
    ``MIN_OWN_CHARACTERS`` letters and digits of its own."""
    rest = _compact(password)
    for word in words:
        rest = rest.replace(word, "")
    return len(rest) < MIN_OWN_CHARACTERS and rest != _compact(password)


def check_password_rules(password: str, words: Iterable[str] = ()) -> None:
    """Raises ``Invalid`` when the password is too short, too plain, on the shipped list of
    breached passwords (``accounts.common_passwords``), or built around ``words`` (its owner's
    ``context_words``)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(
            lazy_ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.", MIN_PASSWORD_LENGTH),
            field="password",
        )
    if len(set(password)) < 4:
        raise Invalid(_l("Use a less repetitive password."), field="password")
    if common_passwords.is_common(password):
        raise Invalid(
            _l(
                "This password appears in lists of passwords leaked from other sites, so attackers try it first. Choose another."
            ),
            field="password",
        )
    if _leans_on(password, words):
        raise Invalid(
            _l("This password is built around your name, e-mail or organisation, which attackers try first. "
               "Add more words of your own."),
            field="password",
        )  # fmt: skip


def _set_password(user: User, password: str) -> None:
    check_password_rules(password, context_words(user))
    user.password_hash = generate_password_hash(password)
    user.auth_version += 1  # ends other sessions and used links


def accept_invitation(token: str, password: str) -> User:
    """Set the first password of an invited user. Raises ``tokens.TokenExpired``/``TokenInvalid``,
    ``Invalid``, and ``NotAllowed`` when their organisation signs them in only through its provider."""
    user = tokens.read_token(token, tokens.INVITATION, get_user)
    if not user.invitation_pending:
        raise tokens.TokenInvalid()
    refusal = company_sign_in.refuses_password(user)
    if refusal is not None:  # an older link, from before the organisation went SSO-only
        raise NotAllowed(refusal)
    _set_password(user, password)
    _audit_self("invitation_accepted", user)
    db.session.flush()
    return user


def _audit_self(action: str, user: User, details: dict | None = None) -> None:
    audit.record(action, organisation_id=user.organisation_id, actor_id=user.id, subject_type="user",
                 subject_id=user.id, details=details)  # fmt: skip


def reset_password(token: str, password: str) -> User:
    """Set a new password from an e-mailed link; every session and every API token of the
    account ends (whoever knew the old password may have made one). Raises
    ``tokens.TokenExpired``/``TokenInvalid``, ``Invalid``."""
    user = tokens.read_token(token, tokens.PASSWORD_RESET, get_user)
    _set_password(user, password)
    revoked = api_tokens.revoke_all(user)
    _audit_self("password_reset", user, {"api_tokens_revoked": revoked})
    security_notices.notify(user, "password_changed")
    db.session.flush()
    return user


def change_password(user: User, current_password: str, new_password: str, keep_token_ids: Iterable[int] = ()) -> int:
    """Change a signed-in user's password; every other session ends, and so does every API
    token except those in ``keep_token_ids`` (the person chose to keep them; by default none).
    Returns how many tokens were revoked. Raises ``Invalid`` on a wrong current password."""
    if not user.password_hash or not check_password_hash(user.password_hash, current_password or ""):
        raise Invalid(_l("That is not your current password."), field="current_password")
    _set_password(user, new_password)
    revoked = api_tokens.revoke_all(user, keep=keep_token_ids)
    _audit_self("password_changed", user, {"api_tokens_revoked": revoked})
    security_notices.notify(user, "password_changed")
    db.session.flush()
    return revoked


def sign_out_everywhere(user: User) -> None:
    """End every session and remember-me cookie of the person, on every device (the caller
    signs the current one in again if it should stay). API tokens are left alone."""
    user.auth_version += 1
    events.record(actor_id=user.id, verb="logged-out", object_type="site", object_id="lxp",
                  context={"everywhere": True})  # fmt: skip
    _audit_self("sign_out", user, {"everywhere": True})
    db.session.flush()


def request_password_reset(email: str) -> None:
    """E-mail a reset link when an active account with a password exists; silent otherwise."""
    user = find_user_by_email(email)
    if user is None or not user.active or company_sign_in.refuses_password(user) is not None:
        return
    if user.invitation_pending:
        _send_invitation(user)  # they never set a password: the invitation is what they need
        db.session.flush()
        return
    link = email_channel.external_url("accounts.reset_password", token=tokens.make_token(user, tokens.PASSWORD_RESET))
    email_channel.mail_after_commit(user, "password_reset", link=link, hours=current_app.config["PASSWORD_RESET_HOURS"])


def request_new_invitation(email: str) -> None:
    """Send a fresh invitation to a still-invited, active person; silent otherwise."""
    user = find_user_by_email(email)
    if user is not None and user.active and user.invitation_pending:
        _send_invitation(user)


# --- invitations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Invitee:
    email: str
    display_name: str
    roles: tuple[str, ...]
    locale: str | None
    timezone: str


def check_name(display_name: str) -> str:
    """The trimmed name; raises ``Invalid`` when it is empty or too long."""
    name = (display_name or "").strip()
    if not name:
        raise Invalid(_l("Enter a name."), field="display_name")
    if len(name) > 120:
        raise Invalid(_l("Use at most 120 characters for the name."), field="display_name")
    return name


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """The roles as a sorted tuple; raises ``Invalid`` for none or an unknown one."""
    role_set = tuple(sorted({r.strip().lower() for r in roles if r and r.strip()}))
    if not role_set:
        raise Invalid(_l("Choose at least one role."), field="roles")
    unknown = [r for r in role_set if r not in ROLES]
    if unknown:
        raise Invalid(
            _l("Unknown role: %(role)s. Use learner, trainer, admin or reviewer.", role=", ".join(unknown)),
            field="roles",
        )
    return role_set


def check_locale(locale: str | None) -> str | None:
    """One of the supported locales, or None for "follow the browser"; raises ``Invalid``."""
    locale = (locale or "").strip().lower() or None
    if locale is not None and locale not in current_app.config["LOCALES"]:
        raise Invalid(_l("Unknown language: %(locale)s. Use en, de or ru.", locale=locale), field="locale")
    return locale


def check_timezone(timezone: str | None) -> str:
    """An IANA zone name (the default when empty); raises ``Invalid`` for an unknown one."""
    timezone = (timezone or "").strip() or current_app.config["DEFAULT_TIMEZONE"]
    if not is_valid_timezone(timezone):
        raise Invalid(_l("Unknown time zone: %(tz)s. Use a name like Europe/Berlin.", tz=timezone), field="timezone")
    return timezone


def check_invitee(email: str, display_name: str, roles: Iterable[str], locale: str | None, timezone: str) -> Invitee:
    """Validate one person's details; raises ``Invalid`` naming the field."""
    return Invitee(
        normalise_email(email),
        check_name(display_name),
        check_roles(roles),
        check_locale(locale),
        check_timezone(timezone),
    )


def _email_taken(email: str) -> bool:
    return db.session.execute(select(User.id).where(User.email == email)).first() is not None


def _add_invited_user(organisation_id: int, invitee: Invitee) -> User:
    user = User(
        organisation_id=organisation_id,
        email=invitee.email,
        display_name=invitee.display_name,
        locale=invitee.locale,
        timezone=invitee.timezone,
        invited_at=utcnow(),
        role_rows=[UserRole(role=r) for r in invitee.roles],
    )
    db.session.add(user)
    return user


def invite_user(admin: User, invitee: Invitee) -> User:
    """Create an invited user in the admin's organisation and e-mail the link after commit.

    Raises ``Conflict`` when the e-mail is already in use.
    """
    if _email_taken(invitee.email):
        raise Conflict(_l("Someone with this e-mail already has an account."), field="email")
    user = _add_invited_user(admin.organisation_id, invitee)
    db.session.flush()
    _send_invitation(user, admin)
    joining.person_changed(user)
    return user


def invite_users(admin: User, invitees: list[Invitee]) -> list[User]:
    """Invite several people in one transaction (used by the CSV import); all or nothing."""
    users = [_add_invited_user(admin.organisation_id, invitee) for invitee in invitees]
    db.session.flush()
    for user in users:
        _send_invitation(user, admin)
    db.session.flush()
    table_statistics.refresh("users", "user_roles")  # a bulk write: the planner learns the new size now
    return users


def resend_invitation(admin: User, user: User) -> None:
    """Send a new invitation link. Raises ``Conflict`` when the person already has a password."""
    _require_same_organisation(admin, user)
    if not user.invitation_pending:
        raise Conflict(_l("%(name)s has already set a password.", name=user.display_name))
    user.invited_at = utcnow()
    _send_invitation(user, admin)
    db.session.flush()


def _send_invitation(user: User, sender: User | None = None) -> None:
    """E-mail an invitation (after commit) and note it in the trail (never the link). Someone
    whose organisation signs its people in only through its provider gets a link to that
    sign-in instead of a set-password link (``company_sign_in.start_url``): no password to choose."""
    organisation = user.organisation.name if user.organisation else "lxp"
    company_start = company_sign_in.start_url(user) if company_sign_in.refuses_password(user) else None
    audit.record("invitation_sent", organisation_id=user.organisation_id, actor_id=sender.id if sender else None,
                 subject_type="user", subject_id=user.id,
                 details={"roles": sorted(user.roles), "company_sign_in": company_start is not None})  # fmt: skip
    if company_start is not None:
        email_channel.mail_after_commit(user, "company_invitation", link=company_start, organisation=organisation)
        return
    link = email_channel.external_url("accounts.accept_invitation", token=tokens.make_token(user, tokens.INVITATION))
    email_channel.mail_after_commit(
        user, "invitation", link=link, days=current_app.config["INVITATION_DAYS"], organisation=organisation
    )


# --- profile and administration -------------------------------------------------------


def update_profile(user: User, display_name: str, locale: str | None, timezone: str) -> None:
    """Save name, language and time zone. Raises ``Invalid`` naming the field."""
    name, locale, timezone = check_name(display_name), check_locale(locale), check_timezone(timezone)
    user.display_name, user.locale, user.timezone = name, locale, timezone
    db.session.flush()


def _require_same_organisation(admin: User, user: User) -> None:
    if user.organisation_id != admin.organisation_id:
        raise NotFound(_l("No such person."))


def user_in_organisation(admin: User, user_id: int) -> User:
    """The user with this id in the admin's organisation. Raises ``NotFound``."""
    return get_in_organisation(User, user_id, admin.organisation_id, _l("No such person."))


def set_roles(admin: User, user: User, roles: Iterable[str]) -> None:
    """Replace the user's roles. Raises ``Invalid`` for none or unknown roles, ``NotAllowed``
    when admins would remove their own admin role (someone else must do it)."""
    _require_same_organisation(admin, user)
    wanted = {r for r in roles if r}
    if not wanted:
        raise Invalid(_l("Choose at least one role."), field="roles")
    if not wanted <= set(ROLES):
        raise Invalid(_l("Unknown role."), field="roles")
    if user.id == admin.id and "admin" not in wanted:
        raise NotAllowed(_l("You cannot remove your own admin role; ask another admin."), field="roles")
    before = sorted(user.roles)
    if before != sorted(wanted):
        audit.record("roles_changed", organisation_id=admin.organisation_id, actor_id=admin.id, subject_type="user",
                     subject_id=user.id, details={"before": before, "after": sorted(wanted)})  # fmt: skip
    user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
        UserRole(role=r) for r in sorted(wanted - user.roles)
    ]
    db.session.flush()
    joining.person_changed(user)  # a role may bring assigned learning


def set_active(admin: User, user: User, active: bool) -> None:
    """Deactivate (ending all sessions at once) or reactivate a user.

    Raises ``NotAllowed`` when admins try to deactivate themselves.
    """
    _require_same_organisation(admin, user)
    if user.id == admin.id and not active:
        raise NotAllowed(_l("You cannot deactivate your own account."))
    if user.active != active:
        audit.record("account_reactivated" if active else "account_deactivated", organisation_id=admin.organisation_id,
                     actor_id=admin.id, subject_type="user", subject_id=user.id)  # fmt: skip
    if not active:
        deactivate(user)
    elif not user.active:
        user.active = True
        user.auth_version += 1
    db.session.flush()


def deactivate(user: User) -> None:
    """Shut a person out at once: every session and remember-me cookie ends, every API token is
    revoked and every browser stops receiving their push messages. Their learning history is
    kept, and so is the account (an admin can reactivate it; they then sign in afresh). The one
    place for this: the admin's page, company sign-in and provisioning all call it. Repeating it
    changes nothing more."""
    if user.active:
        user.active = False
        user.auth_version += 1
    api_tokens.revoke_all(user)
    push_services.remove_all(user.id)
    db.session.flush()


def _matching_users(admin: User, query: str, role: str | None, *columns):
    statement = select(User, *columns).where(User.organisation_id == admin.organisation_id)
    words = (query or "").strip()
    if words:
        statement = statement.where(or_(contains(User.display_name, words), contains(User.email, words)))
    if role in ROLES:
        statement = statement.where(User.role_rows.any(UserRole.role == role))
    return statement


def search_users(admin: User, query: str = "", role: str | None = None, page: int = 1, per_page: int = 25):
    """People in the admin's organisation matching ``query`` (name or e-mail), by name."""
    statement = _matching_users(admin, query, role).order_by(func.lower(User.display_name), User.id)
    return paginate(statement, page, per_page)


def users_after(admin: User, query: str, role: str | None, after: tuple[str, int] | None,
                limit: int) -> list[tuple[User, str]]:  # fmt: skip
    """``search_users``'s people, ``limit`` of them and the first of the next if any, after the one
    whose key (name folded by the database, id) is ``after``, read in SQL (an API's cursor: an
    organisation may have tens of thousands); each with its folded name, the next cursor's key."""
    folded = func.lower(User.display_name)
    statement = _matching_users(admin, query, role, folded.label("folded"))
    if after is not None:
        statement = statement.where(beyond((folded, User.id), after))
    return [(user, key) for user, key in db.session.execute(statement.order_by(folded, User.id).limit(limit + 1))]


def get_or_create_organisation(slug: str, name: str) -> Organisation:
    organisation = db.session.execute(select(Organisation).where(Organisation.slug == slug)).scalar_one_or_none()
    if organisation is None:
        organisation = Organisation(slug=slug, name=name)
        db.session.add(organisation)
        db.session.flush()
    return organisation


@dataclass(frozen=True)
class PeopleDirectory:
    """The active people of an organisation (holding ``role``, if given) that a form chooses
    among: found by name or e-mail, or by pasted addresses, never listed whole, since an
    organisation may have tens of thousands (issue 20). ``core.forms.PeopleField`` reads it."""

    organisation_id: int
    role: str | None = None
    leave_out: Select | None = None  # ids a search never offers (a cohort's members, when adding)

    def _people(self):
        statement = select(User).where(User.organisation_id == self.organisation_id, User.active)
        if self.role is not None:
            statement = statement.where(User.role_rows.any(UserRole.role == self.role))
        return statement

    def named(self, user_ids: Iterable[int]) -> list[User]:
        """Those of ``user_ids`` in the directory, by name (others are left out)."""
        wanted = set(user_ids)
        if not wanted:
            return []
        statement = self._people().where(User.id.in_(wanted))
        return list(db.session.execute(statement.order_by(func.lower(User.display_name), User.id)).scalars())

    def matching(self, text: str, limit: int = 20, excluding: Iterable[int] = ()) -> tuple[list[User], bool]:
        """Up to ``limit`` people whose name or e-mail contains ``text`` (but not those
        ``excluding``), by name, and whether more match."""
        words = (text or "").strip()
        if not words:
            return [], False
        statement = self._people().where(or_(contains(User.display_name, words), contains(User.email, words)))
        left_out = set(excluding)
        if left_out:
            statement = statement.where(User.id.not_in(left_out))
        if self.leave_out is not None:
            statement = statement.where(User.id.not_in(self.leave_out))
        found = list(db.session.execute(
            statement.order_by(func.lower(User.display_name), User.id).limit(limit + 1)
        ).scalars())  # fmt: skip
        return found[:limit], len(found) > limit

    def with_emails(self, addresses: Iterable[str]) -> tuple[list[User], list[str]]:
        """The people of the directory with these e-mail addresses (spelt in any case), and the
        addresses that are nobody's here or not addresses at all, as given."""
        normalised, unknown = {}, []
        for address in addresses:
            try:
                normalised[normalise_email(address)] = address
            except Invalid:
                unknown.append(address)
        if not normalised:
            return [], unknown
        found = list(db.session.execute(self._people().where(User.email.in_(normalised))).scalars())
        known = {user.email for user in found}
        return found, unknown + [given for email, given in normalised.items() if email not in known]


def active_with_role(organisation_id: int, role: str) -> list[User]:
    """The organisation's active people holding ``role``, by name (to choose from: a coach,
    co-trainers, cohort members)."""
    return list(
        db.session.execute(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.organisation_id == organisation_id, User.active, UserRole.role == role)
            .order_by(User.display_name, User.id)
        ).scalars()
    )
