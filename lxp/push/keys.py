"""The VAPID key pair that signs every push (RFC 8292).

Configured through ``LXP_VAPID_PRIVATE_KEY``/``LXP_VAPID_PUBLIC_KEY``; without them a pair is
generated on first use into ``<instance>/vapid.json`` (mode 0600) and reused afterwards, like
the secret key. Browsers subscribe with the public key, so it must not change: a new key
means every phone has to subscribe again.

``cryptography`` and ``py_vapid`` are imported where a key is read: a web worker needs them only
when someone turns push on, and they are 9 MB of every worker otherwise (issue 20).
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec
    from py_vapid import Vapid

KEY_FILE = "vapid.json"
_EXTENSION = "lxp_vapid"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Raises ``ValueError`` (binascii.Error is one) for text that is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKeys:
    vapid: Vapid  # signs the JWT; py_vapid's RFC 8292 ``vapid t=…, k=…`` scheme
    public_key: str  # the application server key for ``PushManager.subscribe``, base64url
    subject: str  # mailto: or https: contact, the JWT's ``sub``


def _public_key_of(vapid: Vapid) -> str:
    from cryptography.hazmat.primitives import serialization

    point = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def _private_raw(private_key: ec.EllipticCurvePrivateKey) -> str:
    return b64url(private_key.private_numbers().private_value.to_bytes(32, "big"))


def _from_text(private_key: str) -> Vapid:
    """A Vapid from a PEM, or base64url raw (32 bytes) or DER key. Raises ``ValueError``."""
    from cryptography.hazmat.primitives import serialization
    from py_vapid import Vapid

    text = private_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            return Vapid(serialization.load_pem_private_key(text.encode(), password=None))
        return Vapid.from_string(text)
    except Exception as exc:  # py_vapid raises whatever cryptography or binascii raise
        raise ValueError(f"the VAPID private key could not be read: {exc}") from None


def _load_or_create(key_file: Path) -> Vapid:
    """Read the generated key, or generate it. Two processes starting together agree on one
    key: the file appears complete and at once (a hard link), or not at all."""
    if not key_file.exists():
        from py_vapid import Vapid

        vapid = Vapid()
        vapid.generate_keys()
        content = json.dumps({"private_key": _private_raw(vapid.private_key), "public_key": _public_key_of(vapid)})
        descriptor, temporary = tempfile.mkstemp(dir=key_file.parent, prefix=".vapid-")  # created 0600
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(content)
            os.link(temporary, key_file)
        except FileExistsError:
            pass  # another process was first; use its key
        finally:
            os.unlink(temporary)
    stored = json.loads(key_file.read_text())
    return _from_text(stored["private_key"])


_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def is_local_host(host: str | None) -> bool:
    """Whether ``host`` names this machine (``localhost``, ``*.localhost``, a loopback address):
    push services such as Apple's refuse a VAPID subject there."""
    host = (host or "").strip("[]").lower().rstrip(".")
    return not host or host in _LOCAL_HOSTS or host.endswith(".localhost")


def subject(config) -> str:
    """The VAPID ``sub`` claim: ``LXP_VAPID_SUBJECT``, else ``mailto:`` of ``LXP_MAIL_FROM``
    unless that is a local address, else the base URL's origin unless that is local, else the
    ``mailto:`` anyway (a development install; ``flask lxp check`` says so)."""
    if config.get("VAPID_SUBJECT"):
        return config["VAPID_SUBJECT"]
    address = parseaddr(config.get("MAIL_FROM") or "")[1]
    mailto = "mailto:" + (address or "no-reply@lxp.localhost")
    if address and not is_local_host(address.rpartition("@")[2]):
        return mailto
    base = urlsplit(config.get("BASE_URL") or "")
    if base.scheme == "https" and not is_local_host(base.hostname):
        return f"https://{base.netloc}"
    return mailto


def subject_host(value: str) -> str | None:
    """The host a VAPID subject names: a ``mailto:`` address's domain or a URL's host."""
    if value.startswith("mailto:"):
        return value[len("mailto:") :].rpartition("@")[2] or None
    return urlsplit(value).hostname


def vapid_keys() -> VapidKeys:
    """The app's VAPID keys, loaded once per app. Raises ``ValueError`` when the configured
    private key cannot be read or the configured public key does not belong to it."""
    app = current_app._get_current_object()
    keys = app.extensions.get(_EXTENSION)
    if keys is not None:
        return keys
    config = app.config
    if config.get("VAPID_PRIVATE_KEY"):
        vapid = _from_text(config["VAPID_PRIVATE_KEY"])
    else:
        vapid = _load_or_create(Path(app.instance_path) / KEY_FILE)
    public_key = _public_key_of(vapid)
    configured = config.get("VAPID_PUBLIC_KEY")
    if configured and configured.strip().rstrip("=") != public_key:
        raise ValueError("LXP_VAPID_PUBLIC_KEY does not belong to LXP_VAPID_PRIVATE_KEY")
    keys = VapidKeys(vapid=vapid, public_key=public_key, subject=subject(config))
    app.extensions[_EXTENSION] = keys
    return keys
