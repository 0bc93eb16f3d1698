"""Company sign-in with SAML 2.0 against a real identity provider of another implementation
(pysaml2's IdP, see saml_fixtures.py; lxp's SP is python3-saml): the happy path, the group
mappings, and each refusal with nothing made and nobody signed in."""

from __future__ import annotations

import base64
import html
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.audit.models import AuditEntry
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.errors import Invalid
from lxp.core.time import utcnow
from lxp.demo.company_sign_in import seed_company_sign_in
from lxp.demo.saml_sign_in import EXAMPLE_ENTITY_ID, seed_saml_example
from lxp.extensions import db
from lxp.sso import settings as sso_settings
from lxp.sso.models import ProviderIdentity, SamlAssertionSeen, SamlRequest
from tests.conftest import committing, csrf_from, sign_in, submit
from tests.integration.saml_fixtures import (  # noqa: F401
    DEPARTMENT_ATTRIBUTE,
    EMAIL_ATTRIBUTE,
    ENTITY_ID,
    GROUPS_ATTRIBUTE,
    NAME_ATTRIBUTE,
    saml_idp,
    saml_idp_keys,
)

DOMAIN = "acme.example"


@pytest.fixture
def company(app, make_user, saml_idp):  # noqa: F811
    """Acme with SAML sign-in on at the test IdP (its metadata pasted); returns a function that
    changes the settings, and the admin's id."""
    admin_id = make_user(("admin",), email=f"admin@{DOMAIN}")

    def configure(**changes):
        fields = dict(enabled=True, issuer="", client_id="", client_secret="", email_claim="email",
                      allowed_domains=DOMAIN, groups_claim="groups", role_mapping="", cohort_mapping="",
                      sso_only=False, break_glass_user_id=None, protocol="saml", saml_metadata=saml_idp.metadata(),
                      saml_email_attribute=EMAIL_ATTRIBUTE, saml_name_attribute=NAME_ATTRIBUTE,
                      saml_groups_attribute=GROUPS_ATTRIBUTE)  # fmt: skip
        fields.update(changes)
        with committing(app):
            sso_settings.save_settings(db.session.get(User, admin_id), sso_settings.SettingsInput(**fields))
        return admin_id

    return configure


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _to_idp(client, email: str):
    """The e-mail step of the sign-in page: the answer sends the browser on to the IdP."""
    page = submit(client, "/login/company", {"email": email}, form_page="/login").get_data(as_text=True)
    match = re.search(r'href="(https://idp\.acme\.example/[^"]+)" data-provider-url', page)
    assert match, page[:2000]
    return html.unescape(match.group(1))


def _sign_in(client, saml_idp, email: str, forge: str | None = None):  # noqa: F811
    answer = saml_idp.answer(client, _to_idp(client, email), email, forge=forge)
    return client.post("/sso/acme/saml/acs", data=answer), answer


def _refused(client, response, words: str) -> None:
    assert response.status_code == 403, response.status_code
    page = response.get_data(as_text=True)
    assert words in page, page[:2000]
    assert client.get("/today").status_code == 302  # not signed in


def test_a_new_person_signs_in_through_the_saml_provider_and_lands_on_today(app, client, company, saml_idp):  # noqa: F811
    company()
    saml_idp.add_person(f"lena@{DOMAIN}", name="Lena Fischer", locale="de-DE")
    landed, _answer = _sign_in(client, saml_idp, f"Lena@{DOMAIN}")
    assert landed.status_code == 302 and landed.headers["Location"] == "/today"
    assert client.get("/today").status_code == 200
    with app.app_context():
        lena = db.session.execute(select(User).where(User.email == f"lena@{DOMAIN}")).scalar_one()
        assert (lena.display_name, lena.locale, lena.roles) == ("Lena Fischer", "de", frozenset({"learner"}))
        assert not lena.has_password
        identity = db.session.execute(select(ProviderIdentity).where(ProviderIdentity.user_id == lena.id)).scalar_one()
        assert (identity.issuer, identity.subject) == (ENTITY_ID, "staff-0001")
    # One tap next time: the start address goes straight to the IdP.
    assert client.get("/sso/acme/start").headers["Location"].startswith("https://idp.acme.example/")


