"""Company sign-in with OpenID Connect against a real provider (oidc-provider, OpenID Certified,
see oidc_fixtures.py): the happy path, the group mappings, and every refusal with nothing made."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.cohorts.models import Cohort, cohort_members
from lxp.core.errors import Conflict, Invalid
from lxp.demo.company_sign_in import EXAMPLE_ISSUER, seed_company_sign_in
from lxp.extensions import db
from lxp.privacy import erasure
from lxp.sso import settings as sso_settings
from lxp.sso.models import ProviderIdentity
from tests.conftest import committing, csrf_from, sign_in, submit
from tests.integration.oidc_fixtures import provider_answer, provider_url, through_provider

DOMAIN = "acme.example"


@pytest.fixture(autouse=True)
def _provider_on_loopback(app, monkeypatch):
    # The test provider listens on 127.0.0.1 over http, which lxp refuses unless allowed.
    monkeypatch.setitem(app.config, "SSO_ALLOW_PRIVATE", True)


@pytest.fixture
def company(app, make_user, openid_provider):
    """Acme with company sign-in on at the test provider; returns a function that changes its
    settings (forge, mappings, SSO only…) and the admin's id."""
    admin_id = make_user(("admin",), email=f"admin@{DOMAIN}")

    def configure(forge=None, **changes):
        client_id, secret = openid_provider.register_client(forge)
        fields = dict(enabled=True, issuer=openid_provider.issuer, client_id=client_id, client_secret=secret,
                      email_claim="email", allowed_domains=DOMAIN, groups_claim="groups", role_mapping="",
                      cohort_mapping="", sso_only=False, break_glass_user_id=None)  # fmt: skip
        fields.update(changes)
        with committing(app):
            sso_settings.save_settings(db.session.get(User, admin_id), sso_settings.SettingsInput(**fields))
        return admin_id

    return configure


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _continue_with(client, email: str):
    return submit(client, "/login/company", {"email": email}, form_page="/login")


def test_a_new_person_signs_in_with_their_company_account_and_lands_on_today(app, client, company, openid_provider):
    company()
    openid_provider.add_person(f"lena@{DOMAIN}", name="Lena Fischer", locale="de-DE", zoneinfo="Europe/Berlin")
    page = client.get("/login").get_data(as_text=True)
    assert 'type="password"' not in page and "Continue" in page
    landed = through_provider(client, _continue_with(client, f"Lena@{DOMAIN.upper()}"))
    assert landed.status_code == 302 and landed.headers["Location"] == "/today"
    assert client.get("/today").status_code == 200
    with app.app_context():
        lena = db.session.execute(select(User).where(User.email == f"lena@{DOMAIN}")).scalar_one()
        assert (lena.display_name, lena.locale, lena.timezone, lena.roles) == (
            "Lena Fischer",
            "de",
            "Europe/Berlin",
            frozenset({"learner"}),
        )
        assert not lena.has_password and not lena.invitation_pending
    # The profile shows no password to change.
    assert 'type="password"' not in client.get("/me").get_data(as_text=True)


def test_groups_give_roles_and_cohorts_at_every_sign_in(app, client, company, openid_provider, make_user):
    with committing(app):
        db.session.add_all([Cohort(organisation_id=db.session.get(User, make_user()).organisation_id, name=name)
                            for name in ("Sales North", "Sales South")])  # fmt: skip
    company(role_mapping="lxp-trainers = trainer", cohort_mapping="sales-n = Sales North\n/sales/south = Sales South")
    sub = openid_provider.add_person(f"sam@{DOMAIN}", groups=["sales-n", "lxp-trainers", "unrelated"])
    through_provider(client, _continue_with(client, f"sam@{DOMAIN}"))

    def state():
        with app.app_context():
            sam = db.session.execute(select(User).where(User.email == f"sam@{DOMAIN}")).scalar_one()
            cohorts = db.session.scalars(
                select(Cohort.name).join(cohort_members).where(cohort_members.c.user_id == sam.id)
            )
            return sam.roles, sorted(cohorts)

    assert state() == (frozenset({"learner", "trainer"}), ["Sales North"])
    # The directory moves Sam: the next sign-in follows, and keeps what no group gives.
    openid_provider.add_person(f"sam@{DOMAIN}", sub=sub, groups=["/sales/south"])
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/me").get_data(as_text=True))})
    through_provider(client, _continue_with(client, f"sam@{DOMAIN}"))
    assert state() == (frozenset({"learner"}), ["Sales South"])


