"""iCalendar files: one session to download, and each person's private feed of their sessions.

Every session keeps one UID for its whole life; each change a calendar must follow raises its
SEQUENCE, and a cancelled session stays in the feed with STATUS:CANCELLED so subscribed
calendars remove it. Start and end carry the session's TZID with a VTIMEZONE; an end that falls
in the repeated hour after clocks go back is written in UTC, because a TZID wall time would be
read as the first occurrence (RFC 5545, 3.3.5).

A mail about a session a person holds a seat on carries the same event as an invitation (iTIP,
RFC 5546): METHOD:REQUEST adds or moves it, METHOD:CANCEL removes it, with the trainer as
ORGANIZER and the learner as an ATTENDEE who has accepted (they registered; no reply wanted).

The feed address holds a random token; only its SHA-256 is stored, so the address is shown
once, when it is made, and a new one replaces it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from lxp.accounts.models import User
from lxp.channels.email import external_url
from lxp.core.errors import NotFound
from lxp.core.time import utcnow
from lxp.core.timezones import in_zone, is_second_occurrence
from lxp.extensions import db
from lxp.live.models import SEAT_HOLDING, CalendarFeed, LiveSession, Registration, live_session_trainers

if TYPE_CHECKING:
    from icalendar import Calendar, Event, vCalAddress

# icalendar (about 100 modules, 3 MB) is imported inside the functions that build documents:
# only calendar downloads, feeds and invitation mails need it, not every page a worker serves.

FEED_HISTORY = timedelta(days=90)  # past sessions kept in a feed
FEED_REFRESH = timedelta(hours=1)  # how often subscribed calendars should fetch the feed again
_URI_SAFE = "/:@!$&'()*+,;=%~-._?#[]"


def _host() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "lxp"


def uid_of(session: LiveSession) -> str:
    """The session's iCalendar UID: the same for every version of it."""
    return f"live-session-{session.id}@{_host()}"