def test_groups_give_roles_and_cohorts(app, client, company, saml_idp, make_user):  # noqa: F811
    with committing(app):
        db.session.add(Cohort(organisation_id=db.session.get(User, make_user()).organisation_id, name="Sales North"))
    company(role_mapping="lxp-trainers = trainer", cohort_mapping="sales-n = Sales North")
    saml_idp.add_person(f"sam@{DOMAIN}", groups=["sales-n", "lxp-trainers", "unrelated"])
    assert _sign_in(client, saml_idp, f"sam@{DOMAIN}")[0].status_code == 302
    with app.app_context():
        sam = db.session.execute(select(User).where(User.email == f"sam@{DOMAIN}")).scalar_one()
        cohorts = list(
            db.session.scalars(select(Cohort.name).join(cohort_members).where(cohort_members.c.user_id == sam.id))
        )
        assert (sam.roles, cohorts) == (frozenset({"learner", "trainer"}), ["Sales North"])


def test_the_department_attribute_puts_a_new_person_in_their_unit_with_its_assigned_learning(
        app, client, company, saml_idp, published):  # noqa: F811  # fmt: skip
    from lxp.assignments import services as assignments
    from lxp.assignments.models import AssignedWork

    with committing(app):
        author = db.session.execute(select(User).where(User.email == "author@example.com")).scalar_one()
        unit = assignments.unit_named(author.organisation_id, "Field Sales")
        assignment = assignments.create_assignment(author, assignments.AssignmentInput(
            goal_id=published["goal"], package_id=None, reason="", audience="unit", unit_id=unit.id,
            due_within_days=14)).id  # fmt: skip
    company(saml_department_attribute=DEPARTMENT_ATTRIBUTE)
    saml_idp.add_person(f"dana@{DOMAIN}", department="Field Sales")
    saml_idp.add_person(f"ole@{DOMAIN}")  # no department sent: no unit
    assert _sign_in(client, saml_idp, f"dana@{DOMAIN}")[0].status_code == 302
    assert _sign_in(app.test_client(), saml_idp, f"ole@{DOMAIN}")[0].status_code == 302
    with app.app_context():
        dana, ole = (db.session.execute(select(User).where(User.email == f"{n}@{DOMAIN}")).scalar_one()
                     for n in ("dana", "ole"))  # fmt: skip
        assert assignments.unit_of(dana.id).name == "Field Sales" and assignments.unit_of(ole.id) is None
        work = db.session.scalar(select(AssignedWork).where(AssignedWork.learner_id == dana.id))
        assert work.assignment_id == assignment and work.due_on is not None


@pytest.mark.parametrize(
    ("forge", "words"),
    [
        ("unsigned", "was not signed by it"),
        ("other_key", "was not signed by it"),
        ("audience", "meant for another application"),
        ("recipient", "meant for another application"),
        ("unsolicited", "was not started in this browser"),
        ("unknown_request", "was not started in this browser"),
    ],
)
def test_a_forged_answer_is_refused_and_nothing_is_made(app, client, company, saml_idp, forge, words):  # noqa: F811
    company()
    saml_idp.add_person(f"eve@{DOMAIN}")
    users = _count(app, User)
    _refused(client, _sign_in(client, saml_idp, f"eve@{DOMAIN}", forge=forge)[0], words)
    assert (_count(app, User), _count(app, ProviderIdentity), _count(app, SamlAssertionSeen)) == (users, 0, 0)


def test_an_expired_assertion_is_refused_but_a_small_clock_skew_is_tolerated(app, client, company, saml_idp):  # noqa: F811
    company()
    saml_idp.add_person(f"old@{DOMAIN}")
    users = _count(app, User)
    to_idp = _to_idp(client, f"old@{DOMAIN}")
    with time_machine.travel(utcnow() - timedelta(minutes=30), tick=False):  # the IdP answered half an hour ago
        answer = saml_idp.answer(client, to_idp, f"old@{DOMAIN}")
    _refused(client, client.post("/sso/acme/saml/acs", data=answer), "has expired")
    assert _count(app, User) == users
    # An IdP whose clock runs a minute ahead is within the tolerance.
    to_idp = _to_idp(client, f"old@{DOMAIN}")
    with time_machine.travel(utcnow() + timedelta(seconds=60), tick=False):
        answer = saml_idp.answer(client, to_idp, f"old@{DOMAIN}")
    assert client.post("/sso/acme/saml/acs", data=answer).headers["Location"] == "/today"


