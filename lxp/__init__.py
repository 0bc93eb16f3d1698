"""lxp: an adaptive learner-experience platform."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import event

from config import Config, derived_settings
from lxp.core import request_log
from lxp.core.addresses import Lxp

PROJECT_ROOT = Path(__file__).resolve().parent.parent


KINDS = ("web", "scheduler")


def create_app(config: Mapping | object | None = None, *, migrations: bool = True, kind: str = "web") -> Flask:
    """Build the application.

    ``config`` is a mapping or an object with upper-case attributes; without one, settings
    come from ``LXP_*`` environment variables (see ``config.py``). ``migrations=False`` (what
    ``wsgi.py`` asks for) leaves out ``flask db`` and Flask-Migrate's functions, so a web worker
    does not hold Alembic (about 11 MB with Mako and Pygments); ``/readyz`` still works. Raises ``RuntimeError``
    when production is configured without a secret key, or with rate limits in memory while
    more than one worker serves.

    ``kind="scheduler"`` (what ``scheduler_app.py`` asks for) builds what the scheduler's jobs
    need and nothing a browser or an API client does: models, services, mail templates with
    their translations, and build-only copies of the URL rules of the pages messages link to
    (``lxp.channels.page_rules``), but no page, form, API or OpenAPI document, no CSRF, rate
    limits, security headers, compression, error pages or metrics, and only the ``flask lxp
    scheduler`` command, so the scheduler process holds less memory.
    Raises ``ValueError`` for another kind.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    web = kind == "web"
    settings = Config.from_env() if config is None else _as_mapping(config)
    base = {key: getattr(Config, key) for key in dir(Config) if key.isupper()}
    merged = {**base, **settings}
    app = Lxp(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(merged["INSTANCE_PATH"] or PROJECT_ROOT / "instance"),
    )
    app.config.update({**derived_settings(merged), **merged})

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _configure_secret_key(app)
    _check_rate_limit_storage(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'lxp.db'}"
    if not app.config["DB_PREPARED_STATEMENTS"] and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {**options.get("connect_args", {}), "prepare_threshold": None}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    # LOG_FORMAT text or json; lxp's own INFO lines (mails written to the log in development,
    # one line per request and job) shown.
    request_log.configure_logging(app.config["LOG_FORMAT"])

    _init_extensions(app, migrations, web=web)
    request_log.init_app(app)  # after the unit of work's hooks: notes the user before the commit
    from lxp import scheduler

    _load_features()
    from lxp import channels

    channels.init_app(app)
    if not web:
        from lxp.channels import page_rules

        app.config["RISK_TRAIN_APART"] = True  # see config.py
        page_rules.add_to(app)  # messages link to pages: their URL rules, without the views
        scheduler.init_cli(app)
        return app

    from lxp.core import serving  # compression and static files: requests only

    serving.init_app(app)
    _register_blueprints(app)

    from lxp.audit import refusals
    from lxp.core import error_pages
    from lxp.ops import metrics

    error_pages.init_app(app)
    refusals.init_app(app)  # after the unit of work's hooks, so it runs before the request ends
    app.cli.add_command(_LazyLxpCommands())
    scheduler.init_app(app)
    metrics.init_app(app)
    return app


class _LazyLxpCommands(click.Group):
    """``flask lxp …``, loaded when a command is run or listed: the commands bring the demo data,
    backups and their libraries (about 3 MB), which a web worker never needs (issue 20)."""

    def __init__(self) -> None:
        super().__init__("lxp", help="lxp administration commands.")

    @staticmethod
    def _loaded() -> click.Group:
        from lxp import cli

        return cli.prepared_group()

    def make_context(self, info_name, args, parent=None, **extra):
        return self._loaded().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx):
        return self._loaded().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        return self._loaded().get_command(ctx, cmd_name)


def _as_mapping(config: Mapping | object) -> dict:
    if isinstance(config, Mapping):
        return dict(config)
    return {key: getattr(config, key) for key in dir(config) if key.isupper()}


