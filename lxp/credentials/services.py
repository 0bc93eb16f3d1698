"""Issuing, listing, revoking and verifying credentials.

A learner earns a goal's credential when they have shown (``mastered``, not voided) every
competency the goal targets; ``issue_earned`` issues what a learner has earned and not yet
received, and ``issue_for_goal`` is the one entry point other features call (an assignment
completed). Issuing is idempotent: while a learner's credential for a goal is current or
revoked, issuing again returns it; after it expired, a new one (the next ``sequence``) is
issued once the learner has shown the competencies again (recertification).

Each writing function works in the caller's transaction and never commits. Errors are
``lxp.core.errors`` types; another organisation's or another learner's credential is
``NotFound``, the same answer as for an id that does not exist.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lxp.accounts.models import Organisation, User
from lxp.audit import services as audit
from lxp.authoring import services as authoring
from lxp.authoring.models import Goal
from lxp.channels import external_url
from lxp.core.errors import Invalid, NotFound
from lxp.core.time import utcnow
from lxp.credentials import document, keys, picture, printout
from lxp.credentials.models import Credential
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.paths import services as paths
from lxp.paths.models import Journey, journey_goals

log = logging.getLogger(__name__)
MAX_REASON = 500
MAX_PASTED = 64_000  # characters of a pasted credential; ours are a few kilobytes

# --- the issuer's addresses --------------------------------------------------------------


def issuer_of(organisation: Organisation) -> document.Issuer:
    """The organisation as an Open Badges issuer: its profile address, name and site."""
    return document.Issuer(
        id=external_url("credentials.issuer_profile", slug=organisation.slug),
        name=organisation.name,
        url=external_url("core.home"),
    )


def status_list_address(organisation: Organisation) -> str:
    return external_url("credentials.status_list", slug=organisation.slug)


def organisation_by_slug(slug: str) -> Organisation:
    """The organisation with this slug. Raises ``NotFound``."""
    organisation = db.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if organisation is None:
        raise NotFound(_l("No such issuer."))
    return organisation


# --- what a goal's credential says -------------------------------------------------------


def achievement_of(goal: Goal) -> document.Achievement:
    """The goal as an achievement: its criteria are the outcomes of its courses' published
    versions that rest on the goal's competencies (all their outcomes when none does)."""
    codes = {competency.code for competency in goal.competencies}
    outcomes: list[str] = []
    every: list[str] = []
    for course in goal.courses:
        version = authoring.current_published(course)
        for outcome in version.outcomes if version is not None else ():
            every.append(outcome.statement)
            if codes & {competency.code for competency in outcome.competencies}:
                outcomes.append(outcome.statement)
    organisation = db.session.get(Organisation, goal.organisation_id)
    return document.Achievement(
        id=f"{issuer_of(organisation).id}/achievements/{goal.slug}",
        name=goal.title,
        description=goal.description,
        outcomes=tuple(outcomes or every),
        competencies=tuple((c.code, c.name) for c in goal.competencies),
    )


# --- issuing -----------------------------------------------------------------------------


def _latest(learner_id: int, goal_id: int) -> Credential | None:
    return db.session.scalars(
        select(Credential).where(Credential.learner_id == learner_id, Credential.goal_id == goal_id)
        .order_by(Credential.sequence.desc())
    ).first()  # fmt: skip


def is_expired(credential: Credential, now: datetime | None = None) -> bool:
    return credential.valid_until is not None and credential.valid_until <= (now or utcnow())


def state_of(credential: Credential, now: datetime | None = None) -> str:
    """``revoked``, ``expired`` or ``active``: what the pages and the API say."""
    if credential.revoked_at is not None:
        return "revoked"
    return "expired" if is_expired(credential, now) else "active"


def _free_status_index(organisation_id: int) -> int:
    """A random unused bit of the organisation's status list (random, so a list's set bits
    say nothing about when a revoked credential was issued). Raises ``Invalid`` when full."""
    used = set(db.session.scalars(select(Credential.status_index).where(Credential.organisation_id == organisation_id)))
    if len(used) >= document.STATUS_LIST_BITS:
        raise Invalid(_l("This organisation's revocation list is full."))
    while True:
        index = secrets.randbelow(document.STATUS_LIST_BITS)
        if index not in used:
            return index


