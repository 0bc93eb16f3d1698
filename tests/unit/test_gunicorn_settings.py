"""The web server's defaults in ``deploy/gunicorn.conf.py``: a process per core it may use (two
at least), each one sync worker taking one request at a time from the shared socket, and the
environment's word over both (read as gunicorn reads the file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = (
    "import json, os, runpy; settings = runpy.run_path('deploy/gunicorn.conf.py'); "
    "print(json.dumps({'workers': settings['workers'], 'threads': settings['threads'], "
    "'worker_class': settings['worker_class'], "
    "'seen': os.environ['WEB_CONCURRENCY'], 'cores': len(os.sched_getaffinity(0))}))"
)


def settings(cores: str | None = None, **env: str) -> dict:
    """The settings the file gives in a fresh process with ``env`` (and, with ``cores``, pinned
    to those CPUs as ``taskset`` pins a service)."""
    clean = {key: value for key, value in os.environ.items() if key not in ("WEB_CONCURRENCY", "LXP_THREADS")}
    command = [sys.executable, "-c", READ]
    if cores is not None:
        command = ["taskset", "-c", cores, *command]
    done = subprocess.run(command, cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=True)  # noqa: S603
    return json.loads(done.stdout)


def test_a_sync_worker_a_core_by_default():
    found = settings()
    assert (found["workers"], found["threads"], found["worker_class"]) == (max(2, found["cores"]), 1, "sync")
    assert found["seen"] == str(found["workers"])  # lxp reads the same count (rate limits insist on Redis)


def test_a_process_pinned_to_one_core_still_runs_two_workers():
    # One long request (an export, a journey map) must not hold every other one up.
    assert settings(cores="0")["workers"] == 2


def test_the_environment_sets_workers_and_threads_and_threads_make_gthread_workers():
    found = settings(WEB_CONCURRENCY="3", LXP_THREADS="4")
    assert (found["workers"], found["threads"], found["seen"], found["worker_class"]) == (3, 4, "3", "gthread")
