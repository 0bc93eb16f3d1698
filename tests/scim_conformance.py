"""Run python-scim's scim2-tester against a SCIM server (run by the interop environment's
Python, not lxp's): ``python tests/scim_conformance.py BASE_URL TOKEN``. Prints one JSON line
per check: status, title, reason, resource type."""

import json
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

base_url, token = sys.argv[1], sys.argv[2]
with httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
    client = SyncSCIMClient(http)
    for result in check_server(client):
        print(json.dumps({"status": result.status.name, "title": result.title, "reason": result.reason,
                          "resource_type": result.resource_type, "data": repr(result.data)[:600]}))  # fmt: skip
