"""Two-step sign-in with a time-based one-time password (TOTP, RFC 6238) and recovery codes.

Admins and trainers (anyone may) set it up on their profile: a secret is made and shown with
a QR code, and counts once confirmed with a code from the app. From then on, sign-in asks for a
code after the password (``accounts.sign_in``). A code is accepted for the time step before and
after the current one (30 s each, for clocks that drift), and never twice: the last accepted
step is stored, and only a later one is accepted. Ten recovery codes, shown once and kept only
as SHA-256 hashes, each work once in place of a code. Turning it off takes the password and a
code. An organisation can require it of its admins, and of its trainers: such a person without
it is sent to set it up and reaches nothing else until done (``must_set_up``).

Functions flush, never commit; refusals raise ``lxp.core.errors`` types with nothing written.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.security import check_password_hash

from lxp.accounts import security_notices
from lxp.accounts.models import Organisation, RecoveryCode, User
from lxp.audit import services as audit
from lxp.core.errors import Conflict, Invalid, NotAllowed
from lxp.core.time import utcnow
from lxp.extensions import db

RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
ISSUER = "lxp"


# --- codes ----------------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret)


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def _matching_step(secret: str, code: str, after_step: int | None, now: float | None = None) -> int | None:
    """The time step (current, one before or one after) whose code is ``code`` and which is
    later than ``after_step``; None when there is none."""
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = _totp(secret)
    current = totp.timecode(now if now is not None else time.time())
    for step in (current - 1, current, current + 1):
        if (after_step is None or step > after_step) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash_code(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(raw)))
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    cleaned = _clean(code)
    if len(cleaned) != 10:
        return False
    row = db.session.execute(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_code(cleaned),
            RecoveryCode.used_at.is_(None),
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    row.used_at = utcnow()
    return True


def recovery_codes_left(user: User) -> int:
    """How many of the user's recovery codes are still unused."""
    return len(
        db.session.execute(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def _audit(action: str, user: User, **details) -> None:
    audit.record(action, organisation_id=user.organisation_id, actor_id=user.id, subject_type="user",
                 subject_id=user.id, details=details or None)  # fmt: skip


def check_code(user: User, code: str) -> bool:
    """Whether ``code`` is the user's current one-time code, or one of their unused recovery
    codes; either is used up by this (flushed). A wrong code and a used recovery code go on the
    audit trail (never the code). Always False without two-step sign-in."""
    if not user.two_step_enabled or not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
    elif _use_recovery_code(user, code):
        _audit("recovery_code_used", user, left=recovery_codes_left(user))
    else:
        _audit("two_step_code_failed", user)
        security_notices.after_failed_sign_in(user)
        return False
    db.session.flush()
    return True


# --- setting up and turning off -------------------------------------------------------


def start_set_up(user: User) -> None:
    """Make a new secret for the user to add to an authenticator app (not yet in force).
    Raises ``Conflict`` when two-step sign-in is already on."""
    if user.two_step_enabled:
        raise Conflict(_l("Two-step sign-in is already on."))
    user.totp_secret = pyotp.random_base32()
    db.session.flush()


def pending_secret(user: User) -> str | None:
    """The secret being set up, or None when set-up has not started or is done."""
    return None if user.two_step_enabled else user.totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    issuer = f"{ISSUER} ({user.organisation.name})" if user.organisation else ISSUER
    return _totp(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code_svg(uri: str, title: str) -> Markup:
    """The QR code of ``uri`` as inline SVG markup (no script, no external image). Only drawn
    paths and the escaped ``title`` are in it, never the text of ``uri``."""
    import segno  # lazy: only the page that sets two-step sign-in up draws a QR code

    svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, title=title, svgclass="qr-code", omitsize=True)
    return Markup(svg)  # noqa: S704 (segno escapes the title; the rest is path data it generated)


def confirm_set_up(user: User, code: str) -> list[str]:
    """Turn two-step sign-in on when ``code`` comes from the new secret; return the ten
    recovery codes, which are shown this once. Ends the user's other sessions. Raises ``Invalid`` for a wrong code,
    ``Conflict`` when set-up was not started or is already done."""
    if user.two_step_enabled:
        raise Conflict(_l("Two-step sign-in is already on."))
    if not user.totp_secret:
        raise Conflict(_l("Start the set-up first."))
    step = _matching_step(user.totp_secret, code, None)
    if step is None:
        raise Invalid(
            _l("That code does not match. Check the time on your phone and enter the newest code."), field="code"
        )
    user.totp_last_step = step
    user.totp_enabled_at = utcnow()
    user.auth_version += 1  # a factor changed: other sessions end (the caller keeps this one)
    codes = _new_recovery_codes(user)
    _audit("two_step_enabled", user)
    security_notices.notify(user, "two_step_on")
    db.session.flush()
    return codes


def turn_off(user: User, password: str, code: str) -> None:
    """Turn two-step sign-in off, with the password and a current or recovery code. Raises
    ``Invalid`` naming the wrong field, ``NotAllowed`` when the organisation requires it."""
    if not user.two_step_enabled:
        raise Conflict(_l("Two-step sign-in is not on."))
    if required_for(user):
        raise NotAllowed(_l("Your organisation requires two-step sign-in for your role, so it stays on."))
    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        raise Invalid(_l("That is not your current password."), field="password")
    if not check_code(user, code):
        raise Invalid(_l("That code does not match."), field="code")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.auth_version += 1  # a factor changed: other sessions end (the caller keeps this one)
    db.session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    _audit("two_step_disabled", user)
    security_notices.notify(user, "two_step_off")
    db.session.flush()


def new_recovery_codes(user: User, code: str) -> list[str]:
    """Replace the recovery codes (all old ones stop working), confirmed with a current code.
    Raises ``Invalid`` for a wrong code."""
    if not user.two_step_enabled:
        raise Conflict(_l("Two-step sign-in is not on."))
    if not check_code(user, code):
        raise Invalid(_l("That code does not match."), field="code")
    codes = _new_recovery_codes(user)
    user.auth_version += 1  # whoever held the old codes may have signed in: other sessions end
    _audit("recovery_codes_renewed", user)
    security_notices.notify(user, "recovery_codes")
    db.session.flush()
    return codes


# --- the organisation's requirement ---------------------------------------------------


def required_for(user: User) -> bool:
    """Whether the user's organisation requires two-step sign-in of one of their roles."""
    if not user.has_any_role(("admin", "trainer")):
        return False
    organisation = user.organisation
    return bool(
        (organisation.two_step_for_admins and user.has_role("admin"))
        or (organisation.two_step_for_trainers and user.has_role("trainer"))
    )


def must_set_up(user: User) -> bool:
    """Whether the user is required to use two-step sign-in and has not set it up."""
    return not user.two_step_enabled and required_for(user)


def set_requirement(admin: User, for_admins: bool, for_trainers: bool) -> None:
    """Require (or not) two-step sign-in of the admin's organisation's admins and trainers.
    Requiring it of admins while the admin has not set it up is refused (``NotAllowed``), so
    nobody locks themselves into the set-up page by surprise."""
    if for_admins and not admin.two_step_enabled:
        raise NotAllowed(
            _l("Set up two-step sign-in for yourself first, then require it of admins."), field="for_admins"
        )
    organisation = db.session.get(Organisation, admin.organisation_id)
    organisation.two_step_for_admins = bool(for_admins)
    organisation.two_step_for_trainers = bool(for_trainers)
    audit.record("two_step_requirement_changed", organisation_id=organisation.id, actor_id=admin.id,
                 subject_type="organisation", subject_id=organisation.id,
                 details={"admins": bool(for_admins), "trainers": bool(for_trainers)})  # fmt: skip
    db.session.flush()