def _configure_secret_key(app: Flask) -> None:
    """Production needs LXP_SECRET_KEY; elsewhere one is generated once into instance/."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["LXP_ENV"] == "production":
        raise RuntimeError("LXP_SECRET_KEY must be set when LXP_ENV=production")
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def _check_rate_limit_storage(app: Flask) -> None:
    """Production with several workers needs shared rate-limit counters: ``memory://`` counts
    per process, so every limit would be multiplied by the number of workers. Checked before
    the limiter is set up (it is process-wide)."""
    config = app.config
    if (config["LXP_ENV"] == "production" and config["RATELIMIT_ENABLED"] and config["WORKERS"] > 1
            and config["RATELIMIT_STORAGE_URI"].startswith("memory://")):  # fmt: skip
        raise RuntimeError(
            f"LXP_RATELIMIT_STORAGE_URI is memory:// but {config['WORKERS']} workers are configured "
            "(LXP_WORKERS or WEB_CONCURRENCY): each would keep its own counts; use redis://…"
        )


def _init_extensions(app: Flask, migrations: bool, *, web: bool = True) -> None:
    from lxp.core import crypto, i18n, links, markdown, unit_of_work
    from lxp.core import migrations as schema_migrations
    from lxp.extensions import babel, db

    crypto.init_app(app)
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _tune_sqlite(db.engine)
    unit_of_work.install(db.session)
    unit_of_work.init_app(app)  # first of the request hooks, so it sees everything a request writes
    schema_migrations.init_app(app, str(PROJECT_ROOT / "migrations"), with_commands=migrations)
    if web:
        _init_request_guards(app)
    # Mails render templates in the recipient's language, in jobs as on pages.
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.init_app(app)
    app.add_template_filter(markdown.render, "markdown")
    app.add_template_filter(markdown.preview, "preview")
    app.add_template_filter(markdown.render_for_email, "email_markdown")
    app.add_template_filter(links.web_address, "web_address")
    if web:
        markdown.load()  # before gunicorn forks the workers, so they share it (the scheduler never needs it)
        _init_sign_in(app)


def _init_request_guards(app: Flask) -> None:
    """Requests only: sign-in required by default, CSRF, rate limits."""
    from lxp.core import auth
    from lxp.extensions import csrf, limiter

    # Sign-in is checked before CSRF, so an anonymous POST is sent to the login page.
    app.before_request(auth.require_login_by_default)
    csrf.init_app(app)
    limiter.init_app(app)


def _init_sign_in(app: Flask) -> None:
    """Requests only: security headers, sessions and sign-in, JSON depth."""
    from flask_login import user_logged_in

    from lxp.accounts import services as accounts_services
    from lxp.accounts import sessions as accounts_sessions
    from lxp.core import json_depth, security

    security.init_app(app, accounts_services.load_user)
    user_logged_in.connect(accounts_sessions.on_login, app)  # each sign-in opens a listed session
    json_depth.init_app(app)


def _tune_sqlite(engine) -> None:
    """Make SQLite behave like the production database where our code relies on it."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        # Let SQLAlchemy, not pysqlite, begin transactions, so SAVEPOINTs nest correctly.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # Write-ahead log: an open read transaction (a page, the scheduler) never blocks a write.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        # SQLite's lower() folds ASCII only; PostgreSQL's folds "È" too (SCIM filters rely on it).
        dbapi_connection.create_function("lower", 1, lambda text: text.lower() if isinstance(text, str) else text,
                                         deterministic=True)  # fmt: skip

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # IMMEDIATE takes the write lock up front, so a unit of work that reads and then
        # writes waits for other writers (busy_timeout) instead of failing when its snapshot
        # went stale. SQLite serialises writers anyway; PostgreSQL is the path to scale.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _load_features() -> None:
    """What pages and jobs both need loaded: every model (relationships name each other), the
    channels, and the modules that register themselves with others when imported (the pages
    import them too, but the scheduler imports no page; ``test_worker_imports.py`` checks)."""
    from lxp import channels

    channels.load_all()  # each registers itself; the inbox's table is known to migrations early
    import lxp.assignments.services  # noqa: F401  (it plans assignments and hears who joined)
    import lxp.audit.models  # noqa: F401
    import lxp.credentials.models  # noqa: F401
    import lxp.files.models  # noqa: F401
    import lxp.insights.models  # noqa: F401
    import lxp.live.registration  # noqa: F401  (where the planner reads live sessions' dates)
    import lxp.lrs.models  # noqa: F401
    import lxp.managers.services  # noqa: F401  (it hears a directory's manager attribute)
    import lxp.packages.models  # noqa: F401
    import lxp.packages.services  # noqa: F401  (checks a course import's references to packages)
    import lxp.paths.models  # noqa: F401
    import lxp.privacy.models  # noqa: F401
    import lxp.push.models  # noqa: F401
    import lxp.risk.models  # noqa: F401
    import lxp.scim.models  # noqa: F401
    import lxp.social.mentions  # noqa: F401  (registers the describer of mentions with the nudges)
    import lxp.sso.models  # noqa: F401
    import lxp.sso.services  # noqa: F401  (company sign-in: invitations link to it, passwords refused)
    import lxp.workplace.models  # noqa: F401
    import lxp.workplace.services  # noqa: F401  (who may see evidence files)


