"""``flask lxp check``: what an operator needs to know before trusting an installation.

Each check looks at one part (the secret key, the base URL, the database and its migrations,
SMTP, the VAPID keys, the rate-limit storage, the upload folder, the virus scanner, the
scheduler's heartbeat, the trusted proxies, who may read the metrics)
with the real thing where there is one (it connects, writes, reads), and returns one
``Check``: ok or not, what it saw, and for a failure what to do. Checks never raise and change
nothing an operator would notice (the upload check writes and removes one probe file).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from lxp import heartbeats
from lxp.core import crypto
from lxp.core.migrations import schema_state
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.files import scanning
from lxp.files.storage import upload_dir
from lxp.push.keys import KEY_FILE, is_local_host, subject_host, vapid_keys
from lxp.scheduler import JOBS

# A production secret shorter than this is too easy to guess (token_urlsafe(48) gives 64).
MIN_SECRET_LENGTH = 32
MIN_METRICS_TOKEN_LENGTH = 24
_TIMEOUT = 5  # seconds for each connection a check opens


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what the check saw
    hint: str = ""  # for a failure: what to do

    def line(self) -> str:
        hint = f" (hint: {self.hint})" if self.hint and not self.ok else ""
        return f"{'ok' if self.ok else 'FAIL':<4}  {self.name:<10}  {self.detail}{hint}"


def _production() -> bool:
    return current_app.config["LXP_ENV"] == "production"


def _first_line(exc: BaseException) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def secret_key() -> Check:
    """Set, and in production neither the key generated for development nor short."""
    key = current_app.config.get("SECRET_KEY") or ""
    generated_file = Path(current_app.instance_path) / "secret_key"
    generated = generated_file.exists() and generated_file.read_text().strip() == key
    if not key:
        return Check("secret", False, "no secret key", "set LXP_SECRET_KEY")
    if not _production():
        source = "generated into instance/secret_key" if generated else "set"
        return Check("secret", True, f"{source} (LXP_ENV={current_app.config['LXP_ENV']})")
    if generated:
        return Check("secret", False, "production uses the key generated for development in instance/secret_key",
                     "set LXP_SECRET_KEY to a new random value, e.g. python -c 'import secrets; "
                     "print(secrets.token_urlsafe(48))'")  # fmt: skip
    if len(key) < MIN_SECRET_LENGTH:
        return Check("secret", False, f"LXP_SECRET_KEY has only {len(key)} characters",
                     f"use at least {MIN_SECRET_LENGTH} random characters")  # fmt: skip
    return Check("secret", True, "set from LXP_SECRET_KEY")


def encryption() -> Check:
    """Secrets in the database (LRS password, TOTP secrets) open with ``LXP_ENCRYPTION_KEY``; in
    production the key must be set once any is stored."""
    try:
        stored, unreadable = crypto.count_stored(db.session, db.metadata)
    except SQLAlchemyError as exc:
        db.session.rollback()
        return Check("encryption", False, f"cannot read the encrypted columns: {_first_line(exc)}")
    make_key = "python3 -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    if not crypto.available():  # production without LXP_ENCRYPTION_KEY (elsewhere one is generated)
        if stored:
            return Check("encryption", False, f"LXP_ENCRYPTION_KEY is not set, and {stored} encrypted value(s) are stored",
                         "set LXP_ENCRYPTION_KEY to the key they were encrypted with")  # fmt: skip
        return Check("encryption", False, "LXP_ENCRYPTION_KEY is not set: an LRS or two-step sign-in could not be saved",
                     f"set LXP_ENCRYPTION_KEY to a new key: {make_key}")  # fmt: skip
    if unreadable:
        return Check("encryption", False, f"{unreadable} of {stored} encrypted value(s) open with no key in LXP_ENCRYPTION_KEY",
                     "put back the key they were encrypted with (after the new one), then run flask lxp rotate-encryption")  # fmt: skip
    return Check("encryption", True, f"{crypto.key_source()}; {stored} encrypted value(s), all readable")


def base_url() -> Check:
    """The address put into e-mailed links; in production it must be public and HTTPS."""
    url = current_app.config["BASE_URL"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Check("base url", False, f"{url!r} is not an http(s) address", "set LXP_BASE_URL")
    if _production() and (parts.scheme != "https" or parts.hostname in ("127.0.0.1", "localhost", "::1")):
        return Check("base url", False, f"{url} is not a public HTTPS address; links in e-mails would not work",
                     "set LXP_BASE_URL to the address people open, e.g. https://learn.example.com")  # fmt: skip
    return Check("base url", True, url)


def database() -> Check:
    """Reachable, and at the newest migration."""

    where = db.engine.url.render_as_string(hide_password=True)
    state = schema_state()
    problem = state.problem()
    if problem is not None:
        hint = "check LXP_DATABASE_URL and that the server is up" if state.error is not None else ""
        return Check("database", False, f"{where}: {problem}", hint)
    return Check("database", True, f"{where}, at migration {', '.join(state.current)}")


def smtp() -> Check:
    """When ``LXP_SMTP_HOST`` is set: connect, EHLO, STARTTLS and log in as configured, NOOP.
    Unset is fine in development (mails go to the log) and a failure in production."""
    config = current_app.config
    host, port = config.get("SMTP_HOST"), config["SMTP_PORT"]
    if not host:
        if _production():
            return Check("smtp", False, "no SMTP server: invitations and reminders are only written to the log",
                         "set LXP_SMTP_HOST (and LXP_SMTP_PORT, _USERNAME, _PASSWORD, _STARTTLS or _SSL)")  # fmt: skip
        return Check("smtp", True, "not configured: mails are written to the log (development)")
    try:
        smtp_class = smtplib.SMTP_SSL if config["SMTP_SSL"] else smtplib.SMTP
        with smtp_class(host, port, timeout=min(config["SMTP_TIMEOUT"], _TIMEOUT)) as connection:
            connection.ehlo()
            if config["SMTP_STARTTLS"] and not config["SMTP_SSL"]:
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if config.get("SMTP_USERNAME"):
                connection.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
            code, answer = connection.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, answer)
    except (smtplib.SMTPException, OSError) as exc:
        return Check("smtp", False, f"{host}:{port}: {_first_line(exc)}",
                     "check LXP_SMTP_HOST, LXP_SMTP_PORT, the login and TLS settings, and the firewall")  # fmt: skip
    return Check("smtp", True, f"{host}:{port} answers")


def vapid() -> Check:
    """The Web Push keys can be read and the public key belongs to the private one. Without
    configured keys or a generated pair, there is nothing to check yet (and nothing is made)."""

    config = current_app.config
    generated = Path(current_app.instance_path) / KEY_FILE
    if not config.get("VAPID_PRIVATE_KEY") and not generated.exists():
        if config.get("VAPID_PUBLIC_KEY"):
            return Check("vapid", False, "LXP_VAPID_PUBLIC_KEY is set without LXP_VAPID_PRIVATE_KEY",
                         "set both, or neither")  # fmt: skip
        return Check("vapid", True, f"not configured: a key pair is generated into instance/{KEY_FILE} on first use")
    try:
        keys = vapid_keys()
    except (ValueError, KeyError, OSError) as exc:
        return Check("vapid", False, str(exc), "set LXP_VAPID_PRIVATE_KEY and LXP_VAPID_PUBLIC_KEY as one pair")
    source = "LXP_VAPID_PRIVATE_KEY" if config.get("VAPID_PRIVATE_KEY") else f"instance/{KEY_FILE}"
    detail = f"key pair from {source}, public key {keys.public_key[:12]}…"
    if is_local_host(subject_host(keys.subject)):
        # Apple's push service refuses a local contact, so iPhones would never get a push.
        return Check("vapid", not _production(), f"{detail}; warning: the subject {keys.subject} is a local address",
                     "set LXP_VAPID_SUBJECT, LXP_MAIL_FROM or LXP_BASE_URL to a public address")  # fmt: skip
    return Check("vapid", True, detail)


def rate_limit_storage() -> Check:
    """The rate-limit counters' storage answers (Redis and the like; memory needs nothing)."""
    from limits.storage import storage_from_string

    uri = current_app.config["RATELIMIT_STORAGE_URI"]
    parts = urlsplit(uri)
    shown = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    if parts.scheme == "memory":
        workers = current_app.config["WORKERS"]
        if workers > 1:  # each worker would count on its own: the limits multiply
            return Check("ratelimit", False, f"memory:// with {workers} workers (LXP_WORKERS or WEB_CONCURRENCY)",
                         "set LXP_RATELIMIT_STORAGE_URI to redis://… so the workers share one count")  # fmt: skip
        return Check("ratelimit", True, "memory:// (counted per process; use Redis when several workers serve lxp)")
    try:
        storage = storage_from_string(uri, socket_connect_timeout=_TIMEOUT, socket_timeout=_TIMEOUT)
        reachable = storage.check()
    except Exception as exc:  # an unknown scheme, a missing driver: say which
        return Check("ratelimit", False, f"{shown}: {_first_line(exc)}", "check LXP_RATELIMIT_STORAGE_URI")
    if not reachable:
        return Check("ratelimit", False, f"{shown} does not answer",
                     "start Redis or correct LXP_RATELIMIT_STORAGE_URI; sign-ins fail while it is down")  # fmt: skip
    return Check("ratelimit", True, f"{shown} answers")


