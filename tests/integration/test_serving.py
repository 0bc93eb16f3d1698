"""Serving without a proxy: probes on plain HTTP under LXP_HTTPS, compressed pages,
fingerprinted static files cached for good (and the service worker never)."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import brotli
import pytest

from lxp import create_app

STATIC = Path(__file__).resolve().parents[2] / "static"


def _second_app(app, **settings):
    keep = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING", "LXP_ENV", "INSTANCE_PATH")
    return create_app({**{key: app.config[key] for key in keep}, **settings})


def test_health_probes_answer_plain_http_although_https_is_enforced(app):
    secure = _second_app(app, HTTPS=True)
    client = secure.test_client()
    assert client.get("/login", base_url="http://lxp.example").status_code == 302  # people go to HTTPS
    health = client.get("/healthz", base_url="http://lxp.example")
    assert health.status_code == 200 and health.get_json() == {"status": "ok"}
    ready = client.get("/readyz", base_url="http://lxp.example")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok"}


@pytest.mark.parametrize(("encoding", "decode"), [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_today_is_compressed_when_the_browser_asks(client, login_as, encoding, decode):
    login_as("learner", name="Compressed Carla")
    plain = client.get("/today")
    packed = client.get("/today", headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers  # nobody asked
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    html = decode(packed.get_data()).decode()
    assert len(packed.get_data()) < len(html.encode()) / 2
    assert "Compressed Carla" in html or "Today" in html
    # The signed CSRF token carries the second it was made (in the forms and the meta tag).
    token = r'(name="csrf_token" value|name="csrf-token" content)="[^"]*"'
    assert re.sub(token, "", html) == re.sub(token, "", plain.get_data(as_text=True))


def test_pages_that_carry_a_secret_are_never_compressed(client, login_as):
    """BREACH: the two-step secret being set up must not leak through the compressed length."""
    from tests.conftest import submit

    login_as("trainer")
    assert submit(client, "/me/two-step/start", {}, form_page="/me/two-step").status_code == 302
    page = client.get("/me/two-step", headers={"Accept-Encoding": "br, gzip"})
    assert page.status_code == 200 and "data-totp-secret" in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]
    assert "Content-Encoding" not in page.headers and "Accept-Encoding" in page.headers["Vary"]
    assert client.get("/me", headers={"Accept-Encoding": "br"}).headers["Content-Encoding"] == "br"  # others are


def test_no_signed_in_answer_is_kept_in_the_browsers_cache_and_pages_are_still_compressed(client, login_as):
    """ASVS V14.3.2: after sign-out a shared computer's browser cache holds none of a person's pages."""
    login_page = client.get("/login")
    assert "no-store" not in login_page.headers.get("Cache-Control", "")  # nobody's data on it
    login_as("learner", name="Cached Carla")
    for path in ("/today", "/me", "/api/v1/me"):
        answer = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, path
        rules = {rule.strip() for rule in answer.headers["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= rules, (path, rules)
        if path != "/api/v1/me":  # too short to be worth compressing
            assert answer.headers.get("Content-Encoding") == "gzip", path  # not a secret: compressed
    today = client.get("/today")
    again = client.get("/today", headers={"If-None-Match": today.headers["ETag"]})
    assert again.status_code == 304  # the service worker still refreshes its offline copy cheaply
    assert "no-store" not in _fetch(client, "/static/css/lxp.css").headers["Cache-Control"]  # shared files stay cached


def test_json_answers_are_compressed_too(client):
    response = client.get("/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b'"openapi"' in gzip.decompress(response.get_data())


def _fetch(client, url, **kwargs):
    """GET a file; the body is read and the file closed (send_file streams it)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def _stylesheet_url(client) -> str:
    match = re.search(r'href="(/static/css/lxp\.([0-9a-f]{12})\.css)"', client.get("/login").get_data(as_text=True))
    assert match, "the page does not link a fingerprinted stylesheet"
    return match.group(1)


def test_a_fingerprinted_asset_is_cached_for_a_year_and_immutable(client):
    url = _stylesheet_url(client)
    response = _fetch(client, url)
    assert response.status_code == 200
    assert response.get_data() == (STATIC / "css/lxp.css").read_bytes()
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "public" in cache


def test_static_text_is_compressed_and_answers_not_modified_when_unchanged(client):
    url = _stylesheet_url(client)
    packed = _fetch(client, url, headers={"Accept-Encoding": "br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.get_data()) == (STATIC / "css/lxp.css").read_bytes()
    again = _fetch(client, url, headers={"Accept-Encoding": "br", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()


def test_plain_names_and_the_service_worker_are_revalidated_never_immutable(client):
    plain = _fetch(client, "/static/favicon.svg")  # the service worker's notification icon
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]
    assert "no-cache" in plain.headers["Cache-Control"] and plain.headers["ETag"]
    worker = _fetch(client, "/sw.js")
    assert worker.status_code == 200 and "immutable" not in worker.headers.get("Cache-Control", "")
    assert "max-age=31536000" not in worker.headers.get("Cache-Control", "")
    assert _fetch(client, "/static/css/nothing.0123456789ab.css").status_code == 404
    assert _fetch(client, "/static/../config.py").status_code == 404


def test_a_changed_asset_gets_a_new_url_and_the_old_url_is_no_longer_immutable(app, tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    own = _second_app(app, STATIC_RECHECK_SECONDS=0)  # the edit below shows at once, not within the second
    own.static_folder = str(folder)
    client = own.test_client()
    before = _stylesheet_url(client)
    stylesheet = folder / "css/lxp.css"
    stylesheet.write_text(stylesheet.read_text() + "\n.new-rule { color: red; }\n")
    after = _stylesheet_url(client)
    assert after != before
    fresh = _fetch(client, after)
    assert b".new-rule" in fresh.get_data() and "immutable" in fresh.headers["Cache-Control"]
    outdated = _fetch(client, before)  # a page cached before the change still gets a stylesheet
    assert outdated.status_code == 200 and "immutable" not in outdated.headers["Cache-Control"]
