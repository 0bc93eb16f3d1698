"""The e-mail channel: plain text and HTML over SMTP.

Settings come from ``LXP_SMTP_*``. Without an SMTP host (development), mails are written to
the log so a newcomer can follow links without a mail server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, render_template

from lxp.channels import Channel, DeliveryFailed, get, register

log = logging.getLogger("lxp.mail")


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    to_name: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def render(template: str, *, to: str, name: str, **context) -> OutgoingEmail:
    """Render ``templates/email/<template>.{subject.txt,txt,html}`` in the active locale."""
    context = {"name": name, **context}
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    return OutgoingEmail(
        to=to,
        to_name=name,
        subject=" ".join(subject.split()),
        text=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", subject=subject, **context),
    )


def build_message(mail: OutgoingEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((mail.to_name, mail.to))
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="lxp")
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


@register
class EmailChannel(Channel):
    name = "email"

    def send(self, message: OutgoingEmail) -> None:
        config = current_app.config
        email = build_message(message, config["MAIL_FROM"])
        if not config.get("SMTP_HOST"):
            log.info(
                "No SMTP host configured; this mail was not sent:\nTo: %s\nSubject: %s\n\n%s",
                message.to,
                message.subject,
                message.text,
            )
            return
        try:
            smtp_class = smtplib.SMTP_SSL if config["SMTP_SSL"] else smtplib.SMTP
            with smtp_class(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
                if config["SMTP_STARTTLS"] and not config["SMTP_SSL"]:
                    smtp.starttls(context=ssl.create_default_context())
                if config.get("SMTP_USERNAME"):
                    smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP delivery failed: {exc}") from exc


def send(message: OutgoingEmail) -> None:
    """Send one e-mail now. Raises ``DeliveryFailed``."""
    get("email").send(message)