def upload_folder() -> Check:
    """The upload folder exists (or can be made) and a file can be written into it."""

    configured = current_app.config.get("UPLOAD_DIR")
    where = configured or str(Path(current_app.instance_path) / "uploads")
    try:
        folder = upload_dir()
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".lxp-check-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        return Check("uploads", False, f"{where} is not writable: {_first_line(exc)}",
                     "give the lxp user write access to LXP_UPLOAD_DIR")  # fmt: skip
    return Check("uploads", True, f"{folder} is writable")


def virus_scanner() -> Check:
    """When ``LXP_CLAMD`` is set: clamd answers PING and VERSION (its engine and signatures).
    Unset is fine: uploads are then kept unscanned (the detail says so)."""
    scanner = scanning.configured()
    if scanner is None:
        return Check("clamd", True, "not configured: uploads are not scanned for viruses (set LXP_CLAMD)")
    try:
        version = scanner.version()
    except scanning.ScannerUnreachable as exc:
        refused = "every upload is refused" if current_app.config["CLAMD_REQUIRED"] else "uploads are kept unscanned"
        return Check("clamd", False, f"{exc}; until it answers, {refused}",
                     "start clamd (clamav-daemon) or correct LXP_CLAMD")  # fmt: skip
    return Check("clamd", True, f"{scanner.address} answers: {version}")