def test_an_answer_works_once_and_only_with_its_relay_state(app, client, company, saml_idp, caplog):  # noqa: F811
    company()
    saml_idp.add_person(f"rita@{DOMAIN}")
    answer = saml_idp.answer(client, _to_idp(client, f"rita@{DOMAIN}"), f"rita@{DOMAIN}")
    _refused(client, client.post("/sso/acme/saml/acs", data={**answer, "RelayState": "guessed"}), "was not started")
    assert _count(app, User) == 1  # the admin only
    assert client.post("/sso/acme/saml/acs", data=answer).status_code == 302
    second = app.test_client()  # the same answer posted again, from anywhere
    _refused(second, second.post("/sso/acme/saml/acs", data=answer), "was not started")
    assert _count(app, ProviderIdentity) == 1 and _count(app, SamlAssertionSeen) == 1
    # Even were the request still open, the assertion itself is remembered until it expires.
    with committing(app):
        db.session.add(SamlRequest(id=re.search(r'InResponseTo="([^"]+)"', base64.b64decode(answer["SAMLResponse"]).decode())[1],
                                   organisation_id=db.session.scalar(select(User.organisation_id).limit(1)),
                                   relay_state=answer["RelayState"],
                                   expires_at=utcnow() + timedelta(minutes=5)))  # fmt: skip
    replay = app.test_client().post("/sso/acme/saml/acs", data=answer)
    _refused(app.test_client(), replay, "was not started")
    assert any("replayed" in r.getMessage() for r in caplog.records)
    assert _count(app, SamlRequest) == 1  # the refusal changed nothing


def test_a_deactivated_person_is_turned_away(app, client, company, saml_idp, make_user):  # noqa: F811
    company()
    make_user(email=f"gone@{DOMAIN}", active=False)
    saml_idp.add_person(f"gone@{DOMAIN}")
    users = _count(app, User)
    _refused(client, _sign_in(client, saml_idp, f"gone@{DOMAIN}")[0], "Your account is deactivated")
    assert (_count(app, User), _count(app, ProviderIdentity)) == (users, 0)


def test_the_sp_metadata_names_lxps_entity_and_acs(client, organisation):
    response = client.get("/sso/acme/saml/metadata")
    xml = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "application/samlmetadata+xml"
    assert 'entityID="http://lxp.test/sso/acme/saml/metadata"' in xml
    assert 'Location="http://lxp.test/sso/acme/saml/acs"' in xml and 'WantAssertionsSigned="true"' in xml
    assert client.get("/sso/nobody/saml/metadata").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"saml_metadata": "<not-metadata/>"}, "saml_metadata"),
        ({"saml_metadata": ""}, "saml_metadata"),
        ({"saml_metadata": "", "saml_metadata_url": "https://127.0.0.1/metadata"}, "saml_metadata_url"),
        ({"saml_email_attribute": "mail address"}, "saml_email_attribute"),
    ],
)
def test_bad_saml_settings_are_refused_and_nothing_is_saved(app, company, changes, field, monkeypatch):
    monkeypatch.setitem(app.config, "SSO_ALLOW_PRIVATE", False)
    with pytest.raises(Invalid) as refused:
        company(**changes)
    assert refused.value.field == field
    with app.app_context():
        assert sso_settings.settings_of(db.session.scalar(select(User.organisation_id).limit(1))) is None


def test_the_admin_switches_the_organisation_to_saml_on_the_page_and_it_is_audited(app, client, login_as, saml_idp):  # noqa: F811
    admin = login_as("admin", email=f"boss@{DOMAIN}")
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert "http://lxp.test/sso/acme/saml/metadata" in page and "http://lxp.test/sso/acme/saml/acs" in page
    data = {"enabled": "y", "protocol": "saml", "saml_metadata": "<md:EntityDescriptor/>", "allowed_domains": DOMAIN,
            "saml_email_attribute": EMAIL_ATTRIBUTE, "saml_name_attribute": NAME_ATTRIBUTE,
            "saml_groups_attribute": GROUPS_ATTRIBUTE, "saml_locale_attribute": "locale", "break_glass_user_id": "0"}  # fmt: skip
    bad = submit(client, "/admin/sign-in", data)
    assert bad.status_code == 400 and "not usable SAML metadata" in bad.get_data(as_text=True)
    with app.app_context():
        assert sso_settings.settings_of(admin.organisation_id) is None
    assert submit(client, "/admin/sign-in", {**data, "saml_metadata": saml_idp.metadata()}).status_code == 302
    again = client.get("/admin/sign-in").get_data(as_text=True)
    assert f"Metadata of {ENTITY_ID} is saved" in again
    assert re.search(r'<input checked id="protocol-\d" name="protocol" type="radio" value="saml">', again)
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "company_sign_in_changed")
        ).scalar_one()
        assert (entry.actor_id, entry.details["protocol"], entry.details["provider"]) == (admin.id, "saml", ENTITY_ID)
    # Saving without pasting again keeps the metadata; people of the domain now go to the IdP.
    assert submit(client, "/admin/sign-in", {**data, "saml_metadata": ""}).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/me").get_data(as_text=True))})
    saml_idp.add_person(f"new@{DOMAIN}")
    assert _sign_in(client, saml_idp, f"new@{DOMAIN}")[0].headers["Location"] == "/today"


