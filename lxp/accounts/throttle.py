"""Failed sign-ins counted per account, whatever address or spelling they come from.

The per-address limits on ``/login`` stop one machine guessing; this one stops many machines
guessing one account. The counts live in the rate limiter's storage, so every worker shares
them when that storage is Redis (see ``lxp.core.security.check_rate_limit_storage``).

The limiter and ``limits`` are reached when a sign-in is counted, not when this module is
imported: account services import it, and the scheduler, which loads those services but signs
nobody in, then never loads Flask-Limiter (see ``lxp.extensions``).
"""

from __future__ import annotations

from flask import current_app

from lxp import extensions

_SCOPE = "login-account"


def _limit():
    from limits import parse

    return parse(current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"])


def _keys(key: str) -> list[str]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX")
    return [prefix, _SCOPE, key] if prefix else [_SCOPE, key]


def exhausted(key: str) -> bool:
    """Whether ``key`` (``user:<id>``, or ``email:<address>`` for no account) has used up its
    failed sign-ins for now. Always False with rate limits switched off."""
    limiter = extensions.limiter
    return limiter.enabled and not limiter.limiter.test(_limit(), *_keys(key))


def count_failure(key: str) -> None:
    """Count one failed sign-in against ``key``."""
    limiter = extensions.limiter
    if limiter.enabled:
        limiter.limiter.hit(_limit(), *_keys(key))