def ascii_uri(url: str) -> str:
    """``url`` as an ASCII URI (RFC 3986): the host in IDNA, other non-ASCII characters and
    spaces percent-encoded as UTF-8; what is already encoded stays as it is."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = quote(host, safe="")
    netloc = host if ":" not in host else f"[{host}]"
    if parts.username is not None:
        userinfo = quote(parts.username, safe="%!$&'()*+,;=") + (
            ":" + quote(parts.password, safe="%!$&'()*+,;=") if parts.password is not None else "")  # fmt: skip
        netloc = f"{userinfo}@{netloc}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe=_URI_SAFE), quote(parts.query, safe=_URI_SAFE),
                       quote(parts.fragment, safe=_URI_SAFE)))  # fmt: skip


def _local(moment: datetime, zone: str) -> datetime:
    local = in_zone(moment, zone)
    return moment.astimezone(UTC) if is_second_occurrence(local) else local


def session_event(session: LiveSession, with_video: bool = True) -> Event:
    """The session as a VEVENT; the video link only ``with_video`` (for people who hold a seat
    or teach it)."""
    from icalendar import Event  # lazy: see the imports

    event = Event()
    event.add("uid", uid_of(session))
    event.add("sequence", session.sequence)
    event.add("dtstamp", session.updated_at)
    event.add("last-modified", session.updated_at)
    event.add("dtstart", _local(session.starts_at, session.timezone))
    event.add("dtend", _local(session.ends_at, session.timezone))
    event.add("summary", session.item.title)
    event.add("status", "CANCELLED" if session.cancelled else "CONFIRMED")
    video_url = session.video_url if with_video else None
    location = session.place or video_url or (str(_l("Online")) if session.video_url else None)
    if location:
        event.add("location", location)
    page = external_url("live.session", session_id=session.id)
    event.add("url", ascii_uri(video_url or page))
    lines = [str(_l("Agenda and registration: %(link)s", link=page))]
    if video_url:
        lines.insert(0, str(_l("Video link: %(link)s", link=session.video_url)))
    event.add("description", "\n".join(lines))
    return event


def _calendar(method: str) -> Calendar:
    from icalendar import Calendar  # lazy: see the imports

    calendar = Calendar()
    calendar.add("prodid", "-//lxp//live sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def calendar_file(sessions: list[LiveSession], name: str | None = None, with_video: bool = True) -> bytes:
    """An iCalendar document with ``sessions`` and the time zones they use; a named one is a
    feed, and says how often to fetch it again (RFC 7986 and the older Outlook property)."""
    calendar = _calendar("PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")
    for session in sessions:
        calendar.add_component(session_event(session, with_video))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _person(user: User, **params: str) -> vCalAddress:
    from icalendar import vCalAddress  # lazy: see the imports

    address = vCalAddress(f"mailto:{user.email}")
    address.params.update({"cn": user.display_name, **params})
    return address


def invitation(session: LiveSession, learner: User, method: str) -> bytes:
    """The session as an invitation for ``learner``'s calendar: ``method`` REQUEST (add it, or
    move it: the same UID with a higher SEQUENCE) or CANCEL (remove it). Raises ``ValueError``
    for another method."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"not an invitation method: {method!r}")
    calendar = _calendar(method)
    event = session_event(session, with_video=method == "REQUEST")
    if method == "CANCEL":
        event["status"] = "CANCELLED"
    # iTIP orders messages of one SEQUENCE by DTSTAMP: the moment this one is made, so a seat
    # taken again after a CANCEL is newer than the CANCEL (the feed keeps the last change).
    event.pop("dtstamp")
    event.add("dtstamp", utcnow())
    organiser = session.trainers[0] if session.trainers else None
    if organiser is not None and organiser.email:
        event.add("organizer", _person(organiser, role="CHAIR"))
    else:
        from icalendar import vCalAddress  # lazy: see the imports

        sender = parseaddr(current_app.config["MAIL_FROM"])
        event.add("organizer", vCalAddress(f"mailto:{sender[1]}"), parameters={"cn": sender[0] or "lxp"})
    event.add("attendee", _person(learner, cutype="INDIVIDUAL", role="REQ-PARTICIPANT", partstat="ACCEPTED",
                                  rsvp="FALSE"))  # fmt: skip
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


# --- private feeds ------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def has_feed(user: User) -> bool:
    return db.session.get(CalendarFeed, user.id) is not None


def reset_feed(user: User) -> str:
    """Make the person's private feed token (replacing any earlier one, whose address stops
    working) and return it; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token), created_at=utcnow()))
    else:
        feed.token_hash, feed.created_at = _hash(token), utcnow()
    db.session.flush()
    return token


def feed_owner(token: str) -> User:
    """The active person whose feed token this is. Raises ``NotFound``."""
    feed = db.session.execute(
        select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token or ""))
    ).scalar_one_or_none()
    if feed is None or not feed.user.active:
        raise NotFound(_l("No such calendar."))
    return feed.user


def feed_sessions(user: User, now: datetime | None = None) -> list[LiveSession]:
    """The person's sessions for their feed: those they hold a seat on and those they teach,
    from ``FEED_HISTORY`` ago on, cancelled ones included."""
    now = now or utcnow()
    seated = select(Registration.session_id).where(Registration.learner_id == user.id,
                                                   Registration.status.in_(SEAT_HOLDING))  # fmt: skip
    teaching = select(live_session_trainers.c.session_id).where(live_session_trainers.c.user_id == user.id)
    return list(
        db.session.execute(
            select(LiveSession)
            .where(or_(LiveSession.id.in_(seated), LiveSession.id.in_(teaching)),
                   LiveSession.ends_at >= now - FEED_HISTORY)
            .order_by(LiveSession.starts_at, LiveSession.id)
            .options(selectinload(LiveSession.item))
        ).scalars()
    )  # fmt: skip
