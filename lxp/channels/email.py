"""The e-mail channel: plain text and HTML over SMTP.

Settings come from ``LXP_SMTP_*``. Without an SMTP host (development), mails are written to
the log so a newcomer can follow links without a mail server.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from lxp.channels import Channel, DeliveryFailed, Touchpoint, get, register
from lxp.channels import external_url as external_url  # its home before channels shared it
from lxp.core.unit_of_work import after_commit
from lxp.extensions import db

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
    # A name is one line in a header, whatever was stored (a line break would end the header).
    message["To"] = formataddr((" ".join(mail.to_name.split()), mail.to))
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="lxp")
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


@register
class EmailChannel(Channel):
    name, label, sent_label, order = "email", _l("E-mail"), _l("E-mail"), 20
    message_type = OutgoingEmail
    # Until the learner says otherwise: e-mail for what they signed up for and the digest only.
    default_for = frozenset({"reminder", "digest"})
    chosen_per_category, choice_label = True, _l("also by e-mail")
    unsubscribe_link = tracks_opens = absolute_links = True

    @classmethod
    def reachable(cls, users) -> set[int]:
        return {user.id for user in users if user.email}

    def compose(self, touchpoint: Touchpoint) -> OutgoingEmail:
        """The touchpoint mail in the person's language, with a one-click unsubscribe."""
        user = touchpoint.user
        with force_locale(user.locale or current_app.config["DEFAULT_LOCALE"]):
            mail = render("touchpoint", to=user.email, name=user.display_name, headline=touchpoint.subject,
                          body=touchpoint.body, why=touchpoint.why, unsubscribe=touchpoint.unsubscribe_url,
                          open_link=touchpoint.tracked_link(self.name))  # fmt: skip
        return replace(mail, headers={**mail.headers, "List-Unsubscribe": f"<{touchpoint.unsubscribe_url}>",
                                      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})  # fmt: skip

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


def mail_after_commit(user, template: str, **context) -> None:
    """Render ``template`` for ``user`` in their language now; send it once the transaction
    commits (never when it rolls back)."""
    locale = user.locale or current_app.config["DEFAULT_LOCALE"]
    with force_locale(locale):
        message = render(template, to=user.email, name=user.display_name, **context)
    after_commit(db.session, lambda: send(message))
