"""E-mails about live sessions, written in the recipient's language with times in their zone,
and sent only after the commit. Those about a seat the person holds carry a calendar invitation
(``calendars.invitation``) that adds, moves or removes the session in their calendar.

They are transactional, not touchpoints: they answer something the person or their trainer did
to their own seat, so they go by e-mail whatever the learner chose for nudges and count against
no weekly cap."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale

from lxp.channels import email as email_channel
from lxp.core.dates import format_clock, format_moment
from lxp.core.timezones import in_zone
from lxp.core.unit_of_work import after_commit
from lxp.extensions import db
from lxp.live import calendars
from lxp.live.models import LiveSession

KINDS = ("registered", "promoted", "offered", "expired", "updated", "cancelled", "unregistered")
# The notices that come with an invitation, to those holding a seat: the method it carries.
INVITING = {"registered": "REQUEST", "promoted": "REQUEST", "updated": "REQUEST", "cancelled": "CANCEL",
            "unregistered": "CANCEL"}  # fmt: skip


def tell(
    user, kind: str, session: LiveSession, expires_at: datetime | None = None, with_video: bool = True,
    *, invite: bool | None = None,
) -> None:  # fmt: skip
    """Queue the ``kind`` notice about ``session`` for ``user``; it goes out after the commit.
    The video link is left out ``with_video=False`` (people on the waitlist). ``invite``: attach
    the calendar invitation of an ``INVITING`` kind (default: when the video link is shown, that
    is to people with a seat)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice {kind!r}")
    method = INVITING.get(kind) if (with_video if invite is None else invite) else None
    locale = user.locale or current_app.config["DEFAULT_LOCALE"]
    zone = user.timezone or current_app.config["DEFAULT_TIMEZONE"]
    same_day = in_zone(session.starts_at, zone).date() == in_zone(session.ends_at, zone).date()
    ends = format_clock(session.ends_at, locale, zone) if same_day else format_moment(session.ends_at, locale, zone)
    context = {
        "kind": kind,
        "title": session.item.title,
        "starts": format_moment(session.starts_at, locale, zone),
        "ends": ends,
        "zone": zone,
        "place": session.place,
        "video_url": session.video_url if with_video else None,
        "expires": format_moment(expires_at, locale, zone) if expires_at else None,
        "link": email_channel.external_url("live.session", session_id=session.id),
        "invitation": method,
    }
    with force_locale(locale):
        invitation = None
        if method:
            invitation = email_channel.CalendarInvitation(method, calendars.invitation(session, user, method))
        subject = " ".join(render_template("live/email/notice.subject.txt", **context).split())
        message = email_channel.OutgoingEmail(
            to=user.email,
            to_name=user.display_name,
            subject=subject,
            text=render_template("live/email/notice.txt", name=user.display_name, **context),
            html=render_template("live/email/notice.html", name=user.display_name, subject=subject, **context),
            invitation=invitation,
            language=locale,
        )
    after_commit(db.session, lambda: email_channel.send(message))