def _unit_assignment(app, published, unit_name: str) -> int:
    """The admin (author) assigns the example goal to everyone in ``unit_name``, due within 14
    days of joining; returns the assignment's id."""
    from lxp.assignments import services as assignments

    with committing(app):
        author = db.session.execute(select(User).where(User.email == "author@example.com")).scalar_one()
        unit = assignments.unit_named(author.organisation_id, unit_name)
        return assignments.create_assignment(author, assignments.AssignmentInput(
            goal_id=published["goal"], package_id=None, reason="Everyone in the field learns it.", audience="unit",
            unit_id=unit.id, due_within_days=14)).id  # fmt: skip


def _unit_and_work(app, email: str) -> tuple[str | None, list[int]]:
    from lxp.assignments import services as assignments
    from lxp.assignments.models import AssignedWork

    with app.app_context():
        person = db.session.execute(select(User).where(User.email == email)).scalar_one()
        unit = assignments.unit_of(person.id)
        work = db.session.scalars(select(AssignedWork.assignment_id).where(AssignedWork.learner_id == person.id))
        return (unit.name if unit else None), sorted(work)


def test_the_department_claim_puts_a_new_person_in_their_unit_and_its_assigned_learning_reaches_them(
        app, client, company, openid_provider, published):  # fmt: skip
    field_sales = _unit_assignment(app, published, "Field Sales")
    company(department_claim="department")
    sub = openid_provider.add_person(f"dana@{DOMAIN}", name="Dana Feld", department="Field Sales")
    assert through_provider(client, _continue_with(client, f"dana@{DOMAIN}")).status_code == 302
    assert _unit_and_work(app, f"dana@{DOMAIN}") == ("Field Sales", [field_sales])
    path = client.get("/path").get_data(as_text=True)
    assert "Asked by your organisation" in path and "Everyone in the field learns it." in path
    # The directory moves Dana: the next sign-in puts her in the new unit (made when new).
    openid_provider.add_person(f"dana@{DOMAIN}", sub=sub, name="Dana Feld", department="Key Accounts")
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/me").get_data(as_text=True))})
    through_provider(client, _continue_with(client, f"dana@{DOMAIN}"))
    assert _unit_and_work(app, f"dana@{DOMAIN}") == ("Key Accounts", [field_sales])  # what she has stays hers


def test_without_a_department_claim_set_the_units_are_left_alone(app, client, company, openid_provider, published):
    _unit_assignment(app, published, "Field Sales")
    company()  # no department claim: the provider's department is not read
    openid_provider.add_person(f"ole@{DOMAIN}", department="Field Sales")
    through_provider(client, _continue_with(client, f"ole@{DOMAIN}"))
    assert _unit_and_work(app, f"ole@{DOMAIN}") == (None, [])
    with pytest.raises(Invalid):  # a claim's name, or nothing
        company(department_claim="the department!")


def test_an_existing_account_is_linked_by_email_and_then_found_by_its_subject(
    app, client, company, openid_provider, make_user
):
    company()
    existing = make_user(email=f"maria@{DOMAIN}", name="María")
    sub = openid_provider.add_person(f"maria@{DOMAIN}", name="Someone Else")
    assert through_provider(client, _continue_with(client, f"maria@{DOMAIN}")).status_code == 302
    with app.app_context():
        identity = db.session.execute(select(ProviderIdentity).where(ProviderIdentity.subject == sub)).scalar_one()
        assert identity.user_id == existing
        assert db.session.get(User, existing).display_name == "María"  # an existing profile is theirs


def _refused(response, words: str) -> None:
    assert response.status_code == 403, response.status_code
    page = response.get_data(as_text=True)
    assert words in page, page[:2000]
    assert "You are not signed in" in page


