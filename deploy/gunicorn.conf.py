"""gunicorn settings for lxp: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app`` from the checkout.

One process per core, one request at a time each: gunicorn's ``sync`` workers. A sync worker
takes a connection from the listening socket only when it is free, so every request waits in
one queue (the kernel's) for the first free worker; a threaded worker keeps each client's
kept-alive connection to itself, so a request can wait behind a busy worker while another is
idle. And the threads of one process take turns on one interpreter lock, while more processes
than cores take turns on the cores. ``bench/load.py``, 300 learners on 2 cores with PostgreSQL
beside them, Today's p95: gthread 2 x 4 0.6-1.0 s, 5 x 1 0.15-0.52 s; sync 5 workers 390 ms,
4 310 ms, 3 270 ms (twice), 2 140-230 ms (docs/performance.md). Behind Caddy (``deploy/``), the
phone keeps its connection to Caddy; Caddy opens one to gunicorn per request, on the loopback.

Everything can be changed through the environment without editing this file:

- ``LXP_BIND`` (``127.0.0.1:8000``), ``WEB_CONCURRENCY`` worker processes (one per core this
  process may use, at least two, so one long request never holds every request up; with the
  database on another machine a request also waits for the network: raise it to about the
  cores divided by the share of a request's time spent computing, twice the cores when half of
  it is waiting; lxp reads the same variable to insist on Redis for rate limits when there are
  several). ``LXP_THREADS`` per worker (1: sync workers; more makes
  them gthread workers, which read a slow client's upload without holding the process: use it
  when clients upload slowly and no proxy buffers their bodies), ``LXP_KEEPALIVE`` seconds
  (gthread only; 5; keep it below the proxy's idle time-out). Each worker holds at most
  ``LXP_THREADS`` database connections at once: PostgreSQL's ``max_connections`` must exceed
  workers x threads plus the scheduler's.
- ``PROMETHEUS_MULTIPROC_DIR``: where the workers write their metrics so ``/metrics`` sums
  them. Emptied when gunicorn starts; a dead worker's gauges are dropped. Unset, a private
  temporary folder is used.

The app is loaded once in the master (``preload_app``) and the workers are forked from it, so
they share the master's memory pages (code, templates, translations) and each holds only what
it changes: about 110 MB in the master, about 55 MB of its own per worker (``bench/memory.py``).
Before each fork the loaded objects are moved out of the garbage collector's sight
(``gc.freeze``), so a collection in a worker does not write to, and copy, the shared pages. A
new version of the code needs a restart (``systemctl restart``), not a HUP.

Request logs are lxp's own one line per request (``LXP_LOG_FORMAT=json``), so gunicorn's
access log is off; its error log goes to stderr.
"""

import gc
import os
import tempfile
from pathlib import Path

bind = os.environ.get("LXP_BIND", "127.0.0.1:8000")


def _cores() -> int:
    """The cores this process may run on (a container's or a service's CPU set, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


workers = int(os.environ.setdefault("WEB_CONCURRENCY", str(max(2, _cores()))))  # setdefault: lxp sees it too
threads = int(os.environ.get("LXP_THREADS", "1"))
worker_class = "sync" if threads == 1 else "gthread"
keepalive = int(os.environ.get("LXP_KEEPALIVE", "5"))
timeout = 60
preload_app = True  # workers share the loaded app's pages (copy on write); wsgi.py drops the master's connections
graceful_timeout = 30
max_requests = 5000  # recycle a worker now and then (a slow leak never grows for weeks)
max_requests_jitter = 500
accesslog = None
errorlog = "-"
capture_output = False
forwarded_allow_ips = "127.0.0.1,::1"  # lxp trusts proxies itself (LXP_PROXY_HOPS)
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108  heartbeat files off slow disks

# Must be set before prometheus_client is first imported (by the workers loading lxp).
metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="lxp-metrics-")))

from prometheus_client import multiprocess  # noqa: E402  (after the variable above)


def on_starting(server):
    """Empty the metrics folder: numbers of an earlier run would be added to this one's."""
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()


def when_ready(server):
    """In the master, before the first fork: compile every template once, for all workers."""
    from lxp.core.serving import compile_templates  # the app is loaded (preload_app)

    compiled = compile_templates(server.app.wsgi())
    server.log.info("compiled %d templates before forking the workers", compiled)


def pre_fork(server, worker):
    """Keep what the master loaded out of the collector's generations: a collection in a worker
    would otherwise touch every object and copy the pages it shares with the master."""
    gc.freeze()


def child_exit(server, worker):
    """Drop a worker's live gauges when it exits (its counters stay, summed)."""
    multiprocess.mark_process_dead(worker.pid, str(metrics_dir))