def _register_blueprints(app: Flask) -> None:
    from lxp.accounts.token_views import bp as api_tokens_bp
    from lxp.accounts.two_step_views import bp as two_step_bp
    from lxp.accounts.views import bp as accounts_bp
    from lxp.assignments.views import bp as assignments_bp
    from lxp.authoring.catalogue_views import bp as catalogue_bp
    from lxp.authoring.structure_views import bp as course_structure_bp
    from lxp.authoring.views import bp as authoring_bp
    from lxp.coaching.views import bp as coaching_bp
    from lxp.cohorts.views import bp as cohorts_bp
    from lxp.core.views import bp as core_bp
    from lxp.credentials.views import admin_bp as credentials_admin_bp
    from lxp.credentials.views import bp as credentials_bp
    from lxp.files.views import bp as files_bp
    from lxp.insights.effect_views import bp as touchpoint_effect_bp
    from lxp.insights.views import bp as insights_bp
    from lxp.learning.app_shell import bp as app_shell_bp
    from lxp.learning.views import bp as learning_bp
    from lxp.live.views import bp as live_bp
    from lxp.lrs.views import bp as lrs_bp
    from lxp.managers.views import admin_bp as reporting_lines_bp
    from lxp.managers.views import bp as managers_bp
    from lxp.nudges.outbox_views import bp as outbox_admin_bp
    from lxp.nudges.review_views import bp as review_bp
    from lxp.nudges.rule_views import bp as touchpoint_rules_bp
    from lxp.nudges.views import bp as nudges_bp
    from lxp.ops.views import bp as ops_bp
    from lxp.packages.lrs_views import bp as package_lrs_bp
    from lxp.packages.views import admin_bp as package_admin_bp
    from lxp.packages.views import bp as packages_bp
    from lxp.people.views import bp as admin_users_bp
    from lxp.privacy.views import bp as privacy_bp
    from lxp.push.views import bp as push_bp
    from lxp.risk.views import bp as risk_bp
    from lxp.scim.views import admin_bp as scim_admin_bp
    from lxp.scim.views import bp as scim_bp
    from lxp.social.views import bp as social_bp
    from lxp.sso.saml_views import bp as sso_saml_bp
    from lxp.sso.views import admin_bp as sso_admin_bp
    from lxp.sso.views import bp as sso_bp
    from lxp.workplace.views import bp as workplace_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(two_step_bp)
    app.register_blueprint(admin_users_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(app_shell_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(course_structure_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(coaching_bp)
    app.register_blueprint(cohorts_bp)
    app.register_blueprint(assignments_bp)
    app.register_blueprint(managers_bp)
    app.register_blueprint(reporting_lines_bp)
    app.register_blueprint(nudges_bp)
    app.register_blueprint(touchpoint_rules_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(touchpoint_effect_bp)
    app.register_blueprint(outbox_admin_bp)
    app.register_blueprint(files_bp)
    app.register_blueprint(workplace_bp)
    app.register_blueprint(risk_bp)
    app.register_blueprint(social_bp)
    app.register_blueprint(push_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(insights_bp)
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(lrs_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(sso_admin_bp)
    app.register_blueprint(sso_saml_bp)
    app.register_blueprint(scim_bp)
    app.register_blueprint(scim_admin_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(credentials_bp)
    app.register_blueprint(credentials_admin_bp)
    app.register_blueprint(packages_bp)
    app.register_blueprint(package_admin_bp)
    app.register_blueprint(package_lrs_bp)

    from lxp import api

    api.init_app(app)
