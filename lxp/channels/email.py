"""The e-mail channel: plain text and HTML over SMTP.

Settings come from ``LXP_SMTP_*``. Without an SMTP host (development), mails are written to
the log so a newcomer can follow links without a mail server.

Every mail is one that mail providers accept: ``Date``, a ``Message-ID`` on lxp's own mail
domain, ``Auto-Submitted: auto-generated`` (lxp writes all of them; out-of-office replies stay
away), a plain-text and an HTML part, headers folded by ``mail_headers`` (a subject decodes to
the same text in every language), an iCalendar invitation where a mail carries one, and a DKIM
signature when ``LXP_DKIM_*`` is set.
"""

from __future__ import annotations

import ipaddress
import logging
import smtplib
import ssl
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, g, render_template
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from lxp.channels import Channel, DeliveryFailed, Touchpoint, get, register
from lxp.channels import external_url as external_url  # its home before channels shared it
from lxp.channels.mail_headers import address_header, text_header, verbatim_header
from lxp.core.time import utcnow
from lxp.core.unit_of_work import after_commit
from lxp.extensions import db

log = logging.getLogger("lxp.mail")


@dataclass(frozen=True)
class CalendarInvitation:
    """An iCalendar object for the recipient's calendar: ``method`` is its iTIP METHOD
    (REQUEST adds or moves an event, CANCEL removes it), ``ics`` the whole document."""

    method: str
    ics: bytes
    filename: str = "invite.ics"


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    to_name: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    invitation: CalendarInvitation | None = None
    language: str | None = None  # Content-Language


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
        language=str(get_locale() or "") or None,
    )


def _fully_qualified(host: str | None) -> str | None:
    """``host`` in ASCII (IDNA) when it is a domain name with a dot, else None (an IP address,
    ``localhost``)."""
    if not host:
        return None
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    host = host.rstrip(".").encode("idna").decode("ascii").lower()
    return host if "." in host else None


def mail_domain() -> str:
    """The domain of lxp's Message-IDs: ``LXP_MAIL_DOMAIN``, else the host of ``LXP_BASE_URL``,
    else the domain of ``LXP_MAIL_FROM`` (in development, where the site runs on an address)."""
    config = current_app.config
    for candidate in (config.get("MAIL_DOMAIN"), urlsplit(config["BASE_URL"]).hostname,
                      parseaddr(config["MAIL_FROM"])[1].rpartition("@")[2]):  # fmt: skip
        domain = _fully_qualified(candidate)
        if domain:
            return domain
    return "lxp.localhost"


def build_message(mail: OutgoingEmail, sender: str, *, domain: str = "lxp.localhost") -> EmailMessage:
    """The mail as it goes out: a text and an HTML part (and the invitation), headers folded so
    every reader decodes them as written."""
    message = EmailMessage(policy=policy.SMTP)
    sender_name, sender_address = parseaddr(sender)
    message["From"] = address_header("From", sender_name, sender_address) if sender_name else sender_address
    message["To"] = address_header("To", mail.to_name, mail.to) if mail.to_name else mail.to
    message["Subject"] = text_header("Subject", mail.subject)
    message["Date"] = format_datetime(utcnow(), usegmt=True)
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    for name, value in mail.headers.items():
        message[name] = verbatim_header(name, value)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    if mail.invitation is not None:
        method, ics = mail.invitation.method, mail.invitation.ics.decode("utf-8")
        # Inside the alternative, where Outlook and Gmail look for it; the attachment is for the rest.
        message.add_alternative(ics, subtype="calendar", params={"method": method})
        message.add_attachment(mail.invitation.ics, maintype="application", subtype="ics",
                               filename=mail.invitation.filename)  # fmt: skip
    if mail.language:  # after the parts: making a multipart moves the Content-* headers into the first part
        message["Content-Language"] = mail.language.replace("_", "-")
    return message


SIGNED_HEADERS = (b"From", b"To", b"Subject", b"Date", b"Message-ID", b"MIME-Version", b"Content-Type",
                  b"Auto-Submitted", b"List-Id", b"List-Unsubscribe", b"List-Unsubscribe-Post")  # fmt: skip


