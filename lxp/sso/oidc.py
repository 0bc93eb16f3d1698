"""OpenID Connect, the relying party's side, with Authlib: discovery, the authorization code
flow with PKCE, and the ID token's checks (signature through the provider's JWKS, issuer,
audience, expiry, nonce).

No database and no Flask session here (``Refused`` carries its message lazily): the caller keeps the ``Pending`` sign-in between the
two legs and turns ``Refused`` into a message. Every call to the provider has a time-out, goes
only to public addresses unless ``SSO_ALLOW_PRIVATE`` (as for the LRS: an admin types the
issuer, so it must not point the server at its own network) and never through an
environment proxy.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from lxp.lrs.addresses import RefusedAddress, resolve
from lxp.sso.refusals import Refused

if TYPE_CHECKING:
    import requests
    from authlib.integrations.requests_client import OAuth2Session
    from joserfc.jwk import KeySet

# Authlib, joserfc and requests (about 25 MB with what they pull in) are imported inside the
# functions below: only company sign-in needs them, so a web worker that serves none never holds them.

log = logging.getLogger(__name__)

SCOPES = "openid email profile"
TIMEOUT_SECONDS = 10
LEEWAY_SECONDS = 60  # clock skew between lxp and the provider
PENDING_SECONDS = 600  # how long a started sign-in may take at the provider
_METADATA_SECONDS = 3600
_metadata_cache: dict[str, tuple[float, dict]] = {}


@dataclass(frozen=True)
class Client:
    """What lxp is at one provider: the issuer it trusts and its registration there."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    allow_private: bool = False


@dataclass(frozen=True)
class Pending:
    """A started sign-in, kept by the browser's session until the provider sends it back."""

    state: str
    nonce: str
    code_verifier: str
    started_at: float

    def as_dict(self) -> dict:
        return {"state": self.state, "nonce": self.nonce, "code_verifier": self.code_verifier,
                "started_at": self.started_at}  # fmt: skip

    @classmethod
    def from_dict(cls, data) -> Pending | None:
        try:
            return cls(str(data["state"]), str(data["nonce"]), str(data["code_verifier"]), float(data["started_at"]))
        except (KeyError, TypeError, ValueError):
            return None


def _http() -> requests.Session:
    import requests  # lazy: see above

    session = requests.Session()
    session.trust_env = False  # no proxy or netrc from the environment
    return session


def _check_address(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Refused("provider_unreachable", f"not a web address: {url}")
    if parts.scheme == "http" and not allow_private:
        raise Refused("provider_unreachable", f"not https: {url}")
    try:
        resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allow_private=allow_private)
    except RefusedAddress as refused:
        raise Refused("provider_unreachable", str(refused)) from None
    except OSError as error:
        raise Refused("provider_unreachable", f"{parts.hostname}: {error}") from None


def _get_json(client: Client, url: str) -> dict:
    import requests  # lazy: see above

    _check_address(url, client.allow_private)
    try:
        with _http() as http:
            response = http.get(url, timeout=TIMEOUT_SECONDS, allow_redirects=False)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise Refused("provider_unreachable", f"{url}: {error}") from None
    if not isinstance(data, dict):
        raise Refused("provider_unreachable", f"{url}: not a JSON object")
    return data


def discover(client: Client, *, fresh: bool = False) -> dict:
    """The provider's metadata (OpenID Connect Discovery), checked with Authlib and cached for
    an hour. The issuer it names must be the configured one, character for character. Raises
    ``Refused("provider_unreachable")`` or ``Refused("wrong_issuer")``."""
    from authlib.oidc.discovery import OpenIDProviderMetadata, get_well_known_url  # lazy: see above

    cached = _metadata_cache.get(client.issuer)
    if cached is not None and not fresh and time.monotonic() - cached[0] < _METADATA_SECONDS:
        return cached[1]
    data = _get_json(client, get_well_known_url(client.issuer, external=True))
    if data.get("issuer") != client.issuer:
        raise Refused("wrong_issuer", f"the provider calls itself {data.get('issuer')!r}")
    metadata = OpenIDProviderMetadata(data)
    try:
        metadata.validate()
    except ValueError as error:
        raise Refused("provider_unreachable", f"its metadata: {error}") from None
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not data.get(key):
            raise Refused("provider_unreachable", f"its metadata has no {key}")
    _metadata_cache[client.issuer] = (time.monotonic(), data)
    return data


