"""SAML 2.0, the service provider's side, with python3-saml (OneLogin's toolkit, on xmlsec):
the SP's metadata, the identity provider's metadata (read, or fetched from its address), the
AuthnRequest (HTTP-Redirect binding) and the checks of the Response (HTTP-POST binding).

The checks python3-saml makes in strict mode, with the settings below: a signed assertion
(``wantAssertionsSigned``; an unsigned one or one signed by another key is refused), the
audience (our entity id), the destination and the recipient (our ACS address), the
InResponseTo (the request id the caller hands in), the issuer, and the validity window with
``clock_skew`` seconds of tolerance. What the toolkit cannot know, the caller keeps: which
requests it issued (single use) and which assertions it has seen (replay).

No database and no Flask here: ``Refused`` carries its message lazily.
"""

from __future__ import annotations

import base64
import binascii
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxp.lrs.addresses import RefusedAddress, resolve
from lxp.sso.refusals import Refused

if TYPE_CHECKING:
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

# The toolkit (with xmlsec and lxml, about 14 MB) is imported inside the functions below: only
# company sign-in pages need it, so a web worker that never serves one does not hold it.

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
MAX_METADATA_BYTES = 1_000_000
DEFAULT_CLOCK_SKEW = 120

# The toolkit's validation error codes (OneLogin_Saml2_ValidationError's constants) by name.
_REASONS = {
    "WRONG_AUDIENCE": "wrong_audience",
    "WRONG_DESTINATION": "wrong_audience",
    "EMPTY_DESTINATION": "wrong_audience",
    "WRONG_SUBJECTCONFIRMATION": "wrong_audience",  # recipient, or the confirmation's window
    "WRONG_ISSUER": "wrong_issuer",
    "WRONG_INRESPONSETO": "bad_state",
    "ASSERTION_EXPIRED": "expired",
    "ASSERTION_TOO_EARLY": "expired",
    "SESSION_EXPIRED": "expired",
    "NO_SIGNED_ASSERTION": "bad_signature",
    "NO_SIGNED_MESSAGE": "bad_signature",
    "NO_SIGNATURE_FOUND": "bad_signature",
    "INVALID_SIGNATURE": "bad_signature",
    "STATUS_CODE_IS_NOT_SUCCESS": "provider_said_no",
}


@dataclass(frozen=True)
class ServiceProvider:
    """What lxp is to one organisation's identity provider."""

    entity_id: str  # the address of its metadata
    acs_url: str  # where the provider posts its answer
    idp_metadata: str  # the provider's metadata (XML)
    clock_skew: int = DEFAULT_CLOCK_SKEW


@dataclass(frozen=True)
class Assertion:
    """A checked answer: who the provider vouches for, and what replay protection needs."""

    idp_entity_id: str
    name_id: str
    attributes: dict[str, list[str]]
    assertion_id: str
    not_on_or_after: datetime


def read_idp_metadata(xml: str) -> dict:
    """The provider's entity id, sign-in address (HTTP-Redirect) and signing certificates from its
    metadata. Raises ``ValueError`` saying what is missing."""
    from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser  # lazy: see above

    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)
    except Exception as error:  # the parser raises whatever lxml or its own checks raise
        raise ValueError(f"not SAML metadata: {error}") from None
    idp = parsed.get("idp") or {}
    if not idp.get("entityId"):
        raise ValueError("no IDPSSODescriptor with an entityID")
    if not (idp.get("singleSignOnService") or {}).get("url"):
        raise ValueError("no SingleSignOnService with the HTTP-Redirect binding")
    if not idp.get("x509cert") and not (idp.get("x509certMulti") or {}).get("signing"):
        raise ValueError("no signing certificate")
    return idp


