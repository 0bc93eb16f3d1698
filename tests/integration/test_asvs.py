"""ASVS 5.0 level 2 requirements that no feature's own tests covered (docs/security.md maps
each requirement to its test): content types, methods, cross-origin reads, long passwords."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lxp.core.links import web_address
from tests.conftest import PASSWORD, sign_in, submit


def test_every_response_with_a_body_names_its_content_type_and_text_its_charset(client, login_as):
    """V4.1.1: a browser never has to guess what a body is."""
    login_as("admin")
    for path in ("/login", "/admin/users", "/me", "/no/such/page", "/healthz", "/api/v1/me", "/api/openapi.json",
                 "/static/css/lxp.css"):  # fmt: skip
        response = client.get(path)
        content_type = response.headers.get("Content-Type", "")
        assert response.mimetype, path
        if response.mimetype.startswith("text/"):
            assert "charset=utf-8" in content_type.lower(), (path, content_type)
        response.close()


def test_trace_and_other_unused_methods_are_refused(client):
    """V13.4.4: no TRACE (it would echo cookies back to a script)."""
    for method in ("TRACE", "PROPFIND"):
        assert client.open("/login", method=method).status_code == 405


def test_no_other_site_may_read_the_api_with_the_visitors_cookies(client, login_as):
    """V3.4.2 / V3.5.x: no CORS headers at all, so a cross-origin script cannot read answers."""
    login_as("learner")
    response = client.get("/api/v1/me", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options("/api/v1/me", headers={"Origin": "https://evil.example",
                                                      "Access-Control-Request-Method": "DELETE"})  # fmt: skip
    assert "Access-Control-Allow-Origin" not in preflight.headers


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=64, max_size=128))
def test_long_passwords_of_any_composition_are_kept_whole(app, client, login_as, long_password):
    """V6.2.5, V6.2.8, V6.2.9: 64 characters and more, any letters, spaces and emoji, no
    composition rules; checked exactly (no truncation: the same password less its last
    character does not sign in)."""
    if len(set(long_password)) < 4:
        return  # the repetition rule, not composition
    client.delete_cookie("session")
    user = login_as("learner", email=None)
    changed = submit(client, "/me/password", {"current_password": PASSWORD, "password": long_password,
                                              "confirm": long_password}, form_page="/me")  # fmt: skip
    assert changed.status_code == 302, changed.get_data(as_text=True)[:300]
    assert sign_in(app.test_client(), user.email, long_password[:-1]).status_code == 200
    assert sign_in(app.test_client(), user.email, long_password).status_code == 302


@given(st.text(max_size=60))
def test_only_web_addresses_and_local_paths_become_links(address):
    """V1.2.2, V1.3.x: a stored address is a link only when it is http(s) or a path here."""
    link = web_address(address)
    assert link == "about:blank" or link == address.strip()
    if link != "about:blank":
        assert link.lower().startswith(("http://", "https://", "/")) and not link.startswith("//")


def test_every_password_field_masks_what_is_typed(client, login_as):
    """V6.2.6: password inputs are type=password (found with an HTML parser on every form with one)."""
    from html.parser import HTMLParser

    class Inputs(HTMLParser):
        def __init__(self):
            super().__init__()
            self.fields = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and "password" in (attrs.get("name") or ""):
                self.fields.append(attrs)

    pages = {"/login": None, "/me": "learner"}
    for path, role in pages.items():
        if role:
            login_as(role)
        parser = Inputs()
        parser.feed(client.get(path).get_data(as_text=True))
        assert parser.fields, path
        assert all(field.get("type") == "password" for field in parser.fields), (path, parser.fields)
