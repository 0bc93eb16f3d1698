"""Entry point for gunicorn: ``gunicorn wsgi:app``."""

from lxp import create_app

app = create_app()
