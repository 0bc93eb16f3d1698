"""Virus scanning of uploads by ClamAV's daemon (clamd), before anything is kept.

With ``LXP_CLAMD`` set, every upload lxp keeps (photos and files of evidence and coaching
messages through ``files.check_upload``, content packages through ``packages.store_package``)
is streamed to clamd (its ``INSTREAM`` command, through the ``clamav-client`` library) while
still in memory: an infected one is refused naming the file, and nothing is written. When
clamd cannot answer (down, too slow, the stream longer than its ``StreamMaxLength``), the
upload is refused too while ``LXP_CLAMD_REQUIRED`` is on (the default: fail closed); with it
off the upload is kept unscanned and a warning logged. Without ``LXP_CLAMD`` nothing is scanned.

``flask lxp check`` asks clamd for its version and signature count (``status``).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket, CommunicationError
from flask import current_app
from flask_babel import lazy_gettext as _l

from config import clamd_address
from lxp.core.errors import Invalid, Unavailable

log = logging.getLogger(__name__)


class ScannerUnreachable(Exception):
    """clamd did not give a verdict (not running, too slow, refused the stream)."""


class _Closing:
    """The client leaves its socket open when it cannot connect (ping, version): close it."""

    def _init_socket(self) -> None:
        try:
            super()._init_socket()
        except CommunicationError:
            opened = getattr(self, "clamd_socket", None)
            if opened is not None:
                opened.close()
            raise


class _UnixClient(_Closing, ClamdUnixSocket):
    pass


class _NetworkClient(_Closing, ClamdNetworkSocket):
    pass


@dataclass(frozen=True)
class Scanner:
    """How to reach clamd: a unix socket path, or a host and port."""

    address: str  # as configured, for messages
    timeout: float

    def client(self):
        kind, where = clamd_address(self.address)
        if kind == "unix":
            return _UnixClient(path=where, timeout=self.timeout)
        host, port = where
        return _NetworkClient(host=host, port=port, timeout=self.timeout)

    def scan(self, data: bytes) -> str | None:
        """The name of the signature ``data`` matches, or None when clean. Raises
        ``ScannerUnreachable`` when clamd gives no verdict."""
        try:
            results = self.client().instream(io.BytesIO(data))
        except (ClamdError, OSError, ValueError) as exc:  # OSError: clamd closed the stream early
            raise ScannerUnreachable(f"{self.address}: {type(exc).__name__}: {exc}") from exc
        status, reason = next(iter(results.values()), ("ERROR", "no answer"))
        if status == "FOUND":
            return reason or "unnamed"
        if status != "OK":
            raise ScannerUnreachable(f"{self.address}: {reason or status}")
        return None

    def version(self) -> str:
        """clamd's version line (engine/signatures/date). Raises ``ScannerUnreachable``."""
        try:
            client = self.client()
            if client.ping() != "PONG":
                raise ScannerUnreachable(f"{self.address}: no PONG")
            return client.version()
        except (ClamdError, OSError, ValueError) as exc:
            raise ScannerUnreachable(f"{self.address}: {type(exc).__name__}: {exc}") from exc


def configured() -> Scanner | None:
    """The configured scanner, or None when uploads are not scanned."""
    address = current_app.config.get("CLAMD")
    if not address:
        return None
    return Scanner(address, float(current_app.config.get("CLAMD_TIMEOUT", 30)))


def check_clean(name: str, data: bytes, field: str = "files") -> None:
    """Refuse ``data`` (shown as ``name``) unless clamd finds it clean; nothing when scanning
    is off. Raises ``Invalid`` naming the file when it carries a virus, ``Unavailable`` when
    clamd gives no verdict and scanning is required. Both are logged."""
    scanner = configured()
    if scanner is None:
        return
    try:
        signature = scanner.scan(data)
    except ScannerUnreachable as exc:
        if current_app.config.get("CLAMD_REQUIRED", True):
            log.error("upload %r refused: the virus scanner gave no verdict (%s)", name, exc)
            raise Unavailable(_l("\u201c%(name)s\u201d could not be checked for viruses just now, so it was not "
                                 "added. Please try again in a few minutes.", name=name), field=field) from exc  # fmt: skip
        log.warning("upload %r kept unscanned: the virus scanner gave no verdict (%s)", name, exc)
        return
    if signature is not None:
        log.warning("upload %r refused: clamd found %s", name, signature)
        raise Invalid(_l("\u201c%(name)s\u201d contains a virus or other malware (%(signature)s), so it was not "
                         "added.", name=name, signature=signature), field=field)  # fmt: skip
