"""The e-mail channel against a real SMTP server."""

import logging

import pytest

from lxp.channels import CHANNELS, DeliveryFailed, get
from lxp.channels.email import OutgoingEmail


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
