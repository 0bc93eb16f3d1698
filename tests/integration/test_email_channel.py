"""The e-mail channel against a real SMTP server."""

import logging

import pytest

from lxp.channels import CHANNELS, DeliveryFailed, get
from lxp.channels.email import OutgoingEmail
from tests.integration.outbox_fixtures import MailServer


def _mail():
    return OutgoingEmail(
        to="olga@example.com",
        to_name="Ольга Петрова",
        subject="Ваш путь обучения",
        text="Привет!\nhttp://lxp.test/path",
        html="<p>Привет!</p>",
    )


def test_email_is_registered_as_a_channel():
    assert "email" in CHANNELS


def test_sends_text_and_html_with_unicode_names(ctx, mailbox):
    get("email").send(_mail())
    [message] = mailbox.to("olga@example.com")
    assert message["Subject"] == "Ваш путь обучения"
    assert "Ольга Петрова" in message["To"]
    assert message.get_body(preferencelist=("plain",)).get_content().startswith("Привет!")
    assert message.get_body(preferencelist=("html",)).get_content().strip() == "<p>Привет!</p>"


def test_mails_of_one_context_share_a_connection_until_the_settings_name_another_relay(ctx, mailbox):
    email = get("email")
    email.send(_mail())
    email.send(_mail())
    first, second = mailbox.to("olga@example.com")
    assert first.peer == second.peer  # one connection
    other = MailServer()
    other.start()
    ctx.config["SMTP_PORT"], saved = other.port, ctx.config["SMTP_PORT"]
    try:
        email.send(_mail())  # the kept connection leads to the old relay: not used
        assert len(other.mailbox.to("olga@example.com")) == 1 and len(mailbox.to("olga@example.com")) == 2
    finally:
        ctx.config["SMTP_PORT"] = saved
        other.stop()


def test_unreachable_smtp_server_is_a_retryable_failure(ctx):
    from socket import socket

    with socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    ctx.config["SMTP_PORT"], saved = port, ctx.config["SMTP_PORT"]
    try:
        with pytest.raises(DeliveryFailed) as failure:
            get("email").send(_mail())
        assert not failure.value.permanent
    finally:
        ctx.config["SMTP_PORT"] = saved


def test_without_smtp_host_mails_go_to_the_log(ctx, mailbox, caplog):
    ctx.config["SMTP_HOST"], saved = None, ctx.config["SMTP_HOST"]
    try:
        with caplog.at_level(logging.INFO, logger="lxp.mail"):
            get("email").send(_mail())
    finally:
        ctx.config["SMTP_HOST"] = saved
    assert "http://lxp.test/path" in caplog.text
    assert mailbox.messages == []


def test_a_failed_mail_does_not_undo_the_committed_change(app, client, login_as, mailbox, caplog):
    from tests.conftest import submit

    login_as("admin")
    app.config["SMTP_PORT"], saved = 1, app.config["SMTP_PORT"]
    try:
        response = submit(
            client,
            "/admin/users/invite",
            {
                "email": "x@example.com",
                "display_name": "X Person",
                "roles": ["learner"],
                "locale": "",
                "timezone": "UTC",
            },
        )
    finally:
        app.config["SMTP_PORT"] = saved
    assert response.status_code == 302
    assert "side effect after commit failed" in caplog.text
    page = client.get("/admin/users?q=x@example.com").get_data(as_text=True)
    assert "X Person" in page and "Invited" in page


def test_with_a_dkim_key_every_mail_is_signed_and_verifies(ctx, mailbox, tmp_path):
    """Signed with the configured key; dkimpy's own verifier, given the public key as DNS would
    give it, accepts the mail as received, List-Unsubscribe headers included (RFC 8058)."""
    import base64

    import dkim
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "dkim.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.TraditionalOpenSSL,
                                                          serialization.NoEncryption()))  # fmt: skip
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)
    asked = []

    def dns(name, timeout=5):
        asked.append(name)
        return record if name == b"mail2026._domainkey.lxp.localhost." else None

    settings = {"DKIM_KEY_FILE": str(tmp_path / "dkim.pem"), "DKIM_SELECTOR": "mail2026"}
    saved = {name: ctx.config.get(name) for name in settings}
    ctx.config.update(settings)
    try:
        mail = _mail()
        get("email").send(OutgoingEmail(**{**mail.__dict__, "headers": {
            "List-Unsubscribe": "<http://lxp.test/unsubscribe/" + "x" * 120 + ">",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}}))  # fmt: skip
    finally:
        ctx.config.update(saved)
    [message] = mailbox.to("olga@example.com")
    raw = message.raw_bytes
    signature = message["DKIM-Signature"]
    assert "d=lxp.localhost" in signature and "s=mail2026" in signature
    assert "list-unsubscribe-post" in signature.lower().replace(" ", "")
    assert dkim.verify(raw, dnsfunc=dns)
    assert asked == [b"mail2026._domainkey.lxp.localhost."]
    assert not dkim.verify(raw + b"One more line after signing.\r\n", dnsfunc=dns)
    tampered = raw.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click", b"List-Unsubscribe-Post: x")
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_an_unreadable_dkim_key_is_a_failure_tried_again_and_nothing_goes_unsigned(ctx, mailbox, tmp_path):
    ctx.config.update({"DKIM_KEY_FILE": str(tmp_path / "missing.pem"), "DKIM_SELECTOR": "s1"})
    try:
        with pytest.raises(DeliveryFailed) as failure:
            get("email").send(_mail())
    finally:
        ctx.config.update({"DKIM_KEY_FILE": None, "DKIM_SELECTOR": None})
    assert not failure.value.permanent and "DKIM" in str(failure.value)
    assert mailbox.messages == []


@pytest.mark.parametrize(
    ("settings", "domain"),
    [
        ({"BASE_URL": "https://Lernen.Bücher.example/lxp"}, "lernen.xn--bcher-kva.example"),
        ({"BASE_URL": "http://127.0.0.1:5000"}, "lxp.localhost"),  # development: MAIL_FROM's domain
        ({"BASE_URL": "http://localhost:5000", "MAIL_FROM": "Acme <learning@acme.example>"}, "acme.example"),
        ({"MAIL_DOMAIN": "mail.acme.example", "BASE_URL": "https://learn.acme.example"}, "mail.acme.example"),
    ],
)
def test_message_ids_are_on_a_fully_qualified_mail_domain(ctx, settings, domain):
    from lxp.channels.email import mail_domain

    saved = {name: ctx.config.get(name) for name in settings}
    ctx.config.update(settings)
    try:
        assert mail_domain() == domain
    finally:
        ctx.config.update(saved)
