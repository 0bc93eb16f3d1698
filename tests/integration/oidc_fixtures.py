"""A real OpenID provider for the tests: panva's ``oidc-provider`` (OpenID Certified) run by Node
from ``tests/peers/oidc/provider.js`` on a free loopback port, once per test run (and xdist
worker). ``npm ci`` in ``tests/peers/oidc`` installs it (``.ci/run`` does); without Node or the
package the tests that need it are skipped with the reason, and fail under ``CI=true``.

Tests register the client they need through Dynamic Client Registration and add the people
the provider knows; ``through_provider`` plays the person's browser at the provider.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

PEER = Path(__file__).resolve().parents[1] / "peers" / "oidc"
REGISTRATION_TOKEN = "lxp-test-registration"  # noqa: S105  (the test provider's, see provider.js)
LXP = "http://lxp.test"  # the tests' BASE_URL: where the provider sends the browser back


@dataclass
class OpenIdProvider:
    issuer: str

    def register_client(self, forge: str | None = None, base_url: str = LXP) -> tuple[str, str]:
        """A new client at the provider for lxp's redirect URI under ``base_url``; returns its id
        and secret. ``forge`` makes the provider alter its ID tokens (see provider.js)."""
        metadata = {"redirect_uris": [f"{base_url}/sso/callback"], "client_name": "lxp",
                    "post_logout_redirect_uris": [f"{base_url}/login"]}  # fmt: skip
        if forge:
            metadata["x_lxp_forge"] = forge
        response = requests.post(f"{self.issuer}/reg", json=metadata, timeout=10,
                                 headers={"Authorization": f"Bearer {REGISTRATION_TOKEN}"})  # fmt: skip
        response.raise_for_status()
        return response.json()["client_id"], response.json()["client_secret"]

    def add_person(self, email: str, *, signed_in: bool = False, sub: str | None = None, **claims) -> str:
        """A person the provider knows (``email_verified`` true unless given); returns their sub.
        ``signed_in``: they are signed in at the provider already (no login hint needed)."""
        sub = sub or f"sub-{uuid.uuid4().hex[:12]}"
        body = {"sub": sub, "claims": {"email": email, "email_verified": True, **claims}, "signed_in": signed_in}
        requests.post(f"{self.issuer}/__test/accounts", json=body, timeout=10).raise_for_status()
        return sub


def _start() -> tuple[subprocess.Popen, str]:
    # time.time() is the suite's clock (moved under LXP_TEST_CLOCK); the provider follows it.
    process = subprocess.Popen(["node", "provider.js", "0"], cwd=PEER, stdout=subprocess.PIPE,  # noqa: S607
                               stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "LXP_PEER_NOW": repr(time.time())})  # fmt: skip
    line = process.stdout.readline().strip()
    if not line.startswith("ready "):
        process.kill()
        process.stdout.close()
        raise RuntimeError(f"the test OpenID provider did not start: {line!r}")
    return process, line.split(" ", 1)[1]


@pytest.fixture(scope="session")
def openid_provider() -> OpenIdProvider:
    missing = None
    if shutil.which("node") is None:
        missing = "Node is not installed"
    elif not (PEER / "node_modules" / "oidc-provider").is_dir():
        missing = "oidc-provider is not installed: run `npm ci` in tests/peers/oidc"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    process, issuer = _start()
    yield OpenIdProvider(issuer)
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()


def through_provider(client, response, *, tamper=None):
    """Follow lxp's redirect to the provider as the person's browser would (signed in there, or
    picked by the login hint, consenting), and bring the provider's answer back to lxp's
    ``client``; returns lxp's response to it. ``tamper(url)`` may change the authorization
    request on its way (an attacker in the front channel)."""
    url = provider_url(response)
    if tamper is not None:
        url = tamper(url)
    return client.get(provider_answer(url)[len(LXP) :])


def provider_url(response) -> str:
    """Where lxp sends the browser: a redirect, or (answering the e-mail form) a page that moves
    on by itself with a meta refresh."""
    if response.status_code == 302:
        return response.headers["Location"]
    page = response.get_data(as_text=True)
    match = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page)
    assert response.status_code == 200 and match, page[:1000]
    return html.unescape(match.group(1))


def provider_answer(url: str) -> str:
    """The address at lxp the provider sends the browser back to, from its authorization URL."""
    with requests.Session() as browser:
        for _hop in range(12):
            answer = browser.get(url, allow_redirects=False, timeout=10)
            location = answer.headers.get("Location")
            assert location, f"the provider stopped at {url}: {answer.status_code} {answer.text[:300]}"
            url = urljoin(url, location)
            if url.startswith(LXP):
                return url
    raise AssertionError("the provider never sent the browser back")
