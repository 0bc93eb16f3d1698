"""The credential documents, without an app: every credential lxp builds passes 1EdTech's Open
Badges 3.0 JSON Schema, and the revocation list's encoding reads back bit for bit."""

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lxp.credentials import document

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "data/openbadges/ob_v3p0_achievementcredential_schema.json").read_text()
)
VALIDATOR = jsonschema.Draft201909Validator(SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
assert "date-time" in VALIDATOR.format_checker.checkers, "install rfc3339-validator, or date-times go unchecked"

ISSUER = document.Issuer("https://lxp.example/issuers/acme", "Acme Learning", "https://lxp.example/")
texts = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))


@given(
    name=texts, learner=texts, description=st.text(max_size=200),
    outcomes=st.lists(texts, max_size=5).map(tuple),
    competencies=st.lists(st.tuples(st.from_regex(r"[a-z][a-z-]{0,20}", fullmatch=True), texts), max_size=4).map(tuple),
    issued=moments, days=st.one_of(st.none(), st.integers(1, 3650)), index=st.integers(0, document.STATUS_LIST_BITS - 1),
)  # fmt: skip
def test_every_credential_passes_the_open_badges_schema(name, learner, description, outcomes, competencies, issued,
                                                        days, index):  # fmt: skip
    achievement = document.Achievement("https://lxp.example/issuers/acme/achievements/goal", name, description,
                                       outcomes, competencies)  # fmt: skip
    until = issued + timedelta(days=days) if days else None
    award = document.Award("urn:uuid:8a0c3f2e-1d4b-4c8e-9b1a-2f3e4d5c6b7a", "urn:uuid:0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",
                           learner, issued, until, "https://lxp.example/issuers/acme/status/revocation", index)  # fmt: skip
    credential = document.open_badge(ISSUER, achievement, award)
    errors = sorted(VALIDATOR.iter_errors(credential), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert credential["credentialSubject"]["name"] == learner
    assert ("validUntil" in credential) == (until is not None)
    claims = document.jwt_claims(credential, issued, until)
    assert claims["jti"] == credential["id"] and claims["nbf"] == int(issued.timestamp())
    assert json.loads(json.dumps(claims)) == claims  # plain JSON all the way down


def test_the_schema_is_the_one_the_credentials_name():
    credential = document.open_badge(ISSUER, document.Achievement("urn:x", "A", "", ()), document.Award(
        "urn:uuid:1", "urn:uuid:2", "Ada", datetime(2026, 1, 1, tzinfo=UTC), None, "https://x/status", 0))  # fmt: skip
    assert credential["credentialSchema"][0]["id"] == SCHEMA["$id"]
    broken = {**credential, "credentialSubject": {"type": ["AchievementSubject"]}}
    assert not VALIDATOR.is_valid(broken)  # the schema does catch a credential without its achievement
    assert not VALIDATOR.is_valid({**credential, "issuanceDate": "1 January 2026"})  # and a date that is none


@given(
    st.sets(st.integers(0, document.STATUS_LIST_BITS - 1), max_size=50), st.integers(0, document.STATUS_LIST_BITS - 1)
)
def test_the_status_list_reads_back_bit_for_bit(revoked, probe):
    encoded = document.encode_status_list(revoked)
    assert encoded.startswith("u") and "=" not in encoded
    for index in revoked:
        assert document.bit_is_set(encoded, index)
    assert document.bit_is_set(encoded, probe) == (probe in revoked)
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) == document.STATUS_LIST_BITS // 8  # 16 KB: the recommendation's minimum


def test_bit_zero_is_the_first_bytes_highest_bit():
    raw = gzip.decompress(base64.urlsafe_b64decode(document.encode_status_list({0, 9})[1:] + "=="))
    assert raw[0] == 0b1000_0000 and raw[1] == 0b0100_0000


@pytest.mark.parametrize("bad", ["", "zAAAA", "u!!!", "uH4sI"])
def test_a_list_that_does_not_decode_is_refused(bad):
    with pytest.raises(ValueError):
        document.bit_is_set(bad, 0)


def test_an_index_outside_the_list_is_refused():
    with pytest.raises(ValueError):
        document.encode_status_list({document.STATUS_LIST_BITS})
    with pytest.raises(ValueError):
        document.bit_is_set(document.encode_status_list(set()), document.STATUS_LIST_BITS)