@pytest.mark.parametrize(
    ("forge", "words"),
    [
        ("audience", "meant for another application"),
        ("expired", "has expired"),
        ("signature", "was not signed by it"),
    ],
)
def test_a_forged_id_token_is_refused_and_nothing_is_made(app, client, company, openid_provider, forge, words):
    company(forge=forge)
    openid_provider.add_person(f"eve@{DOMAIN}")
    before = _users(app)
    _refused(through_provider(client, _continue_with(client, f"eve@{DOMAIN}")), words)
    assert _users(app) == before
    assert client.get("/today").status_code == 302  # not signed in


def _other_nonce(url: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["nonce"] = "nonce-of-another-attempt"
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_an_answer_for_another_nonce_is_refused(app, client, company, openid_provider):
    company()
    openid_provider.add_person(f"eve@{DOMAIN}")
    before = _users(app)
    _refused(
        through_provider(client, _continue_with(client, f"eve@{DOMAIN}"), tamper=_other_nonce),
        "another sign-in attempt",
    )
    assert _users(app) == before


def test_an_answer_with_a_bad_state_or_replayed_is_refused(app, client, company, openid_provider):
    company()
    openid_provider.add_person(f"eve@{DOMAIN}")
    before = _users(app)
    answer = provider_answer(provider_url(_continue_with(client, f"eve@{DOMAIN}")))
    path = answer[len("http://lxp.test") :]
    # Another browser (a forged link sent to a victim) has no such sign-in pending.
    _refused(app.test_client().get(path), "not started in this browser")
    wrong_state = path.replace("state=", "state=x")
    _refused(client.get(wrong_state), "not started in this browser")
    # The pending sign-in is gone once answered, even wrongly: the right answer now fails too.
    _refused(client.get(path), "not started in this browser")
    assert _users(app) == before


def test_an_email_domain_the_organisation_does_not_allow_is_refused(app, client, company, openid_provider):
    company()
    openid_provider.add_person("eve@elsewhere.example", signed_in=True)
    before = _users(app)
    one_tap = client.get("/sso/acme/start")
    _refused(through_provider(client, one_tap), "elsewhere.example cannot sign in to Acme Learning")
    assert _users(app) == before


def test_an_unknown_domain_goes_on_to_the_password_with_a_message(app, client, company, make_user):
    company()
    make_user(email="pat@unknown.example")
    before = _users(app)
    response = _continue_with(client, "pat@unknown.example")
    assert response.headers["Location"] == "/login?with=password"
    page = client.get("/login?with=password").get_data(as_text=True)
    assert "No company sign-in is set up for unknown.example" in page
    assert 'value="pat@unknown.example"' in page and 'type="password"' in page
    assert _users(app) == before
    assert sign_in(client, "pat@unknown.example").status_code == 302


def test_a_deactivated_person_cannot_come_back_through_the_provider(app, client, company, openid_provider, make_user):
    company()
    make_user(email=f"gone@{DOMAIN}", active=False)
    openid_provider.add_person(f"gone@{DOMAIN}")
    _refused(through_provider(client, _continue_with(client, f"gone@{DOMAIN}")), "Your account is deactivated")
    assert client.get("/today").status_code == 302


def test_an_email_of_another_organisation_is_refused(
    app, client, company, openid_provider, make_user, other_organisation
):
    company()
    make_user(email=f"twin@{DOMAIN}", organisation_id=other_organisation)
    openid_provider.add_person(f"twin@{DOMAIN}")
    _refused(through_provider(client, _continue_with(client, f"twin@{DOMAIN}")), "another organisation")


def test_sso_only_refuses_passwords_but_the_break_glass_admin(
    app, client, company, openid_provider, make_user, mailbox
):
    admin_id = company()
    company(sso_only=True, break_glass_user_id=admin_id)
    make_user(email=f"old.hand@{DOMAIN}")
    refused = sign_in(client, f"old.hand@{DOMAIN}")
    assert refused.status_code == 200
    assert "Acme Learning signs you in with your company account" in refused.get_data(as_text=True)
    assert client.get("/today").status_code == 302
    # Members typing their e-mail go straight to the provider, never to a password field.
    assert provider_url(_continue_with(client, f"old.hand@{DOMAIN}")).startswith(openid_provider.issuer)
    # Nor does a reset link help them: no mail goes out.
    submit(client, "/password/forgot", {"email": f"old.hand@{DOMAIN}"})
    assert mailbox.to(f"old.hand@{DOMAIN}") == []
    assert sign_in(client, f"admin@{DOMAIN}").status_code == 302  # the break-glass admin
    assert client.get("/admin/users").status_code == 200


def test_sso_only_needs_a_break_glass_admin(app, client, company):
    with pytest.raises(Invalid, match="break-glass"):
        company(sso_only=True)


def test_the_admin_sets_company_sign_in_up_on_the_page(app, client, login_as, openid_provider):
    login_as("admin", email=f"boss@{DOMAIN}")
    client_id, secret = openid_provider.register_client()
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert "http://lxp.test/sso/callback" in page  # the redirect URI to register
    data = {"enabled": "y", "issuer": openid_provider.issuer, "client_id": client_id, "client_secret": secret,
            "email_claim": "email", "allowed_domains": f"@{DOMAIN.upper()}, not a domain", "groups_claim": "groups",
            "role_mapping": "", "cohort_mapping": "", "break_glass_user_id": "0", "department_claim": "department"}  # fmt: skip
    bad = submit(client, "/admin/sign-in", data)
    assert bad.status_code == 400 and "not is not an e-mail domain" in bad.get_data(as_text=True)
    wrong_issuer = submit(
        client, "/admin/sign-in", {**data, "allowed_domains": DOMAIN, "issuer": openid_provider.issuer + "/x"}
    )
    assert wrong_issuer.status_code == 400 and "could not read the provider" in wrong_issuer.get_data(as_text=True)
    saved = submit(client, "/admin/sign-in", {**data, "allowed_domains": DOMAIN})
    assert saved.status_code == 302
    again = client.get("/admin/sign-in").get_data(as_text=True)
    assert secret not in again and "A secret is stored" in again
    assert 'name="department_claim" type="text" value="department"' in again
    # Saving again without typing the secret keeps it.
    assert submit(client, "/admin/sign-in", {**data, "allowed_domains": DOMAIN, "client_secret": ""}).status_code == 302
    with app.app_context():
        assert sso_settings.settings_of(_org(app)).client_secret == secret


def _org(app) -> int:
    with app.app_context():
        return db.session.execute(select(User.organisation_id).where(User.email == f"boss@{DOMAIN}")).scalar_one()


def test_a_domain_belongs_to_one_organisation(app, client, company, make_user, other_organisation):
    company()
    other_admin = make_user(("admin",), email="admin@other.example", organisation_id=other_organisation)
    with app.app_context(), pytest.raises(Conflict, match="another organisation"):
        sso_settings.save_settings(db.session.get(User, other_admin), sso_settings.SettingsInput(
            enabled=False, issuer="", client_id="", client_secret="", email_claim="email", allowed_domains=DOMAIN,
            groups_claim="groups", role_mapping="", cohort_mapping="", sso_only=False, break_glass_user_id=None))  # fmt: skip


def test_the_demo_fills_company_sign_in_in_switched_off(app, client, make_user):
    admin_id = make_user(("admin",), email="admin@example.com")
    with committing(app):
        assert seed_company_sign_in("acme") is True
        assert seed_company_sign_in("acme") is False  # idempotent
    assert 'type="password"' in client.get("/login").get_data(as_text=True)  # passwords as before
    sign_in(client, "admin@example.com")
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert EXAMPLE_ISSUER in page and "A secret is stored" in page
    with app.app_context():
        assert sso_settings.settings_of(db.session.get(User, admin_id).organisation_id).enabled is False


def test_erasing_a_person_forgets_their_company_account(app, client, company, openid_provider):
    company()
    sub = openid_provider.add_person(f"leaving@{DOMAIN}")
    through_provider(client, _continue_with(client, f"leaving@{DOMAIN}"))
    with committing(app):
        person = db.session.execute(select(User).where(User.email == f"leaving@{DOMAIN}")).scalar_one()
        erasure.erase(person, actor_id=None, reason="test")
    with app.app_context():
        assert db.session.execute(select(ProviderIdentity).where(ProviderIdentity.subject == sub)).first() is None


def test_an_sso_only_invitation_leads_to_the_company_sign_in_and_never_to_a_password(
    app, client, company, openid_provider, make_user, mailbox
):
    admin_id = company()
    with app.app_context():
        old_link = _invitation_link_before_the_switch(app, make_user)
    company(sso_only=True, break_glass_user_id=admin_id)
    assert sign_in(client, f"admin@{DOMAIN}").status_code == 302  # the break-glass admin
    data = {"email": f"new.hire@{DOMAIN}", "display_name": "New Hire", "roles": ["learner"], "locale": "",
            "timezone": "UTC"}  # fmt: skip
    assert submit(client, "/admin/users/invite", data).status_code == 302
    [mail] = mailbox.to(f"new.hire@{DOMAIN}")
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = mailbox.link_in(mail)
    assert link == "/sso/acme/start" and "password" not in text.lower()
    newcomer = app.test_client()
    openid_provider.add_person(f"new.hire@{DOMAIN}", signed_in=True)
    landed = through_provider(newcomer, newcomer.get(link))
    assert landed.headers["Location"] == "/today" and newcomer.get("/today").status_code == 200
    with app.app_context():
        hire = db.session.execute(select(User).where(User.email == f"new.hire@{DOMAIN}")).scalar_one()
        assert not hire.invitation_pending and not hire.has_password
    # A set-password link sent before the switch now leads to the provider, and sets nothing.
    late = app.test_client()
    answer = late.get(old_link)
    assert answer.status_code == 302 and answer.headers["Location"] == "http://lxp.test/sso/acme/start"
    with app.app_context():
        assert db.session.execute(select(User).where(User.email == f"early@{DOMAIN}")).scalar_one().invitation_pending


def _invitation_link_before_the_switch(app, make_user) -> str:
    from lxp.accounts import tokens

    early = make_user(email=f"early@{DOMAIN}", invited=True)
    return "/invitation/" + tokens.make_token(db.session.get(User, early), tokens.INVITATION)


def test_signing_out_ends_the_session_at_the_provider_too_and_comes_back(app, client, company, openid_provider):
    import requests

    company()
    openid_provider.add_person(f"leaver@{DOMAIN}")
    landed = through_provider(client, _continue_with(client, f"leaver@{DOMAIN}"))
    assert landed.headers["Location"] == "/today"
    page = client.get("/me").get_data(as_text=True)
    out = client.post("/logout", data={"csrf_token": csrf_from(page)})
    end_session = provider_url(out)  # a page that moves on by itself (the CSP's form-action)
    assert out.status_code == 200 and end_session.startswith(openid_provider.issuer)
    query = dict(parse_qsl(urlsplit(end_session).query))
    assert query["post_logout_redirect_uri"] == "http://lxp.test/login" and query["id_token_hint"]
    assert client.get("/today").headers["Location"].startswith("/login")  # lxp's side is over already
    # The real provider accepts the request (hint and address registered) and, once the person
    # confirms, sends the browser back to lxp's sign-in page.
    with requests.Session() as browser:
        form = browser.get(end_session, timeout=10)
        assert form.status_code == 200, form.text[:300]
        action = html.unescape(re.search(r'action="([^"]+)"', form.text).group(1))
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.text))
        back = browser.post(urljoin(form.url, action), data={**fields, "logout": "yes"}, allow_redirects=False,
                            timeout=10)  # fmt: skip
    assert back.status_code in (302, 303) and back.headers["Location"].startswith("http://lxp.test/login")


def test_a_password_sign_in_signs_out_of_lxp_only(app, client, company, make_user):
    company()
    make_user(email=f"plain@{DOMAIN}")
    sign_in(client, f"plain@{DOMAIN}")
    out = client.post("/logout", data={"csrf_token": csrf_from(client.get("/me").get_data(as_text=True))})
    assert out.headers["Location"] == "/login"
