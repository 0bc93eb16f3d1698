"""A walk over the whole URL map: every endpoint that is not deliberately public refuses
anonymous visitors, and every role-restricted endpoint refuses the other roles.
New endpoints join the walk on their own."""

import re

import pytest

from lxp.core.auth import ROLES, required_roles
from tests.conftest import csrf_from

# Adding to this set is a decision: say in review why the page must be open to everyone.
DELIBERATELY_PUBLIC = {
    "core.home",
    "core.health",
    "core.ready",  # for load balancers: says only whether the database is reachable and migrated
    "ops.scrape",  # Prometheus: a bearer token or an allowed address, else 401/404 (test_metrics.py)
    "learning.service_worker",
    # The phone's app shell: browsers fetch the manifest without cookies; the offline page and
    # the shell's file list hold nobody's data (test_app_shell.py).
    "app_shell.manifest",
    "app_shell.shell",
    "app_shell.offline",
    "accounts.login",
    "accounts.accept_invitation",
    "accounts.renew_invitation",
    "accounts.forgot_password",
    "accounts.reset_password",
    # The second step of signing in: only a session that just gave the right password (for a
    # few minutes) gets the form; anyone else is sent back to the password (test_two_step.py).
    "two_step.sign_in_code",
    # Calendar apps fetch a person's live-session feed without signing in; the secret token
    # in its address is the key (stored hashed, resettable, 404 for any other token).
    "live.feed",
    # Not a page: signed-out visitors get a 404 from the file's access check (test_files.py).
    "files.download",
    # A mail's one-click unsubscribe works signed out (RFC 8058); the signed token is the key.
    "nudges.unsubscribe",
    # A touchpoint's e-mail or push link counts the open, then leads into lxp, which asks for a
    # login as usual; the signed token is the key (404 for any other, test_touchpoint_effect.py).
    "effect.open_link",
    # The API's OpenAPI document and its reference page describe the API, not anyone's data.
    "api_docs.openapi_json",
    "api_docs.reference",
    # Company sign-in happens before anyone is signed in: the e-mail step that routes to the
    # organisation's provider, the one-tap start, and the provider's answer (checked against the
    # state, nonce and PKCE verifier this browser's session holds; test_company_sign_in.py).
    "sso.continue_with_email",
    "sso.start",
    "sso.callback",
    # SAML: lxp's SP metadata (for the provider's admin to import) and the assertion consumer
    # service, where the provider posts a signed answer to a request lxp keeps (test_saml_sign_in.py).
    "sso_saml.metadata",
    "sso_saml.acs",
    # xAPI's About resource says which versions the statements API speaks, nothing more.
    "api_xapi_about.about",
    # Credentials: a share link's page shows what the credential itself says and whether it is
    # genuine (its random id is the key; 404 otherwise); an issuer's profile, public keys and
    # revocation list are what outside verifiers need, without a secret (test_credentials.py).
    "credentials.verify_shared",
    # Anyone checks a credential they were handed (pasted, or its PNG): the verdict says only what
    # the signed credential says; rate-limited (test_credential_checks.py).
    "credentials.check",
    "credentials.issuer_profile",
    "credentials.issuer_keys",
    "credentials.status_list",
    # A package's files for the sandboxed player frame, which sends no cookies: the signed play
    # token of one learner's attempt is the key (404 for any other, test_packages.py).
    "packages.play",
    # The LRS resources of a cmi5 AU in that frame: the launch's one-time auth token is the key
    # (401/403/404 otherwise, test_packages_cmi5.py); CORS, no cookies.
    "package_lrs.fetch",
    "package_lrs.state",
    "package_lrs.agent_profile",
    "package_lrs.statements",
}
# SCIM provisioning (/scim/v2): no session; an organisation's bearer token is the key, checked
# for every endpoint before anything else (401 with a SCIM error otherwise; test_scim_users.py).
SCIM_ENDPOINTS = {
    f"scim.{name}"
    for name in ("service_provider_config", "resource_types", "resource_type", "schemas", "schema", "unknown",
                 "search_everything", "list_users", "search_users", "create_user", "get_user", "replace_user",
                 "patch_user", "delete_user", "list_groups", "search_groups", "create_group", "get_group",
                 "replace_group", "patch_group", "delete_group")
}  # fmt: skip
DELIBERATELY_PUBLIC |= SCIM_ENDPOINTS


def _sample_value(match) -> str:
    converter, arguments = match.group(1), match.group(2)
    if converter == "int":
        return "1"
    if converter == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    if converter == "any":
        return arguments.split(",")[0].strip()
    return "x"


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:(\w+)(?:\(([^)]*)\))?:)?\w+>", _sample_value, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_public_endpoints_are_exactly_the_deliberate_ones(app):
    public = {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "lxp_public", False)}
    assert public == DELIBERATELY_PUBLIC


def test_anonymous_visitors_are_sent_to_sign_in_everywhere_else(app, client):
    checked = 0
    for endpoint, method, path in _routes(app):
        if endpoint in DELIBERATELY_PUBLIC - SCIM_ENDPOINTS:
            continue
        response = client.open(path, method=method)
        if endpoint in SCIM_ENDPOINTS:  # a directory gets a SCIM error, never a page
            assert response.status_code == 401 and response.mimetype == "application/scim+json", (endpoint, method)
        elif path.startswith("/api/"):  # programs get a problem+json 401, not the login page
            assert response.status_code == 401 and response.mimetype == "application/problem+json", (endpoint, method)
        else:
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), (endpoint, method)
        checked += 1
    assert checked >= 10


def test_admin_pages_are_all_admin_only(app):
    for endpoint, _method, path in _routes(app):
        if path.startswith("/admin"):
            assert required_roles(app, endpoint) == {"admin"}, endpoint


@pytest.mark.parametrize("role", ROLES)
def test_role_restricted_endpoints_refuse_other_roles(app, client, login_as, role):
    login_as(role)
    token = csrf_from(client.get("/me").get_data(as_text=True))
    refused = 0
    for endpoint, method, path in _routes(app):
        allowed = required_roles(app, endpoint)
        if allowed is None or role in allowed:
            continue
        response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 403, (role, endpoint, method, response.status_code)
        if path.startswith("/api/"):
            assert response.mimetype == "application/problem+json", (role, endpoint, method)
        refused += 1
    assert refused > 0


@pytest.mark.parametrize("role", ROLES)
def test_role_restricted_api_endpoints_refuse_other_roles_with_a_full_token(app, make_user, role):
    """The same walk with a personal access token holding every scope the person may have."""
    from tests.integration.api.conftest import ApiClient, make_token

    user_id = make_user((role,))
    scopes = ("read", "write", "admin") if role == "admin" else ("read", "write")
    api = ApiClient(app, make_token(app, user_id, scopes), user_id)
    refused = 0
    for endpoint, method, path in _routes(app):
        allowed = required_roles(app, endpoint)
        if not path.startswith("/api/") or allowed is None or role in allowed:
            continue
        response = api.client.open(path, method=method, headers=api.headers(), json={})
        assert response.status_code == 403 and response.mimetype == "application/problem+json", (role, endpoint, method)
        refused += 1
    assert refused > 0
