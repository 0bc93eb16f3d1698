"""Configuration for lxp, read from ``LXP_*`` environment variables.

Nothing here runs at import time: ``Config.from_env()`` is called by ``create_app`` when no
configuration is passed in, so tests and tools can build an app from a plain mapping.
Every setting is listed in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from datetime import timedelta


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected a yes/no value, got {value!r}")


class Config:
    """Safe defaults for development; ``from_env`` overrides them from ``LXP_*`` variables."""

    LXP_ENV = "development"
    INSTANCE_PATH: str | None = None  # None: instance/ beside the lxp package
    SECRET_KEY: str | None = None
    # Fernet keys for secrets stored in the database, comma-separated: the first encrypts, all
    # decrypt (rotation). None: generated once into instance/encryption_key (not in production).
    ENCRYPTION_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: instance/lxp.db
    # Connections are replaced after 5 minutes instead of pinged before every checkout (a round
    # trip per request); shorter than PostgreSQL's and proxies' usual idle time-outs.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_recycle": 300}
    # PostgreSQL: psycopg prepares a statement run often on a connection (planned once). Off
    # only behind a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
    DB_PREPARED_STATEMENTS = True
    BASE_URL = "http://127.0.0.1:5000"
    HTTPS = False
    # Cookie names with the ``__Host-`` prefix (the browser then keeps them only when Secure,
    # for this host alone, path /): None follows HTTPS. Turning it on renames the session and
    # remember-me cookies, which signs everyone out once.
    HOST_COOKIES: bool | None = None
    # "off": run ``flask lxp scheduler`` as its own process; "inline": inside the web process
    # (development; ``make run`` sets it)
    SCHEDULER = "off"

    # Sessions: idle time-out refreshes on every request; the absolute one does not.
    SESSION_IDLE_MINUTES = 120
    SESSION_ABSOLUTE_HOURS = 12
    REMEMBER_DAYS = 14

    # Tokens sent by e-mail.
    INVITATION_DAYS = 7
    PASSWORD_RESET_HOURS = 2

    # Rate limits: memory:// is per process; use redis://127.0.0.1:6379 with several workers.
    # Production refuses to start with memory:// when WORKERS says more than one process serves.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_KEY_PREFIX = ""  # keeps several lxp sites (or test runs) apart in one Redis
    # How many web worker processes serve this site: LXP_WORKERS, else WEB_CONCURRENCY (which
    # gunicorn also reads as its default for -w). Only used to check the rate-limit storage.
    WORKERS = 1
    LOGIN_RATE_LIMIT = "5 per minute"
    # Failed sign-ins per account, from any address and in any spelling of the e-mail.
    LOGIN_ACCOUNT_RATE_LIMIT = "20 per hour"

    # Mail: with no SMTP host, mails are written to the log (development only).
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = False
    SMTP_SSL = False
    SMTP_TIMEOUT = 10
    MAIL_FROM = "lxp <no-reply@lxp.localhost>"
    # The domain of Message-IDs (fully qualified); None: the host of BASE_URL, else MAIL_FROM's.
    MAIL_DOMAIN: str | None = None
    # DKIM signing of every mail: a PEM private key file and the selector whose TXT record at
    # <selector>._domainkey.<DKIM_DOMAIN> holds the public key. DKIM_DOMAIN None: MAIL_FROM's domain.
    DKIM_KEY_FILE: str | None = None
    DKIM_SELECTOR: str | None = None
    DKIM_DOMAIN: str | None = None

    # Touchpoint delivery: tries before a message becomes a dead letter (admins see it on
    # /admin/outbox), and how long a delivery run holds its claim on a message before another
    # run may take it over (a run that died).
    OUTBOX_MAX_ATTEMPTS = 6
    OUTBOX_CLAIM_SECONDS = 300

    # Web Push (VAPID): without keys, a pair is generated once into instance/vapid.json. Set
    # them when several hosts serve lxp, so all sign with the same key. The subject is a
    # mailto: or https: contact for push services; None: the address of MAIL_FROM.
    VAPID_PRIVATE_KEY: str | None = None
    VAPID_PUBLIC_KEY: str | None = None
    VAPID_SUBJECT: str | None = None

    # The LRS address an admin gives may not be, or resolve to, a loopback, private, link-local,
    # multicast, reserved or unspecified address (server-side request forgery), unless this allows it.
    LRS_ALLOW_PRIVATE = False
    # The same rule for an organisation's OpenID provider (company sign-in): its issuer and
    # endpoints must be public https:// addresses unless this allows private ones and http://.
    SSO_ALLOW_PRIVATE = False
    # How far a SAML provider's clock may be from lxp's (seconds) before its assertions are refused.
    SAML_CLOCK_SKEW = 120

    DEFAULT_LOCALE = "en"
    DEFAULT_TIMEZONE = "UTC"
    LOCALES = ("en", "de", "ru")

    # Operations: log lines as "text" or one JSON object a line ("json"); how many reverse
    # proxies in front are trusted for X-Forwarded-*; who may read /metrics (a bearer token,
    # and/or client addresses or networks, comma-separated; neither: /metrics answers 404).
    LOG_FORMAT = "text"
    PROXY_HOPS = 0
    METRICS_TOKEN: str | None = None
    METRICS_ALLOW: str | None = None

    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    UPLOAD_DIR: str | None = None  # None: uploads/ in the instance folder; never under static/
    # Content packages (SCORM, cmi5 zips): the zip, everything unpacked, and the number of files.
    PACKAGE_MAX_MB = 200
    PACKAGE_MAX_UNPACKED_MB = 500
    PACKAGE_MAX_FILES = 5000
    # Virus scanning of every kept upload (files, packages) by ClamAV's clamd: its socket as
    # unix:/path (or just /path) or tcp://host:port (or host:port); None: not scanned. With
    # CLAMD_REQUIRED an upload is refused while clamd cannot answer (fail closed); without, it is
    # kept unscanned and a warning logged.
    CLAMD: str | None = None
    CLAMD_REQUIRED = True
    CLAMD_TIMEOUT = 30
    CSV_IMPORT_MAX_ROWS = 5000
    # Predictive support: a trained risk model is used only when its AUC on the held-out later
    # weeks beats "days since last activity" by this many hundredths (else the rules alone apply).
    RISK_MARGIN_POINTS = 2
    # Train risk models in a short-lived child process (the scheduler's app sets it): numpy and
    # scikit-learn would otherwise stay in the long-lived scheduler after its weekly retraining.
    RISK_TRAIN_APART = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> dict:
        """Return the settings as a dict, with ``LXP_*`` variables applied over the defaults.

        Raises ``ValueError`` naming the variable when a value cannot be read.
        """
        env = os.environ if environ is None else environ
        settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}

        def text(name: str, key: str) -> None:
            if env.get(name):
                settings[key] = env[name]

        def number(name: str, key: str) -> None:
            if env.get(name):
                try:
                    settings[key] = int(env[name])
                except ValueError:
                    raise ValueError(f"{name} must be a whole number, got {env[name]!r}") from None

        def flag(name: str, key: str) -> None:
            try:
                settings[key] = _flag(env.get(name), settings[key])
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None

        text("LXP_ENV", "LXP_ENV")
        text("LXP_INSTANCE_PATH", "INSTANCE_PATH")
        text("LXP_SECRET_KEY", "SECRET_KEY")
        text("LXP_ENCRYPTION_KEY", "ENCRYPTION_KEY")
        text("LXP_DATABASE_URL", "SQLALCHEMY_DATABASE_URI")
        flag("LXP_DB_PREPARED_STATEMENTS", "DB_PREPARED_STATEMENTS")
        text("LXP_BASE_URL", "BASE_URL")
        flag("LXP_HTTPS", "HTTPS")
        flag("LXP_HOST_COOKIES", "HOST_COOKIES")
        number("LXP_SESSION_IDLE_MINUTES", "SESSION_IDLE_MINUTES")
        number("LXP_RISK_MARGIN_POINTS", "RISK_MARGIN_POINTS")
        number("LXP_SESSION_ABSOLUTE_HOURS", "SESSION_ABSOLUTE_HOURS")
        number("LXP_REMEMBER_DAYS", "REMEMBER_DAYS")
        number("LXP_INVITATION_DAYS", "INVITATION_DAYS")
        number("LXP_PASSWORD_RESET_HOURS", "PASSWORD_RESET_HOURS")
        text("LXP_RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URI")
        flag("LXP_RATELIMIT_ENABLED", "RATELIMIT_ENABLED")
        text("LXP_RATELIMIT_KEY_PREFIX", "RATELIMIT_KEY_PREFIX")
        number("WEB_CONCURRENCY", "WORKERS")
        number("LXP_WORKERS", "WORKERS")
        text("LXP_LOGIN_RATE_LIMIT", "LOGIN_RATE_LIMIT")
        text("LXP_LOGIN_ACCOUNT_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT")
        text("LXP_SMTP_HOST", "SMTP_HOST")
        number("LXP_SMTP_PORT", "SMTP_PORT")
        text("LXP_SMTP_USERNAME", "SMTP_USERNAME")
        text("LXP_SMTP_PASSWORD", "SMTP_PASSWORD")
        flag("LXP_SMTP_STARTTLS", "SMTP_STARTTLS")
        flag("LXP_SMTP_SSL", "SMTP_SSL")
        text("LXP_MAIL_FROM", "MAIL_FROM")
        text("LXP_MAIL_DOMAIN", "MAIL_DOMAIN")
        text("LXP_DKIM_KEY_FILE", "DKIM_KEY_FILE")
        text("LXP_DKIM_SELECTOR", "DKIM_SELECTOR")
        text("LXP_DKIM_DOMAIN", "DKIM_DOMAIN")
        number("LXP_OUTBOX_MAX_ATTEMPTS", "OUTBOX_MAX_ATTEMPTS")
        number("LXP_OUTBOX_CLAIM_SECONDS", "OUTBOX_CLAIM_SECONDS")
        text("LXP_VAPID_PRIVATE_KEY", "VAPID_PRIVATE_KEY")
        text("LXP_VAPID_PUBLIC_KEY", "VAPID_PUBLIC_KEY")
        text("LXP_VAPID_SUBJECT", "VAPID_SUBJECT")
        flag("LXP_LRS_ALLOW_PRIVATE", "LRS_ALLOW_PRIVATE")
        flag("LXP_SSO_ALLOW_PRIVATE", "SSO_ALLOW_PRIVATE")
        number("LXP_SAML_CLOCK_SKEW", "SAML_CLOCK_SKEW")
        text("LXP_DEFAULT_LOCALE", "DEFAULT_LOCALE")
        text("LXP_DEFAULT_TIMEZONE", "DEFAULT_TIMEZONE")
        number("LXP_MAX_UPLOAD_MB", "MAX_CONTENT_LENGTH")
        text("LXP_UPLOAD_DIR", "UPLOAD_DIR")
        number("LXP_PACKAGE_MAX_MB", "PACKAGE_MAX_MB")
        number("LXP_PACKAGE_MAX_UNPACKED_MB", "PACKAGE_MAX_UNPACKED_MB")
        number("LXP_PACKAGE_MAX_FILES", "PACKAGE_MAX_FILES")
        text("LXP_CLAMD", "CLAMD")
        flag("LXP_CLAMD_REQUIRED", "CLAMD_REQUIRED")
        number("LXP_CLAMD_TIMEOUT", "CLAMD_TIMEOUT")
        text("LXP_SCHEDULER", "SCHEDULER")
        text("LXP_LOG_FORMAT", "LOG_FORMAT")
        number("LXP_PROXY_HOPS", "PROXY_HOPS")
        text("LXP_METRICS_TOKEN", "METRICS_TOKEN")
        text("LXP_METRICS_ALLOW", "METRICS_ALLOW")
        if settings["LOG_FORMAT"] not in ("text", "json"):
            raise ValueError(f"LXP_LOG_FORMAT: expected text or json, got {settings['LOG_FORMAT']!r}")
        for part in (settings["METRICS_ALLOW"] or "").split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"LXP_METRICS_ALLOW: {part.strip()!r} is not an address or network") from None
        if settings["CLAMD"]:
            clamd_address(settings["CLAMD"])  # raises ValueError naming LXP_CLAMD
        if settings["CLAMD_TIMEOUT"] < 1:
            raise ValueError(f"LXP_CLAMD_TIMEOUT must be at least 1 second, got {settings['CLAMD_TIMEOUT']}")
        if settings["PROXY_HOPS"] < 0:
            raise ValueError(f"LXP_PROXY_HOPS must be 0 or more, got {settings['PROXY_HOPS']}")
        if settings["SCHEDULER"] not in ("off", "inline"):
            raise ValueError(f"LXP_SCHEDULER: expected off or inline, got {settings['SCHEDULER']!r}")
        for name, key in (
            ("LXP_OUTBOX_MAX_ATTEMPTS", "OUTBOX_MAX_ATTEMPTS"),
            ("LXP_OUTBOX_CLAIM_SECONDS", "OUTBOX_CLAIM_SECONDS"),
        ):
            if settings[key] < 1:
                raise ValueError(f"{name} must be at least 1, got {settings[key]}")
        if env.get("LXP_MAX_UPLOAD_MB"):
            settings["MAX_CONTENT_LENGTH"] *= 1024 * 1024
        return settings


def clamd_address(value: str) -> tuple[str, str | tuple[str, int]]:
    """Where clamd listens, read from ``LXP_CLAMD``: ``("unix", path)`` for ``unix:/path`` or
    ``/path``, ``("tcp", (host, port))`` for ``tcp://host:port`` or ``host:port``. Raises
    ``ValueError`` naming the variable for anything else."""
    text = value.strip()
    if text.startswith("unix:"):
        text = text.removeprefix("unix:").removeprefix("//")
    if text.startswith("/"):
        return "unix", text
    host, _, port = text.removeprefix("tcp://").rpartition(":")
    host = host.strip("[]")
    if host and port.isdigit() and 0 < int(port) < 65536:
        return "tcp", (host, int(port))
    raise ValueError(f"LXP_CLAMD: expected unix:/path/to/clamd.ctl or tcp://host:port, got {value!r}")


def host_cookies(settings: Mapping) -> bool:
    """Whether cookies get ``__Host-`` names: as ``HOST_COOKIES`` says, else with HTTPS. Raises
    ``ValueError`` when asked for without HTTPS (browsers drop such a cookie unless Secure)."""
    wanted = settings.get("HOST_COOKIES")
    if wanted and not settings["HTTPS"]:
        raise ValueError("LXP_HOST_COOKIES needs LXP_HTTPS: a __Host- cookie must be Secure")
    return settings["HTTPS"] if wanted is None else bool(wanted)


def derived_settings(settings: dict) -> dict:
    """Flask and extension settings that follow from the lxp ones."""
    https = settings["HTTPS"]
    prefix = "__Host-" if host_cookies(settings) else ""
    return {
        "SESSION_COOKIE_NAME": f"{prefix}session",
        "REMEMBER_COOKIE_NAME": f"{prefix}remember_token",
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=settings["SESSION_IDLE_MINUTES"]),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_DURATION": timedelta(days=settings["REMEMBER_DAYS"]),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "BABEL_DEFAULT_LOCALE": settings["DEFAULT_LOCALE"],
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session does
    }
