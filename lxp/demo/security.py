"""Two-step sign-in in the demo: the Berlin trainer has it on, with a key printed by
``flask lxp seed-demo`` so a newcomer can add it to an authenticator app (or compute the code)
and see the second step of signing in. The organisation does not require it, so the other
demo accounts sign in with the password alone."""

from __future__ import annotations

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.extensions import db

TWO_STEP_EMAIL = "trainer.berlin@northwind.example"
# Printed for the demo on purpose; base32, as authenticator apps take it.
DEMO_TOTP_SECRET = "NORTHWINDDEMOTOTPKEYBERLIN234567"  # noqa: S105


def seed_two_step() -> tuple[str, str, bool]:
    """Turn two-step sign-in on for the demo trainer once; returns (e-mail, key, turned on now)."""
    user = db.session.execute(select(User).where(User.email == TWO_STEP_EMAIL)).scalar_one()
    if user.two_step_enabled:
        return TWO_STEP_EMAIL, DEMO_TOTP_SECRET, False
    user.totp_secret = DEMO_TOTP_SECRET
    user.totp_enabled_at = utcnow()
    db.session.flush()
    return TWO_STEP_EMAIL, DEMO_TOTP_SECRET, True
