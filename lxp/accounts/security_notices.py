"""Telling a person by e-mail that something about how they sign in changed (ASVS 6.3.5-7).

Sent after the change commits (never for one rolled back), in the person's language, with the
time in their zone: a new password (changed or reset), two-step sign-in turned on or off, new
recovery codes, their e-mail address changed (to the old address, which is the one an attacker
would not read), and a sign-in from a device this account was not seen on before. Each mail
says what to do when it was not them. A notice never carries a link that signs in or changes
anything: only the profile page's address.
"""

from __future__ import annotations

from flask import current_app

from lxp.accounts.models import User
from lxp.channels import email as email_channel
from lxp.core.dates import format_moment
from lxp.core.time import utcnow

CHANGES = ("password_changed", "two_step_on", "two_step_off", "recovery_codes", "email_changed", "new_device")


def notify(user: User, change: str, device: str | None = None) -> None:
    """Mail ``user`` (at the address they have now) about ``change``, one of ``CHANGES``, once
    the transaction commits. ``device`` names the browser and system of a new sign-in. Raises
    ``ValueError`` for an unknown change (a programming error)."""
    if change not in CHANGES:
        raise ValueError(f"unknown security change {change!r}")
    if not user.email or not user.active:
        return
    locale = user.locale or current_app.config["DEFAULT_LOCALE"]
    when = format_moment(utcnow(), locale, user.timezone or current_app.config["DEFAULT_TIMEZONE"])
    email_channel.mail_after_commit(user, "security_notice", change=change, when=when, device=device or "",
                                    link=email_channel.external_url("accounts.profile"))  # fmt: skip
