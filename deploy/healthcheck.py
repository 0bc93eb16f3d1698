"""The image's HEALTHCHECK: ``GET /healthz`` from gunicorn where ``LXP_BIND`` puts it, exit 0 on 200.

The image binds 0.0.0.0:8000, but a container on the host's network (``podman run --network
host``) is given another address or port through ``LXP_BIND``; a check fixed to port 8000 would
call such a container unhealthy while it serves. A wildcard address is asked on loopback.
"""

import os
import sys
import urllib.request


def health_url(bind: str) -> str:
    host, _, port = bind.split(",")[0].strip().rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "*"):  # noqa: S104 (a wildcard bind is asked on loopback)
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"


if __name__ == "__main__":
    url = health_url(os.environ.get("LXP_BIND") or "0.0.0.0:8000")
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 (always http://)
            sys.exit(0 if response.status == 200 else 1)
    except OSError as exc:  # refused, timed out, or an HTTP error status (503: database down)
        sys.exit(f"{url}: {exc}")
