"""Entry point for gunicorn (``gunicorn wsgi:app``) and the scheduler (``flask --app wsgi lxp
scheduler``): the app without the ``flask db`` commands, so neither holds Alembic."""

import os

from lxp import create_app
from lxp.extensions import db

app = create_app(migrations=False)  # a web server runs no `flask db` commands


def _forget_parent_connections() -> None:
    """A worker forked from a master that loaded the app (``preload_app``) must not use the
    master's pooled connections: drop them from its pool without closing them (SQLAlchemy's
    advice for forked processes)."""
    with app.app_context():
        db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_parent_connections)