def scheduler() -> Check:
    """Every scheduler job ran recently (its heartbeat) and its last run did not fail."""

    if not schema_state().at_head:
        return Check("scheduler", False, "not checked: the database is not ready", "see the database check")
    try:
        pulses = heartbeats.pulses(JOBS)
    except SQLAlchemyError as exc:
        return Check("scheduler", False, f"cannot read the heartbeat: {_first_line(exc)}", "see the database check")
    finally:
        db.session.rollback()  # end the read transaction
    start = "start flask lxp scheduler (its own process) and run the check again after a minute"
    if all(pulse.last_run_at is None for pulse in pulses):
        return Check("scheduler", False, "no scheduler has run yet", start)
    now = utcnow()
    stale = [pulse for pulse in pulses if pulse.stale]
    if stale:
        ages = ", ".join(
            f"{p.job_id} {_age(now - p.last_run_at) + ' ago' if p.last_run_at else 'never'}" for p in stale
        )
        return Check("scheduler", False, f"stale: last run of {ages}", start)
    failed = [pulse for pulse in pulses if pulse.last_error]
    if failed:
        errors = "; ".join(f"{p.job_id}: {p.last_error}" for p in failed)
        return Check("scheduler", False, f"last run failed: {errors}", "see the scheduler's log")
    newest = max(pulse.last_run_at for pulse in pulses)
    return Check("scheduler", True, f"{len(pulses)} jobs ran recently (last {_age(now - newest)} ago)")


def proxy() -> Check:
    """How many reverse proxies' X-Forwarded-* lxp trusts; production runs behind one."""
    hops = current_app.config["PROXY_HOPS"]
    if hops:
        return Check("proxy", True, f"trusting X-Forwarded-* from {hops} proxy hop{'s' if hops > 1 else ''}")
    if _production():
        return Check("proxy", False, "LXP_PROXY_HOPS=0: behind a reverse proxy every client would have the "
                     "proxy's address (one sign-in limit for everybody)",
                     "set LXP_PROXY_HOPS=1 behind one reverse proxy (deploy/Caddyfile)")  # fmt: skip
    return Check("proxy", True, "no proxy trusted: clients connect directly (LXP_PROXY_HOPS=0)")


def metrics() -> Check:
    """Who may read /metrics: a long enough token, internal addresses, or nobody (404)."""
    config = current_app.config
    token, allowed = config.get("METRICS_TOKEN"), config.get("METRICS_ALLOW")
    if token and len(token) < MIN_METRICS_TOKEN_LENGTH:
        return Check("metrics", False, f"LXP_METRICS_TOKEN has only {len(token)} characters",
                     f"use at least {MIN_METRICS_TOKEN_LENGTH} random characters")  # fmt: skip
    if not token and not allowed:
        return Check("metrics", True, "off: /metrics answers 404 (set LXP_METRICS_TOKEN or LXP_METRICS_ALLOW)")
    who = [*(["a bearer token"] if token else []), *([f"addresses in {allowed}"] if allowed else [])]
    return Check("metrics", True, f"/metrics open to {' or '.join(who)}")


def _age(age: timedelta) -> str:
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


CHECKS: tuple[Callable[[], Check], ...] = (
    secret_key, encryption, base_url, database, smtp, vapid, rate_limit_storage, upload_folder, virus_scanner,
    scheduler, proxy, metrics,
)  # fmt: skip


def run_all() -> list[Check]:
    """Every check, in order."""
    return [check() for check in CHECKS]