def test_the_demo_shows_a_saml_set_up_switched_off(app, client, make_user):
    admin_id = make_user(("admin",), email="admin@example.com")
    with committing(app):
        assert seed_company_sign_in("acme") is True
        assert seed_saml_example("acme") is True
        assert seed_saml_example("acme") is False  # idempotent
    assert 'type="password"' in client.get("/login").get_data(as_text=True)  # passwords as before
    sign_in(client, "admin@example.com")
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert f"Metadata of {EXAMPLE_ENTITY_ID} is saved" in page
    with app.app_context():
        saved = sso_settings.settings_of(db.session.get(User, admin_id).organisation_id)
        assert (saved.enabled, saved.protocol) == (False, "oidc")


@pytest.fixture
def metadata_server():
    """A plain HTTP server on a loopback port publishing whatever ``served`` holds (status, body)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    served = {"status": 200, "body": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (http.server's name)
            body = served["body"].encode()
            self.send_response(served["status"])
            self.send_header("Content-Type", "application/samlmetadata+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served["url"] = f"http://127.0.0.1:{server.server_address[1]}/idp/metadata"
    yield served
    server.shutdown()
    server.server_close()


def test_metadata_from_an_address_is_fetched_again_daily_and_a_failure_keeps_the_last_good_copy(
    app,
    client,
    company,
    saml_idp,  # noqa: F811
    metadata_server,
    monkeypatch,
):
    from lxp import scheduler
    from lxp.sso.models import CompanySignIn

    monkeypatch.setitem(app.config, "SSO_ALLOW_PRIVATE", True)  # the test's server is on loopback, plain http
    metadata_server["body"] = saml_idp.metadata()
    admin_id = company(saml_metadata="", saml_metadata_url=metadata_server["url"])
    sign_in(client, f"admin@{DOMAIN}")
    assert "last fetched" in client.get("/admin/sign-in").get_data(as_text=True)

    def run_the_job():
        scheduler.run_job(app, "lxp.sso.jobs:refresh_saml_metadata")
        with app.app_context():
            stored = db.session.get(CompanySignIn, db.session.get(User, admin_id).organisation_id)
            return stored.saml_metadata, stored.saml_metadata_error, stored.saml_metadata_fetched_at

    first = run_the_job()
    assert first[0] == saml_idp.metadata() and first[1] == ""  # not due yet: nothing fetched
    metadata_server["status"] = 500
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=False):
        kept, error, fetched_at = run_the_job()
        assert kept == saml_idp.metadata() and "500" in error and fetched_at == first[2]
    assert "The last fetch failed" in client.get("/admin/sign-in").get_data(as_text=True)
    # People still sign in with the last good copy.
    saml_idp.add_person(f"still@{DOMAIN}")
    assert _sign_in(app.test_client(), saml_idp, f"still@{DOMAIN}")[0].headers["Location"] == "/today"
    # The provider publishes again (a changed document): the next run takes it.
    metadata_server["status"], metadata_server["body"] = 200, saml_idp.metadata() + "<!-- rolled -->"
    with time_machine.travel(utcnow() + timedelta(hours=26), tick=False):
        renewed, error, fetched_at = run_the_job()
    assert renewed.endswith("<!-- rolled -->") and error == "" and fetched_at > first[2]
    # Something that is no IdP metadata is refused the same way.
    metadata_server["body"] = "<html>maintenance</html>"
    with time_machine.travel(utcnow() + timedelta(hours=60), tick=False):
        kept, error, _ = run_the_job()
    assert kept.endswith("<!-- rolled -->") and error
