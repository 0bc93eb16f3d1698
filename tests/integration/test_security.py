"""Headers, cookies and error pages every response carries."""

import pytest

from lxp import create_app
from tests.conftest import PASSWORD, csrf_from, sign_in


def test_every_page_sends_strict_security_headers(client):
    for path in ("/login", "/does-not-exist", "/healthz"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    make_user(email="cookie@example.com")
    response = sign_in(client, "cookie@example.com", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # plain HTTP in development and tests


def test_https_deployments_get_secure_cookies_and_hsts(app):
    keep = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING", "LXP_ENV")
    secure_app = create_app({**{key: app.config[key] for key in keep}, "HTTPS": True})
    client = secure_app.test_client()
    response = client.get("/login", base_url="https://lxp.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Secure" in response.headers["Set-Cookie"]
    assert secure_app.config["SESSION_COOKIE_SECURE"] and secure_app.config["REMEMBER_COOKIE_SECURE"]
    assert client.get("/login", base_url="http://lxp.example").status_code == 302


def test_each_view_and_scheme_keeps_its_own_security_headers(app):
    """The headers are worked out once per view and scheme (``core.security_headers``): a view
    with options of its own keeps them, the others keep theirs, and only HTTPS gets HSTS."""
    keep = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING", "LXP_ENV")
    secure_app = create_app({**{key: app.config[key] for key in keep}, "HTTPS": True})

    @secure_app.get("/framed-for-this-test")
    def framed():
        return "framed"

    framed.talisman_view_options = {"frame_options": "SAMEORIGIN", "content_security_policy": {"default-src": "'none'"}}
    client = secure_app.test_client()
    for _ in range(2):  # the second round comes from what the first kept
        page = client.get("/healthz", base_url="https://lxp.example")
        own = client.get("/framed-for-this-test", base_url="https://lxp.example")
        plain = client.get("/healthz", base_url="http://lxp.example")  # the probe answers plain HTTP too
        assert (
            page.headers["X-Frame-Options"] == "DENY"
            and "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        )
        assert (
            own.headers["X-Frame-Options"] == "SAMEORIGIN"
            and own.headers["Content-Security-Policy"] == "default-src 'none'"
        )
        assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert plain.status_code == 200 and "Strict-Transport-Security" not in plain.headers
        assert plain.headers["X-Frame-Options"] == "DENY"
        assert page.headers.getlist("Content-Security-Policy") == [page.headers["Content-Security-Policy"]]  # set once


def test_https_deployments_name_their_cookies_host_only_and_the_session_works(app, make_user):
    keep = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "TESTING", "LXP_ENV", "RATELIMIT_ENABLED")
    make_user(email="secure@example.com")
    secure_app = create_app(
        {**{key: app.config[key] for key in keep}, "HTTPS": True, "BASE_URL": "https://lxp.example"}
    )
    client = secure_app.test_client()
    page = client.get("/login?with=password", base_url="https://lxp.example").get_data(as_text=True)
    # Over HTTPS Flask-WTF also wants a same-origin Referer, as a browser sends.
    response = client.post("/login", base_url="https://lxp.example", headers={"Referer": "https://lxp.example/login"}, data={
        "csrf_token": csrf_from(page), "email": "secure@example.com", "password": PASSWORD, "remember": "y"})  # fmt: skip
    assert response.status_code == 302
    cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    assert {"__Host-session", "__Host-remember_token"} <= set(cookies), cookies
    for name in ("__Host-session", "__Host-remember_token"):
        # What browsers require of the prefix: Secure, Path=/, no Domain.
        assert "Secure" in cookies[name] and "Path=/" in cookies[name] and "Domain" not in cookies[name]
    assert client.get("/today", base_url="https://lxp.example").status_code == 200
    # The remember-me cookie alone signs the person in again under its new name.
    client.delete_cookie("__Host-session", domain="lxp.example")
    assert client.get("/today", base_url="https://lxp.example").status_code == 200
    # Opting out keeps the plain names; asking for the prefix without HTTPS is refused.
    plain = create_app({**{key: app.config[key] for key in keep}, "HTTPS": True, "HOST_COOKIES": False})
    assert plain.config["SESSION_COOKIE_NAME"] == "session"
    with pytest.raises(ValueError, match="LXP_HOST_COOKIES needs LXP_HTTPS"):
        create_app({**{key: app.config[key] for key in keep}, "HOST_COOKIES": True})


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Page not found"), ("de", "Seite nicht gefunden"), ("ru", "Страница не найдена")]
)
def test_not_found_page_is_friendly_in_three_languages(client, language, title):
    response = client.get("/no/such/page", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert title in response.get_data(as_text=True)


def test_health_check_reports_the_database(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="LXP_SECRET_KEY"):
        create_app({"LXP_ENV": "production", "INSTANCE_PATH": str(tmp_path)})


def test_development_generates_a_secret_key_once(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_unexpected_errors_get_a_friendly_page_in_the_viewers_language(app):
    keep = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "LXP_ENV")
    broken_app = create_app({key: app.config[key] for key in keep})

    @broken_app.get("/broken")
    def broken():
        raise RuntimeError("a bug")

    broken.lxp_public = True
    response = broken_app.test_client().get("/broken", headers={"Accept-Language": "de"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert '<html lang="de">' in page and "a bug" not in page
    assert "Go to the start page" not in page  # translated, not English