def issue_for_goal(learner: User, goal: Goal, *, valid_until: datetime | None = None, reason: str = "goal",
                   now: datetime | None = None) -> Credential:  # fmt: skip
    """The learner's credential for ``goal``, issued now (signed with the organisation's key)
    unless one is current or revoked, which is returned unchanged. ``valid_until`` makes it
    expire (recertification); ``reason`` says why it was issued (``goal`` or ``assignment``).

    Other features call this when the organisation's own rule is met (an assignment done); it
    does not check mastery. Raises ``Invalid`` for a goal of another organisation, a
    ``valid_until`` not after now, or an unknown reason; ``core.crypto.EncryptionUnavailable``
    when no encryption key is configured for the signing key."""
    now = now or utcnow()
    if goal.organisation_id != learner.organisation_id:
        raise Invalid(_l("This goal belongs to another organisation."), field="goal")
    if reason not in ("goal", "assignment"):
        raise Invalid(_l("Unknown reason for a credential."), field="reason")
    if valid_until is not None and valid_until <= now:
        raise Invalid(_l("A credential must be valid for some time after it is issued."), field="valid_until")
    valid_until = valid_until.replace(microsecond=0) if valid_until is not None else None  # JWT's exp is seconds
    latest = _latest(learner.id, goal.id)
    if latest is not None and not is_expired(latest, now):
        return latest
    organisation = db.session.get(Organisation, learner.organisation_id)
    key = keys.current_key(organisation.id)
    credential = Credential(
        id=uuid.uuid4(), organisation_id=organisation.id, learner_id=learner.id, goal_id=goal.id,
        sequence=(latest.sequence + 1) if latest else 1, reason=reason, achievement_name=goal.title,
        learner_name=learner.display_name, issued_at=now.replace(microsecond=0), valid_until=valid_until,
        status_index=_free_status_index(organisation.id), kid=key.kid,
    )  # fmt: skip
    award = document.Award(
        credential_id=f"urn:uuid:{credential.id}", learner_id=f"urn:uuid:{uuid.uuid4()}",
        learner_name=learner.display_name, issued_at=credential.issued_at, valid_until=valid_until,
        status_list=status_list_address(organisation), status_index=credential.status_index,
    )  # fmt: skip
    vc = document.open_badge(issuer_of(organisation), achievement_of(goal), award)
    credential.jwt = keys.sign(key, document.jwt_claims(vc, credential.issued_at, valid_until))
    try:
        with db.session.begin_nested():  # a concurrent issue of the same one lands here
            db.session.add(credential)
    except IntegrityError:
        stored = _latest(learner.id, goal.id)
        if stored is None:
            raise
        return stored
    return credential


def _shown(learner_id: int, since: datetime | None) -> frozenset[str]:
    """Competencies the learner has shown (after ``since`` when given), voided events left out."""
    if since is None:
        return paths.learner_state(learner_id).mastered
    rows = db.session.execute(
        select(LearningEvent.id, LearningEvent.object_id).where(
            LearningEvent.actor_id == learner_id, LearningEvent.verb == "mastered",
            LearningEvent.object_type == "competency", LearningEvent.occurred_at > since)
    ).all()  # fmt: skip
    voided = set(db.session.scalars(select(LearningEvent.object_id).where(
        LearningEvent.actor_id == learner_id, LearningEvent.verb == "voided")))  # fmt: skip
    return frozenset(code for event_id, code in rows if str(event_id) not in voided)


def _chosen_goals(learner_id: int) -> list[Goal]:
    # Goal ids first: PostgreSQL cannot DISTINCT whole goal rows (they hold JSON).
    chosen = (select(journey_goals.c.goal_id).join(Journey, Journey.id == journey_goals.c.journey_id)
              .where(Journey.learner_id == learner_id))  # fmt: skip
    return list(db.session.scalars(select(Goal).where(Goal.id.in_(chosen)).order_by(Goal.id)))