def _oauth(client: Client) -> OAuth2Session:
    from authlib.integrations.requests_client import OAuth2Session  # lazy: see above

    session = OAuth2Session(client.client_id, client.client_secret, scope=SCOPES, redirect_uri=client.redirect_uri,
                            code_challenge_method="S256")  # fmt: skip
    session.trust_env = False
    return session


def start(client: Client, login_hint: str | None = None) -> tuple[str, Pending]:
    """The provider's authorization address to send the browser to (code flow, PKCE S256, a
    fresh state and nonce), and what to keep until it comes back."""
    from authlib.common.security import generate_token  # lazy: see above

    metadata = discover(client)
    pending = Pending(generate_token(32), generate_token(32), generate_token(64), time.time())
    extra = {"nonce": pending.nonce}
    if login_hint:
        extra["login_hint"] = login_hint
    with _oauth(client) as oauth:
        url, _state = oauth.create_authorization_url(
            metadata["authorization_endpoint"], state=pending.state, code_verifier=pending.code_verifier, **extra
        )
    return url, pending


def finish(client: Client, pending: Pending | None, answer: dict) -> tuple[dict, str]:
    """Check the provider's answer (the callback's query) against the pending sign-in, redeem
    the code, validate the ID token and return the person's claims (the ID token's, completed
    by the userinfo endpoint's for the same subject) and the ID token itself (the hint for
    signing out at the provider).

    Raises ``Refused`` with the reason: ``bad_state`` (not started here, already used, or too
    old), ``provider_said_no``, ``token_failed``, ``bad_signature``, ``wrong_issuer``,
    ``wrong_audience``, ``expired``, ``bad_nonce``, ``bad_token``, ``provider_unreachable``."""
    import requests  # lazy: see above
    from authlib.oauth2.rfc6749.errors import OAuth2Error

    state = answer.get("state") or ""
    if pending is None or not hmac.compare_digest(state.encode(), pending.state.encode()):
        raise Refused("bad_state", "the state does not match a sign-in started in this browser")
    if time.time() - pending.started_at > PENDING_SECONDS:
        raise Refused("bad_state", "the sign-in was started too long ago")
    if answer.get("error"):
        raise Refused("provider_said_no", f"{answer.get('error')}: {answer.get('error_description', '')}")
    if answer.get("iss") and answer["iss"] != client.issuer:  # RFC 9207, when the provider sends it
        raise Refused("wrong_issuer", f"the answer names {answer['iss']!r}")
    code = answer.get("code")
    if not code:
        raise Refused("token_failed", "no code in the answer")
    metadata = discover(client)
    _check_address(metadata["token_endpoint"], client.allow_private)
    try:
        with _oauth(client) as oauth:
            token = oauth.fetch_token(metadata["token_endpoint"], code=code, code_verifier=pending.code_verifier,
                                      timeout=TIMEOUT_SECONDS)  # fmt: skip
    except OAuth2Error as error:
        raise Refused("token_failed", f"{error.error}: {error.description or ''}") from None
    except requests.RequestException as error:
        raise Refused("provider_unreachable", str(error)) from None
    if not token.get("id_token"):
        raise Refused("bad_token", "the token response has no ID token")
    claims = validate_id_token(client, metadata, token, pending.nonce)
    if metadata.get("userinfo_endpoint") and token.get("access_token"):
        claims = {**_userinfo(client, metadata, token["access_token"], claims["sub"]), **claims}
    return claims, token["id_token"]