def fetch_idp_metadata(url: str, allow_private: bool) -> str:
    """The metadata at ``url`` (an admin typed it: public addresses only unless
    ``allow_private``, no redirects, no environment proxy, a time-out and a size limit).
    Raises ``ValueError`` saying why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or (parts.scheme == "http" and not allow_private):
        raise ValueError("use an https:// address")
    try:
        resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allow_private=allow_private)
    except (RefusedAddress, OSError) as error:
        raise ValueError(str(error)) from None
    import requests  # lazy: only fetching a provider's metadata needs it

    try:
        with requests.Session() as http:
            http.trust_env = False
            response = http.get(url, timeout=TIMEOUT_SECONDS, allow_redirects=False, stream=True)
            response.raise_for_status()
            body = response.raw.read(MAX_METADATA_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise ValueError(str(error)) from None
    if len(body) > MAX_METADATA_BYTES:
        raise ValueError("larger than 1 MB")
    return body.decode("utf-8", errors="replace")


def _settings(sp: ServiceProvider) -> OneLogin_Saml2_Settings:
    from onelogin.saml2.constants import OneLogin_Saml2_Constants  # lazy: see above
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    idp = read_idp_metadata(sp.idp_metadata)
    data = {
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": sp.entity_id,
            "assertionConsumerService": {"url": sp.acs_url, "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST},
            "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED,
            "x509cert": "",
            "privateKey": "",
        },
        "idp": idp,
        "security": {
            "authnRequestsSigned": False,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,
            "wantAssertionsEncrypted": False,
            "wantNameId": True,
            "wantAttributeStatement": False,
            "requestedAuthnContext": False,
            "rejectUnsolicitedResponsesWithInResponseTo": True,
            "allowRepeatAttributeName": True,
            "rejectDeprecatedAlgorithm": True,
            "signatureAlgorithm": OneLogin_Saml2_Constants.RSA_SHA256,
            "digestAlgorithm": OneLogin_Saml2_Constants.SHA256,
        },
    }
    return OneLogin_Saml2_Settings(data, sp_validation_only=True)


def sp_metadata(sp: ServiceProvider) -> str:
    """lxp's SP metadata for the provider's admin to register (entity id, ACS, wants signed
    assertions). Needs no provider metadata yet."""
    from onelogin.saml2.constants import OneLogin_Saml2_Constants  # lazy: see above
    from onelogin.saml2.settings import OneLogin_Saml2_Settings

    settings = OneLogin_Saml2_Settings({"strict": True, "sp": {
        "entityId": sp.entity_id,
        "assertionConsumerService": {"url": sp.acs_url, "binding": OneLogin_Saml2_Constants.BINDING_HTTP_POST},
        "NameIDFormat": OneLogin_Saml2_Constants.NAMEID_UNSPECIFIED}, "security": {"wantAssertionsSigned": True}},
        sp_validation_only=True)  # fmt: skip
    metadata = settings.get_sp_metadata()
    return metadata.decode() if isinstance(metadata, bytes) else metadata


def _request_data(acs_url: str, post: dict | None = None) -> dict:
    parts = urlsplit(acs_url)
    return {"https": "on" if parts.scheme == "https" else "off", "http_host": parts.netloc,
            "script_name": parts.path, "get_data": {}, "post_data": post or {}}  # fmt: skip


def start(sp: ServiceProvider, relay_state: str, login_hint: str | None = None) -> tuple[str, str]:
    """The provider's sign-in address with a fresh AuthnRequest, and that request's id. Raises
    ``Refused("provider_unreachable")`` when the provider's metadata is unusable."""
    from onelogin.saml2.auth import OneLogin_Saml2_Auth  # lazy: see above
    from onelogin.saml2.errors import OneLogin_Saml2_Error

    try:
        auth = OneLogin_Saml2_Auth(_request_data(sp.acs_url), _settings(sp))
        url = auth.login(return_to=relay_state, set_nameid_policy=False)
    except (ValueError, OneLogin_Saml2_Error) as error:
        raise Refused("provider_unreachable", f"SAML metadata: {error}") from None
    return url, auth.get_last_request_id()


def in_response_to(sp: ServiceProvider, saml_response: str) -> str | None:
    """The id of the request an answer names (before anything is trusted: only to find it)."""
    from onelogin.saml2.errors import OneLogin_Saml2_Error  # lazy: see above
    from onelogin.saml2.response import OneLogin_Saml2_Response

    try:
        base64.b64decode(saml_response, validate=True)
        return OneLogin_Saml2_Response(_settings(sp), saml_response).get_in_response_to()
    except (binascii.Error, ValueError, OneLogin_Saml2_Error) as error:
        raise Refused("bad_token", f"unreadable SAMLResponse: {error}") from None
    except Exception as error:  # noqa: BLE001 - lxml raises its own for a broken document
        raise Refused("bad_token", f"unreadable SAMLResponse: {type(error).__name__}: {error}") from None


def check(sp: ServiceProvider, saml_response: str, request_id: str) -> Assertion:
    """Check the provider's answer to the request ``request_id``. Raises ``Refused`` with the
    reason (``bad_signature``, ``wrong_audience``, ``expired``, ``bad_state``, ``wrong_issuer``,
    ``provider_said_no``, ``bad_token``)."""
    from onelogin.saml2.constants import OneLogin_Saml2_Constants  # lazy: see above
    from onelogin.saml2.errors import OneLogin_Saml2_ValidationError
    from onelogin.saml2.response import OneLogin_Saml2_Response

    OneLogin_Saml2_Constants.ALLOWED_CLOCK_DRIFT = sp.clock_skew  # the toolkit reads it from there
    try:
        settings = _settings(sp)
        response = OneLogin_Saml2_Response(settings, saml_response)
        response.is_valid(_request_data(sp.acs_url, {"SAMLResponse": saml_response}), request_id,
                          raise_exceptions=True)  # fmt: skip
        assertion_id = response.get_assertion_id()
        name_id = response.get_nameid()
        attributes = response.get_attributes()
        until = response.get_assertion_not_on_or_after()
    except OneLogin_Saml2_ValidationError as error:
        names = {getattr(OneLogin_Saml2_ValidationError, name): reason for name, reason in _REASONS.items()}
        raise Refused(names.get(error.code, "bad_token"), f"SAML: {error}") from None
    except Exception as error:  # noqa: BLE001 - lxml, xmlsec and the toolkit raise their own
        raise Refused("bad_token", f"SAML: {type(error).__name__}: {error}") from None
    if not assertion_id or not name_id:
        raise Refused("bad_token", "SAML: no assertion id or NameID")
    not_on_or_after = datetime.fromtimestamp(until, UTC) if until else datetime.now(UTC)
    return Assertion(idp_entity_id=settings.get_idp_data()["entityId"], name_id=name_id,
                     attributes={k: [str(v) for v in vs if v is not None] for k, vs in attributes.items()},
                     assertion_id=assertion_id, not_on_or_after=not_on_or_after)  # fmt: skip
