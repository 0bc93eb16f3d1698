"""Telling a person by e-mail that something about how they sign in changed (ASVS 6.3.5-7).

Sent after the change commits (never for one rolled back), in the person's language, with the
time in their zone: a new password (changed or reset), two-step sign-in turned on or off, new
recovery codes, their e-mail address changed (to the old address, which is the one an attacker
would not read), a sign-in from a device this account was not seen on before, and repeated
failed sign-ins (``FAILED_SIGN_INS`` wrong passwords or codes within ``FAILED_WINDOW``, told once
per window, with the internet address of the last try as its approximate place). Each mail
says what to do when it was not them. A notice never carries a link that signs in or changes
anything: only the profile page's address.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.audit import services as audit
from lxp.audit.models import AuditEntry
from lxp.channels import email as email_channel
from lxp.core.dates import format_moment
from lxp.core.time import utcnow
from lxp.extensions import db

CHANGES = ("password_changed", "two_step_on", "two_step_off", "recovery_codes", "email_changed", "new_device",
           "failed_sign_ins")  # fmt: skip
# Fewer failures than this are people mistyping; the per-account limit stops guessing later on.
FAILED_SIGN_INS = 5
FAILED_WINDOW = timedelta(minutes=15)
_FAILURES = ("sign_in_failed", "two_step_code_failed")


def notify(user: User, change: str, device: str | None = None, address: str | None = None,
           count: int | None = None) -> None:  # fmt: skip
    """Mail ``user`` (at the address they have now) about ``change``, one of ``CHANGES``, once
    the transaction commits. ``device`` names the browser and system of a new sign-in;
    ``address`` and ``count`` are where the last failed sign-in came from and how many there
    were. Raises ``ValueError`` for an unknown change (a programming error)."""
    if change not in CHANGES:
        raise ValueError(f"unknown security change {change!r}")
    if not user.email or not user.active:
        return
    locale = user.locale or current_app.config["DEFAULT_LOCALE"]
    when = format_moment(utcnow(), locale, user.timezone or current_app.config["DEFAULT_TIMEZONE"])
    email_channel.mail_after_commit(user, "security_notice", change=change, when=when, device=device or "",
                                    address=address or "", count=count or 0,
                                    minutes=int(FAILED_WINDOW.total_seconds() // 60),
                                    link=email_channel.external_url("accounts.profile"))  # fmt: skip


def after_failed_sign_in(user: User) -> None:
    """Call after a failed sign-in of ``user`` went on the audit trail (a wrong password, or a
    wrong two-step code): when it makes ``FAILED_SIGN_INS`` within ``FAILED_WINDOW`` and the
    person was not told in that window yet, tell them (and note it on the trail, which is what
    "told" is counted from, so every worker agrees). Works in the caller's unit of work: a
    rolled-back attempt tells nobody."""
    db.session.flush()
    since = utcnow() - FAILED_WINDOW
    mine = (AuditEntry.subject_type == "user", AuditEntry.subject_id == str(user.id), AuditEntry.at >= since)
    failures = db.session.scalar(select(func.count()).where(AuditEntry.action.in_(_FAILURES), *mine))
    if failures < FAILED_SIGN_INS:
        return
    if db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "failed_sign_ins_told", *mine).limit(1)):
        return
    address = (request.remote_addr or "")[:64] if has_request_context() else ""
    audit.record("failed_sign_ins_told", organisation_id=user.organisation_id, subject_type="user",
                 subject_id=user.id, details={"failures": failures, "address": address})  # fmt: skip
    notify(user, "failed_sign_ins", address=address, count=failures)