def issue_earned(learner: User, now: datetime | None = None) -> list[Credential]:
    """Issue every credential the learner has earned and not yet received: for each goal they
    chose (on any journey) with competencies, all shown. After an expired credential, the
    competencies must be shown again after it was issued; the new one is valid as long as the
    old one was. Returns the credentials issued now."""
    now = now or utcnow()
    issued = []
    for goal in _chosen_goals(learner.id):
        needed = {competency.code for competency in goal.competencies}
        if not needed:
            continue
        latest = _latest(learner.id, goal.id)
        if latest is not None and not is_expired(latest, now):
            continue
        # issued_at is in whole seconds: what was shown in the second it was issued is not new
        if not needed <= _shown(learner.id, latest.issued_at + timedelta(seconds=1) if latest else None):
            continue
        valid_until = None
        if latest is not None and latest.valid_until is not None:
            valid_until = now + (latest.valid_until - latest.issued_at)
        issued.append(issue_for_goal(learner, goal, valid_until=valid_until, now=now))
    return issued


def issue_all_earned(now: datetime | None = None) -> int:
    """The scheduler's sweep: ``issue_earned`` for every active learner who has shown a
    competency and chosen a goal. Returns how many credentials were issued."""
    learner_ids = db.session.scalars(
        select(Journey.learner_id).where(Journey.learner_id.in_(
            select(LearningEvent.actor_id).where(LearningEvent.verb == "mastered"))).distinct()
    ).all()  # fmt: skip
    issued = 0
    for learner_id in learner_ids:
        learner = db.session.get(User, learner_id)
        if learner is not None and learner.active:
            issued += len(issue_earned(learner, now))
    return issued


# --- reading -----------------------------------------------------------------------------


def credentials_of(learner: User) -> list[Credential]:
    """The learner's own credentials, newest first."""
    return list(db.session.scalars(
        select(Credential).where(Credential.learner_id == learner.id)
        .order_by(Credential.issued_at.desc(), Credential.sequence.desc())
    ))  # fmt: skip


def own_credential(learner: User, credential_id: uuid.UUID) -> Credential:
    """One of the learner's own credentials. Raises ``NotFound`` for anyone else's."""
    credential = db.session.get(Credential, credential_id)
    if credential is None or credential.learner_id != learner.id:
        raise NotFound(_l("No such credential."))
    return credential


def credentials_in(admin: User) -> list[Credential]:
    """Every credential the admin's organisation issued, newest first."""
    return list(db.session.scalars(
        select(Credential).where(Credential.organisation_id == admin.organisation_id)
        .order_by(Credential.issued_at.desc(), Credential.id)
    ))  # fmt: skip


def page_of_learner(learner: User, limit: int, after: tuple[datetime, uuid.UUID] | None = None) -> list[Credential]:
    """Up to ``limit + 1`` of the learner's credentials, newest first (ties by id), after the
    (issued_at, id) of the page before: paged in SQL, not in memory."""
    return _page(Credential.learner_id == learner.id, limit, after)


def page_of_organisation(admin: User, limit: int, after: tuple[datetime, uuid.UUID] | None = None) -> list[Credential]:
    """Up to ``limit + 1`` of the admin's organisation's credentials, as ``page_of_learner``."""
    return _page(Credential.organisation_id == admin.organisation_id, limit, after)


def _page(where, limit: int, after: tuple[datetime, uuid.UUID] | None) -> list[Credential]:
    query = select(Credential).where(where).order_by(Credential.issued_at.desc(), Credential.id)
    if after is not None:
        at, last = after
        query = query.where((Credential.issued_at < at) | ((Credential.issued_at == at) & (Credential.id > last)))
    return list(db.session.scalars(query.limit(limit + 1)))


def credential_in(admin: User, credential_id: uuid.UUID) -> Credential:
    """A credential of the admin's organisation. Raises ``NotFound`` for another's."""
    credential = db.session.get(Credential, credential_id)
    if credential is None or credential.organisation_id != admin.organisation_id:
        raise NotFound(_l("No such credential."))
    return credential


