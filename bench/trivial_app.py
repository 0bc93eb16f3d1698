"""The yardstick for bench/compare.py: the least a Flask app can do per request.

Served by the same gunicorn settings as lxp (deploy/gunicorn.conf.py), so the ratio of a page's
throughput to this endpoint's says what lxp adds on top of Flask, gunicorn and the machine.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """A constant short answer."""
    return "ok"
