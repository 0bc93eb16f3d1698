"""Entry point for the scheduler process (``flask --app scheduler_app lxp scheduler``): the app
its jobs need, without pages, the API, the request guards, metrics or the ``flask db`` commands, so it
holds less memory than ``wsgi:app`` (issue 20; ``bench/memory.py`` measures both)."""

from lxp import create_app

app = create_app(migrations=False, kind="scheduler")