def count_in(organisation_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Credential).where(
        Credential.organisation_id == organisation_id))  # fmt: skip


# --- revoking ----------------------------------------------------------------------------


def revoke(admin: User, credential: Credential, reason: str) -> Credential:
    """Revoke ``credential`` with a reason (kept for the organisation, never published): its
    bit in the status list is set, so every verifier sees it revoked. Revoking a revoked one
    changes nothing. Raises ``Invalid`` for an empty or too long reason, ``NotFound`` for
    another organisation's credential."""
    if credential.organisation_id != admin.organisation_id:
        raise NotFound(_l("No such credential."))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_l("Say why the credential is revoked."), field="reason")
    if len(reason) > MAX_REASON:
        raise Invalid(_l("Keep the reason under %(count)d characters.", count=MAX_REASON), field="reason")
    if credential.revoked_at is not None:
        return credential
    credential.revoked_at, credential.revoked_by_id, credential.revoke_reason = utcnow(), admin.id, reason
    audit.record("credential_revoked", organisation_id=admin.organisation_id, actor_id=admin.id,
                 subject_type="credential", subject_id=credential.id, details={"reason": reason})  # fmt: skip
    db.session.flush()
    return credential


def rotate_key(slug: str) -> keys.SigningKey:
    """Make a new Ed25519 key the signing key of the organisation ``slug``; the old ones are
    retired and stay in its JWK set, so credentials they signed keep verifying. Raises
    ``NotFound`` for an unknown organisation and ``core.crypto.EncryptionUnavailable``."""
    organisation = organisation_by_slug(slug)
    key, retired = keys.rotate(organisation.id)
    audit.record("credential_key_rotated", organisation_id=organisation.id, actor_id=None,
                 subject_type="organisation", subject_id=organisation.id,
                 details={"kid": key.kid, "retired": [k.kid for k in retired]})  # fmt: skip
    db.session.flush()
    return key


def revoked_indexes(organisation_id: int) -> frozenset[int]:
    return frozenset(db.session.scalars(select(Credential.status_index).where(
        Credential.organisation_id == organisation_id, Credential.revoked_at.is_not(None))))  # fmt: skip


def status_list_jwt(organisation: Organisation, now: datetime | None = None) -> str | None:
    """The organisation's revocation list as a signed BitstringStatusListCredential (VC-JWT),
    or None while it has no signing key (it has issued nothing, so nothing can be revoked)."""
    key = db.session.scalars(select(keys.SigningKey).where(
        keys.SigningKey.organisation_id == organisation.id, keys.SigningKey.retired_at.is_(None))
        .order_by(keys.SigningKey.id.desc())).first()  # fmt: skip
    if key is None:
        return None
    now = (now or utcnow()).replace(microsecond=0)
    address = status_list_address(organisation)
    encoded = document.encode_status_list(revoked_indexes(organisation.id))
    vc = document.status_list_credential(issuer_of(organisation), address, encoded, now)
    return keys.sign(key, {"iss": vc["issuer"], "jti": address, "iat": int(now.timestamp()),
                           "nbf": int(now.timestamp()), "vc": vc})  # fmt: skip


# --- verifying ---------------------------------------------------------------------------

VERDICTS = ("valid", "revoked", "expired", "not_yet_valid", "bad_signature", "unknown_issuer", "malformed")


@dataclass(frozen=True)
class Verification:
    """What checking a credential found. ``verdict`` is one of ``VERDICTS``; ``credential``
    is the OpenBadgeCredential when the signature held (else None: an unsigned claim is not
    shown); ``issuer`` the organisation whose key signed it."""

    verdict: str
    credential: dict | None = None
    issuer: Organisation | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.verdict == "valid"


def _instant(claims: dict, name: str) -> datetime | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{name} is not a number")
    return datetime.fromtimestamp(value, tz=utcnow().tzinfo)


