"""A real ClamAV daemon (Debian's ``clamav-daemon``) for the tests, started on a unix socket and a
loopback port with a signature database the fixture writes itself: freshclam cannot download
here, and the tests need only one signature, for the EICAR test string (the anti-virus test
file every scanner knows; harmless). Without clamd the tests skip, and in CI (``CI=true``) fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from lxp.files.scanning import Scanner, ScannerUnreachable
from tests.integration.served import free_port, stop

# Built from two halves so that this file is not itself flagged by a scanner of the repository.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-" + b"STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Lxp.Test.EICAR"


@dataclass(frozen=True)
class Clamd:
    socket: Path
    port: int
    log: Path

    @property
    def unix_address(self) -> str:
        return f"unix:{self.socket}"

    @property
    def tcp_address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def found(self) -> str:
        """The name clamd reports for the test signature (it marks ours ``UNOFFICIAL``)."""
        return f"{SIGNATURE}.UNOFFICIAL"


def _clamd_binary() -> str | None:
    return shutil.which("clamd") or next((p for p in ("/usr/sbin/clamd",) if os.access(p, os.X_OK)), None)


@pytest.fixture(scope="session")
def clamd(tmp_path_factory):
    """A running clamd knowing only the EICAR signature: its unix socket and TCP port."""
    binary = _clamd_binary()
    if binary is None:
        message = "needs Debian's clamav-daemon (apt-get install clamav-daemon; .ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("clamd")
    database = folder / "db"
    database.mkdir()
    # An extended (.ndb) signature: the EICAR bytes anywhere in any file, archives included.
    (database / "lxp-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
    running = Clamd(socket=folder / "clamd.sock", port=free_port(), log=folder / "clamd.log")
    config = folder / "clamd.conf"
    config.write_text(
        "Foreground yes\n"
        f"DatabaseDirectory {database}\n"
        f"LocalSocket {running.socket}\n"
        f"TCPSocket {running.port}\n"
        "TCPAddr 127.0.0.1\n"
        f"LogFile {running.log}\n"
        # A stream longer than this is refused by clamd (the app then fails closed).
        "StreamMaxLength 2M\n"
    )
    with (folder / "clamd.out").open("wb") as out:
        process = subprocess.Popen([binary, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(running, process, folder)
        yield running
    finally:
        stop(process)


def _wait_for(running: Clamd, process: subprocess.Popen, folder: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"clamd exited with {process.returncode}: {(folder / 'clamd.out').read_text()}")
        try:
            Scanner(running.unix_address, 5).version()
            return
        except ScannerUnreachable:
            pass
        time.sleep(0.1)
    raise AssertionError("clamd did not answer within 60 s")
