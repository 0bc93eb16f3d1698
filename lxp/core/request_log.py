"""Request ids and log lines an operator can search: one line per request and per job.

Every request gets an id: the incoming ``X-Request-ID`` when it is sane (1-128 letters,
digits and ``._:-``, as a proxy or load balancer sets it), else a new random one. It is echoed
in the ``X-Request-ID`` response header, shown on error pages ("reference for support") and
put on the request's log line, so a person's screenshot leads to the line.

The request line (logger ``lxp.request``) carries the request id, the user id and their
organisation id (when signed in), the endpoint (never the path: paths hold invitation and
reset tokens), the method, the status, the duration in milliseconds and how many SQL
statements ran. Scheduler jobs write one line each (logger ``lxp.job``, see
``lxp.scheduler``). With ``LOG_FORMAT = "json"`` every log line of the process is one JSON
object; with ``"text"`` a plain line, the fields appended as ``key=value``.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_app_context, request, request_finished, request_started
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
FIELDS = "lxp"  # the ``extra`` key holding a line's structured fields

request_log = logging.getLogger("lxp.request")
_handler_key = "lxp_log_handler"


def request_id_from(header_value: str | None) -> str:
    """The incoming id when sane, else a new one (32 hex digits)."""
    if header_value and _SANE_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return g.get("request_id") if has_app_context() else None


# --- counting SQL statements -----------------------------------------------------------------


def _count_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    if has_app_context() and "sql_statements" in g:
        g.sql_statements += 1


def start_counting() -> None:
    """Count the SQL statements run from now on in this app context (``g.sql_statements``)."""
    g.sql_statements = 0


if not event.contains(Engine, "before_cursor_execute", _count_statement):
    event.listen(Engine, "before_cursor_execute", _count_statement)


# --- formatting ------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the line's fields, an exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, FIELDS, None)
        if fields is None and line["message"].startswith("{"):
            fields = _json_object(line["message"])  # a line that is JSON already (lxp.security)
            if fields is not None:
                del line["message"]
                fields = {key: value for key, value in fields.items() if key not in line}
        if isinstance(fields, dict):
            line.update(fields)
        elif (request_id := getattr(record, "request_id", None) or _request_id_of_record()) is not None:
            line["request_id"] = request_id  # any other line logged while serving a request
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def _json_object(text: str) -> dict | None:
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


class TextFormatter(logging.Formatter):
    """The usual text line, with a line's fields appended as ``key=value``."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, FIELDS, None)
        if isinstance(fields, dict):
            text += " " + " ".join(f"{key}={value}" for key, value in fields.items() if value is not None)
        return text


def _request_id_of_record() -> str | None:
    try:
        return current_request_id()
    except RuntimeError:
        return None


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served when it was logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id_of_record()
        return True


def configure_logging(log_format: str) -> None:
    """One handler on the root logger, writing to stderr in ``log_format`` (text or json);
    calling it again replaces that handler (one process may build several apps)."""
    root = logging.getLogger()
    previous = getattr(root, _handler_key, None)
    if previous is not None:
        root.removeHandler(previous)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    setattr(root, _handler_key, handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.getLogger("lxp").setLevel(logging.INFO)


# --- the request's line ----------------------------------------------------------------------


def _begin(sender, **extra) -> None:
    g.request_id = request_id_from(request.headers.get(HEADER))
    g.request_started = time.perf_counter()
    start_counting()


def _note_response(response):
    """``after_request`` (before the unit of work ends): note who asked while the user is
    loaded, and echo the request id."""
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_authenticated", False):
        state = inspect(user, raiseerr=False)
        if state is not None and state.identity:
            g.log_user_id = state.identity[0]
            g.log_organisation_id = state.dict.get("organisation_id")
    if "request_id" in g:
        response.headers[HEADER] = g.request_id
    return response


def _finish(sender, response, **extra) -> None:
    if "request_started" not in g:
        return
    fields = {
        "request_id": g.request_id,
        "user_id": g.get("log_user_id"),
        "organisation_id": g.get("log_organisation_id"),
        "endpoint": request.endpoint,
        "method": request.method,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
        "sql_statements": g.get("sql_statements", 0),
    }
    request_log.info("%s %s %s", request.method, request.endpoint, response.status_code, extra={FIELDS: fields})


def init_app(app: Flask) -> None:
    """Ids and the request line for ``app`` (``configure_logging`` sets the format)."""
    request_started.connect(_begin, app)
    request_finished.connect(_finish, app)
    app.after_request(_note_response)