def verify(token: str, now: datetime | None = None) -> Verification:
    """Check a credential's VC-JWT as any verifier would: the key its header names must be a
    published key, the signature must hold, the issuer in the claims must be that key's
    organisation, its bit in that organisation's status list must be clear, and now must lie
    between ``nbf`` and ``exp``. Never raises for bad input: the verdict says what is wrong."""
    now = now or utcnow()
    token = (token or "").strip()
    try:
        header = keys.header_of(token)
    except keys.BadSignature:
        return Verification("malformed")
    key = keys.key_by_kid(str(header.get("kid", ""))) if header.get("alg") == keys.ALGORITHM else None
    if key is None:
        return Verification("unknown_issuer")
    try:
        claims = keys.verified_claims(token, key.public_jwk)
    except keys.BadSignature:
        return Verification("bad_signature")
    organisation = db.session.get(Organisation, key.organisation_id)
    issuer = issuer_of(organisation)
    vc = claims.get("vc")
    if not isinstance(vc, dict) or claims.get("iss") != issuer.id or (vc.get("issuer") or {}).get("id") != issuer.id:
        return Verification("unknown_issuer")
    try:
        valid_from, valid_until = _instant(claims, "nbf"), _instant(claims, "exp")
    except (ValueError, OverflowError, OSError):
        return Verification("malformed")
    found = {"credential": vc, "issuer": organisation, "valid_from": valid_from, "valid_until": valid_until}
    status = vc.get("credentialStatus") or {}
    if status.get("statusListCredential") != status_list_address(organisation):
        return Verification("malformed", **found)
    try:
        index = int(status.get("statusListIndex"))
        revoked = document.bit_is_set(document.encode_status_list(revoked_indexes(organisation.id)), index)
    except (TypeError, ValueError):
        return Verification("malformed", **found)
    if revoked:
        return Verification("revoked", **found)
    if valid_from is not None and valid_from > now:
        return Verification("not_yet_valid", **found)
    if valid_until is not None and valid_until <= now:
        return Verification("expired", **found)
    return Verification("valid", **found)


def verify_shared(credential_id: uuid.UUID, now: datetime | None = None) -> Verification:
    """The verification of a stored credential, for its share link. Raises ``NotFound`` for
    an id no credential has (or one erased with its learner)."""
    credential = db.session.get(Credential, credential_id)
    if credential is None or not credential.jwt:  # an erased person's credential keeps no file
        raise NotFound(_l("No such credential."))
    return verify(credential.jwt, now)


def verify_pasted(text: str | None = None, png: bytes | None = None, now: datetime | None = None) -> Verification:
    """Check a credential someone holds: the VC-JWT pasted as text (or the ``.json`` download,
    whose ``jwt`` it takes), or a PNG with the credential baked in, or the PDF with it attached
    (``png`` holds the uploaded file's bytes, whichever it is). Raises ``Invalid`` naming
    the field when there is nothing to check, both at once, text too long, or a picture without
    a credential; anything else that is not a credential of ours is the verdict ``malformed``."""
    text = (text or "").strip()
    if text and png:
        raise Invalid(_l("Paste the credential or choose its picture, not both."), field="token")
    if png:
        try:
            return verify((printout if printout.is_pdf(png) else picture).baked_credential(png), now)
        except picture.NotABadge:
            raise Invalid(_l("This file carries no credential. Choose the PNG or PDF downloaded from lxp, or paste "
                             "the credential's text."), field="picture") from None  # fmt: skip
    if not text:
        raise Invalid(_l("Paste the credential's text or choose its picture."), field="token")
    if len(text) > MAX_PASTED:
        raise Invalid(_l("This is far longer than a credential. Paste only the credential's text."), field="token")
    if text.startswith("{"):
        try:
            text = str(json.loads(text).get("jwt") or "")
        except (ValueError, AttributeError):
            return Verification("malformed")
    return verify(text, now)


def credential_json(credential: Credential) -> dict:
    """The OpenBadgeCredential inside the stored JWT (as issued; its signature is the JWT's);
    empty for an erased person's credential, which keeps no file."""
    if not credential.jwt:
        return {}
    from joserfc.jws import extract_compact  # lazy: joserfc only where credentials are read (see keys)

    return json.loads(extract_compact(credential.jwt.encode("ascii")).payload)["vc"]
