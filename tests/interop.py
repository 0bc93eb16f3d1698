"""The independent peers the interoperability tests run: the Ralph LRS (a real xAPI LRS from
PyPI, with its own validation) and openapi-python-client, both from ``.venv-interop`` (``make
interop``). Without that environment the tests are skipped with the reason, and fail under
``CI=true``."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INTEROP = Path(os.environ.get("LXP_INTEROP_VENV", ROOT / ".venv-interop"))
PYTHON = INTEROP / "bin" / "python"


def interop_python() -> Path:
    """The interop environment's Python; skips (fails in CI) when it is not installed."""
    if not PYTHON.exists():
        message = f"{INTEROP} is missing: run `make interop`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return PYTHON


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Ralph 5.1's file-system backend writes with CREATE unless told otherwise, so its second POST
# fails ("already exists"); its APPEND mode is what an LRS needs. Everything else, validation
# and the duplicate check included, is Ralph's own.
RALPH_LAUNCHER = """
import sys, uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend
FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="info")
"""


class Ralph:
    """A Ralph LRS on a loopback port, storing statements in files under ``folder``, with one
    Basic-auth user."""

    def __init__(self, folder: Path, username: str = "lxp-key", password: str = "s3cret"):  # noqa: S107 (a test LRS)
        python = interop_python()
        self.username, self.password, self.port = username, password, free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}/xAPI/"
        auth = folder / "auth.json"
        hashed = subprocess.run(
            [python, "-c", "import bcrypt, sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(4)).decode())",
             password], check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
        auth.write_text(json.dumps([{"username": username, "hash": hashed, "scopes": ["all"],
                                     "agent": {"account": {"homePage": "https://lrs.example.org", "name": username}}}]))  # fmt: skip
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(folder), "RALPH_APP_DIR": str(folder / "app"),
               "RALPH_AUTH_FILE": str(auth), "RALPH_RUNSERVER_BACKEND": "fs",
               "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder)}  # fmt: skip
        self.log = (folder / "ralph.log").open("w")
        self.process = subprocess.Popen(
            [python, "-c", RALPH_LAUNCHER, str(self.port)],
            cwd=folder, env=env, stdout=self.log, stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Ralph did not start: {(folder / 'ralph.log').read_text()[-2000:]}")

    def request(self, path: str, *, body=None, method=None):
        """A call to the LRS; returns (status, parsed JSON or None)."""
        credentials = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (the loopback LRS)
            self.endpoint + path, data=data, method=method or ("POST" if data else "GET"),
                                         headers={"Authorization": f"Basic {credentials}", "Content-Type": "application/json",
                                                  "X-Experience-API-Version": "1.0.3"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (loopback)
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, None

    def statements(self) -> list[dict]:
        """Every statement the LRS holds (following ``more``)."""
        found, path = [], "statements?limit=100"
        while path:
            status, page = self.request(path)
            assert status == 200, status
            found += page["statements"]
            more = page.get("more") or ""
            path = more.split("/xAPI/", 1)[1] if more else ""
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def generate_client(openapi: dict, folder: Path) -> Path:
    """Generate a Python client for ``openapi`` with openapi-python-client, unedited, into
    ``folder``; returns the folder to put on ``sys.path``."""
    python = interop_python()
    document = folder / "openapi.json"
    document.write_text(json.dumps(openapi))
    run = subprocess.run(
        [python, "-m", "openapi_python_client", "generate", "--path", str(document), "--output-path",
         str(folder / "lxp_client"), "--meta", "none"],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{INTEROP / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    warnings = [line for line in (run.stdout + run.stderr).splitlines() if "warning" in line.lower()]
    assert not warnings, run.stdout + run.stderr
    return folder
