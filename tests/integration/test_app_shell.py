"""The phone's app shell: the manifest, the list the service worker caches on install, the
offline page, and a VAPID subject push services accept (issue #19)."""

import pytest

from lxp.push.keys import subject, vapid_keys
from tests.integration.test_operator_check import _check, _failed, healthy  # noqa: F401


def test_the_manifest_is_public_and_names_today_and_icons_that_exist(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/today" and manifest["scope"] == "/"
    assert manifest["id"] and manifest["short_name"] and manifest["theme_color"] and manifest["background_color"]
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.mimetype == "image/png", icon
            width = int.from_bytes(image.data[16:20], "big")  # the PNG header's width
            assert f"{width}x{width}" == icon["sizes"]


def test_the_shell_lists_fingerprinted_files_that_are_cached_for_good_and_the_offline_page(client):
    shell = client.get("/offline/shell.json").get_json()
    assert any(url.startswith("/static/css/lxp.") and url.endswith(".css") and url != "/static/css/lxp.css"
               for url in shell["static"])  # fmt: skip
    for url in shell["static"]:
        with client.get(url) as response:
            assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"], url
    page = client.get(shell["offline"])
    assert page.status_code == 200 and "You are offline" in page.get_data(as_text=True)


def test_the_offline_page_fetched_in_the_background_never_replaces_the_session_cookie(client, login_as):
    """The service worker fetches /offline while the person may be on the sign-in page: a cookie
    in its answer would replace the one holding the form's CSRF token (the sign-in then fails)."""
    assert client.get("/login").headers.get_all("Set-Cookie")  # the form's token is in the session
    assert not client.get("/offline").headers.get_all("Set-Cookie")
    login_as("learner")
    for address in ("/offline", "/offline/shell.json", "/sw.js", "/static/css/lxp.css"):
        answer = client.get(address)
        answer.close()  # a static file is streamed from disk
        assert answer.status_code == 200 and not answer.headers.get_all("Set-Cookie"), address
    assert client.get("/today").status_code == 200  # still signed in


@pytest.mark.parametrize("header", ["X-LXP-Replay", "X-LXP-Prefetch"])
def test_what_the_phone_sends_in_the_background_never_replaces_the_session_cookie(client, login_as, header):
    """A completion queued offline is replayed when the phone is back online; if the session
    ended meanwhile, the answer sends it to sign in, and the flash that redirect keeps would
    have replaced the cookie of the sign-in form the next person on the phone just opened."""
    assert client.get("/login").headers.get_all("Set-Cookie")  # the form's token is in the session
    background = {header: "1", "Content-Type": "application/json"}
    replay = client.post("/learn/some-step/done", data="{}", headers=background)
    prefetch = client.get("/today", headers={header: "1"})
    assert (replay.status_code, prefetch.status_code) == (302, 302)
    assert not replay.headers.get_all("Set-Cookie") and not prefetch.headers.get_all("Set-Cookie")
    assert client.get("/today").headers.get_all("Set-Cookie")  # in front of the person, the redirect's flash is kept
    login_as("learner")
    assert client.get("/today", headers={header: "1"}).status_code == 200  # signed in, it is answered as ever


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"VAPID_SUBJECT": "mailto:ops@example.org"}, "mailto:ops@example.org"),
        ({"MAIL_FROM": "Learning <learn@acme.example>", "BASE_URL": "https://learn.acme.example"},
         "mailto:learn@acme.example"),
        ({"MAIL_FROM": "lxp <no-reply@lxp.localhost>", "BASE_URL": "https://learn.acme.example/"},
         "https://learn.acme.example"),
        ({"MAIL_FROM": "lxp <no-reply@localhost>", "BASE_URL": "http://127.0.0.1:5000"}, "mailto:no-reply@localhost"),
    ],
)  # fmt: skip
def test_the_vapid_subject_prefers_a_public_address(config, expected):
    assert subject(config) == expected


def test_the_check_warns_of_a_local_vapid_subject_and_fails_it_in_production(healthy, monkeypatch):  # noqa: F811
    monkeypatch.setitem(healthy.config, "VAPID_SUBJECT", None)
    monkeypatch.setitem(healthy.config, "MAIL_FROM", "lxp <no-reply@lxp.localhost>")
    monkeypatch.setitem(healthy.config, "BASE_URL", "http://127.0.0.1:5000")
    with healthy.test_request_context():
        vapid_keys()  # a generated pair, as after the first subscription
    healthy.extensions.pop("lxp_vapid", None)
    status, line = _check(healthy)[1]["vapid"]
    assert status == "ok" and "warning: the subject mailto:no-reply@lxp.localhost is a local address" in line
    healthy.extensions.pop("lxp_vapid", None)
    monkeypatch.setitem(healthy.config, "LXP_ENV", "production")
    assert "is a local address" in _failed(_check(healthy)[1], "vapid")
    healthy.extensions.pop("lxp_vapid", None)
    monkeypatch.setitem(healthy.config, "MAIL_FROM", "lxp <learn@acme.example>")
    assert "warning" not in _check(healthy)[1]["vapid"][1]