def end_session_url(client: Client, id_token: str | None, after: str) -> str | None:
    """The provider's address that ends the person's session there too (OpenID Connect
    RP-Initiated Logout 1.0), coming back to ``after``; None when the provider offers none or
    cannot be read now (signing out of lxp never waits on the provider)."""
    try:
        endpoint = discover(client).get("end_session_endpoint")
    except Refused:
        return None
    scheme = urlsplit(endpoint).scheme if isinstance(endpoint, str) else ""
    if scheme != "https" and not (scheme == "http" and client.allow_private):
        return None  # the browser goes there, lxp does not: only the scheme needs checking
    query = {"client_id": client.client_id, "post_logout_redirect_uri": after}
    if id_token:
        query["id_token_hint"] = id_token
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(query)


def _key_set(client: Client, metadata: dict, fresh: bool) -> KeySet:
    from joserfc.errors import JoseError  # lazy: see above
    from joserfc.jwk import KeySet

    cached = metadata.get("_jwks")
    if cached is None or fresh:
        cached = _get_json(client, metadata["jwks_uri"])
        metadata["_jwks"] = cached
    try:
        return KeySet.import_key_set(cached)
    except (JoseError, ValueError, TypeError) as error:
        raise Refused("bad_signature", f"the provider's keys cannot be read: {error}") from None


def validate_id_token(client: Client, metadata: dict, token: dict, nonce: str) -> dict:
    """The ID token's claims after every check OpenID Connect Core 3.1.3.7 asks of a confidential
    client, done by joserfc (signature) and Authlib's ``CodeIDToken`` (claims), with lxp's
    client id as the one audience required. Raises ``Refused``."""
    from authlib.oidc.core import CodeIDToken  # lazy: see above
    from joserfc import jwt
    from joserfc.errors import (
        BadSignatureError,
        ExpiredTokenError,
        InvalidClaimError,
        InvalidKeyIdError,
        JoseError,
        MissingClaimError,
    )
    from joserfc.jws import JWSRegistry

    algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    registry = JWSRegistry(algorithms=[alg for alg in algorithms if alg != "none"], strict_check_header=False)
    try:
        try:
            decoded = jwt.decode(token["id_token"], _key_set(client, metadata, fresh=False), registry=registry)
        except InvalidKeyIdError:  # the provider rolled its keys over since we fetched them
            decoded = jwt.decode(token["id_token"], _key_set(client, metadata, fresh=True), registry=registry)
    except (BadSignatureError, InvalidKeyIdError) as error:
        raise Refused("bad_signature", str(error)) from None
    except (JoseError, ValueError) as error:
        raise Refused("bad_token", str(error)) from None
    options = {
        "iss": {"essential": True, "value": client.issuer},
        "aud": {"essential": True, "value": client.client_id},
    }
    params = {"nonce": nonce, "client_id": client.client_id, "access_token": token.get("access_token")}
    claims = CodeIDToken(decoded.claims, decoded.header, options, params)
    try:
        claims.validate(now=int(time.time()), leeway=LEEWAY_SECONDS)
    except ExpiredTokenError:
        raise Refused("expired", f"exp {claims.get('exp')}") from None
    except (InvalidClaimError, MissingClaimError) as error:
        reason = {"iss": "wrong_issuer", "aud": "wrong_audience", "azp": "wrong_audience", "nonce": "bad_nonce"}
        raise Refused(reason.get(error.claim, "bad_token"), str(error)) from None
    except JoseError as error:
        raise Refused("bad_token", str(error)) from None
    return dict(claims)


def _userinfo(client: Client, metadata: dict, access_token: str, subject: str) -> dict:
    import requests  # lazy: see above

    url = metadata["userinfo_endpoint"]
    _check_address(url, client.allow_private)
    try:
        with _http() as http:
            response = http.get(url, headers={"Authorization": f"Bearer {access_token}"}, timeout=TIMEOUT_SECONDS,
                                allow_redirects=False)  # fmt: skip
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        log.warning("userinfo of %s failed, going on with the ID token's claims: %s", client.issuer, error)
        return {}
    # OpenID Connect Core 5.3.2: the userinfo's sub must be the ID token's, or it is ignored.
    if not isinstance(data, dict) or data.get("sub") != subject:
        log.warning("userinfo of %s is for another subject; ignored", client.issuer)
        return {}
    return data