def dkim_signature(data: bytes) -> bytes:
    """The ``DKIM-Signature`` header line(s) for ``data`` when ``LXP_DKIM_KEY_FILE`` and
    ``LXP_DKIM_SELECTOR`` are set, else empty. Raises ``DeliveryFailed`` when the key cannot be
    read or used: retried with back-off like an SMTP failure, as an operator may be replacing
    the key; never sent unsigned, which receivers that know the domain signs would refuse."""
    config = current_app.config
    if not (config.get("DKIM_KEY_FILE") and config.get("DKIM_SELECTOR")):
        return b""
    import dkim  # lazy: dkimpy brings dnspython (about 3 MB); only a signing deployment needs it

    domain = config.get("DKIM_DOMAIN") or parseaddr(config["MAIL_FROM"])[1].rpartition("@")[2]
    try:
        key = Path(config["DKIM_KEY_FILE"]).read_bytes()
        # One-click unsubscribe (RFC 8058) needs both List-Unsubscribe headers under the signature.
        return dkim.sign(data, config["DKIM_SELECTOR"].encode(), domain.encode(), key,
                         include_headers=list(SIGNED_HEADERS))  # fmt: skip
    except (OSError, dkim.DKIMException) as exc:
        raise DeliveryFailed(f"DKIM signing failed: {exc}") from exc


MAILS_PER_CONNECTION = 100  # then a new connection: relays may cap the mails of one connection
_CONNECTION = "lxp_smtp_connection"  # on ``flask.g``: one per app context (a delivery run, a request)
_CONNECTION_SETTINGS = ("SMTP_HOST", "SMTP_PORT", "SMTP_SSL", "SMTP_STARTTLS", "SMTP_USERNAME")  # reused while equal


@dataclass
class _SmtpConnection:
    smtp: smtplib.SMTP
    settings: tuple  # the host, port and account it was opened with
    mails: int = 0  # sent over it

    def usable(self) -> bool:
        """Below the cap, and the server still answers (it may have closed an idle connection)."""
        if self.mails >= MAILS_PER_CONNECTION:
            return False
        try:
            return self.smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def close(self) -> None:
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()


def _release_connection() -> None:
    connection = g.pop(_CONNECTION, None)
    if connection is not None:
        connection.close()


def _smtp_connection(config) -> _SmtpConnection:
    """The app context's SMTP connection, opened (TLS, login) on first use and checked before
    each reuse: a delivery run sends its batch over one handshake instead of one per mail.
    Raises ``smtplib.SMTPException`` or ``OSError`` when no connection can be opened."""
    settings = tuple(config.get(key) for key in _CONNECTION_SETTINGS)
    connection = g.get(_CONNECTION)
    if connection is not None and connection.settings == settings and connection.usable():
        return connection
    _release_connection()
    smtp_class = smtplib.SMTP_SSL if config["SMTP_SSL"] else smtplib.SMTP
    smtp = smtp_class(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"])
    try:
        if config["SMTP_STARTTLS"] and not config["SMTP_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    connection = _SmtpConnection(smtp, settings)
    setattr(g, _CONNECTION, connection)
    return connection


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
        """The touchpoint mail in the person's language, with a one-click unsubscribe of its
        category."""
        user = touchpoint.user
        with force_locale(user.locale or current_app.config["DEFAULT_LOCALE"]):
            mail = render("touchpoint", to=user.email, name=user.display_name, headline=touchpoint.subject,
                          body=touchpoint.body, why=touchpoint.why, unsubscribe=touchpoint.unsubscribe_url,
                          open_link=touchpoint.tracked_link(self.name))  # fmt: skip
        # One-click unsubscribe (RFC 8058) per category, and the category as the list (RFC 2919):
        # providers' bulk-sender rules want both, and a List-Unsubscribe without a List-Id scores as spam.
        return replace(mail, headers={**mail.headers, "List-Id": f"<{touchpoint.category}.{mail_domain()}>",
                                      "List-Unsubscribe": f"<{touchpoint.unsubscribe_url}>",
                                      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})  # fmt: skip

    def send(self, message: OutgoingEmail) -> None:
        config = current_app.config
        email = build_message(message, config["MAIL_FROM"], domain=mail_domain())
        if not config.get("SMTP_HOST"):
            log.info(
                "No SMTP host configured; this mail was not sent:\nTo: %s\nSubject: %s\n\n%s",
                message.to,
                message.subject,
                message.text,
            )
            return
        data = email.as_bytes()
        data = dkim_signature(data) + data
        try:
            connection = _smtp_connection(config)
            connection.smtp.sendmail(parseaddr(config["MAIL_FROM"])[1], [message.to], data)
            connection.mails += 1
        except smtplib.SMTPRecipientsRefused as exc:  # the connection is reset and still good
            raise DeliveryFailed(f"recipient refused: {exc.recipients}", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.release()  # in whatever state the failure left it: the next mail opens another
            raise DeliveryFailed(f"SMTP delivery failed: {exc}") from exc

    @classmethod
    def release(cls) -> None:
        _release_connection()


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
