"""Reading an uploaded package zip safely: pure checks and a bounded extraction, no database.

A zip is refused before anything is written when a member's name could land outside the
package (absolute, ``..``, a drive letter, a NUL), when a member is a symbolic link, encrypted or
named twice, when it holds too many files, and when it claims to expand beyond the limits or by a
suspicious ratio (a zip bomb). The claimed sizes are not trusted: extraction counts the bytes it
really writes and stops at the same limits.
"""

from __future__ import annotations

import io
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask_babel import lazy_gettext as _l

from lxp.core.errors import Invalid

MB = 1024 * 1024
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """How large a package may be: the zip itself, what it expands to, how many files, and how
    many times larger than its compressed size a member or the whole may grow."""

    zip_bytes: int = 200 * MB
    total_bytes: int = 500 * MB
    files: int = 5000
    ratio: int = 100


@dataclass(frozen=True)
class Member:
    name: str  # the normalised relative path inside the package
    info: zipfile.ZipInfo


def member_name(raw: str) -> str:
    """The normalised relative path of a zip member. Raises ``Invalid`` for a name that could
    land outside the package: absolute, with ``..``, a drive letter or a NUL."""
    name = raw.replace("\\", "/")
    path = PurePosixPath(name)
    if (
        "\x00" in name
        or name.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or any(part == ".." for part in path.parts)
    ):
        raise Invalid(_l("The package holds a file outside its own folder (%(name)s).", name=raw[:200]),
                      field="package")  # fmt: skip
    return "/".join(part for part in path.parts if part not in ("", "."))


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def open_zip(data: bytes, limits: Limits = Limits()) -> tuple[zipfile.ZipFile, list[Member]]:
    """The zip in ``data`` and its file members, checked as the module says. Raises ``Invalid``."""
    if len(data) > limits.zip_bytes:
        raise Invalid(_l("The package is too large: at most %(limit)d MB.", limit=limits.zip_bytes // MB),
                      field="package")  # fmt: skip
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise Invalid(_l("This is not a zip file."), field="package") from None
    files = [info for info in infos if not info.is_dir()]
    if len(files) > limits.files:
        raise Invalid(_l("The package holds too many files: at most %(limit)d.", limit=limits.files),
                      field="package")  # fmt: skip
    members, seen, claimed = [], set(), 0
    for info in files:
        name = member_name(info.filename)
        if _is_symlink(info):
            raise Invalid(_l("The package holds a symbolic link (%(name)s); links are not allowed.", name=name),
                          field="package")  # fmt: skip
        if info.flag_bits & 0x1:
            raise Invalid(_l("The package holds an encrypted file (%(name)s).", name=name), field="package")
        if not name or name.lower() in seen:
            raise Invalid(_l("The package holds the same file twice (%(name)s).", name=name), field="package")
        seen.add(name.lower())
        claimed += info.file_size
        if info.file_size > limits.ratio * max(info.compress_size, 1) and info.file_size > MB:
            raise _bomb()
        members.append(Member(name, info))
    if claimed > limits.total_bytes:
        raise _too_large(limits)
    if claimed > limits.ratio * max(len(data), 1) and claimed > MB:
        raise _bomb()
    return archive, members


def _bomb() -> Invalid:
    return Invalid(_l("The package expands far more than a real package does (a zip bomb?), so it is refused."),
                   field="package")  # fmt: skip


def _too_large(limits: Limits) -> Invalid:
    return Invalid(_l("The package is too large when unpacked: at most %(limit)d MB.",
                      limit=limits.total_bytes // MB), field="package")  # fmt: skip


def read_member(archive: zipfile.ZipFile, member: Member, limit: int = MB) -> bytes:
    """A small member's bytes (a manifest), at most ``limit``. Raises ``Invalid``."""
    with archive.open(member.info) as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise Invalid(_l("The package's %(name)s is too large.", name=member.name), field="package")
    return data


def extract(archive: zipfile.ZipFile, members: list[Member], target: Path, limits: Limits = Limits()) -> None:
    """Write ``members`` under ``target`` (which must be new and empty), counting the bytes
    really written. Raises ``Invalid`` (and leaves the caller to remove ``target``) when they
    pass the limits whatever the zip claimed, or a member is corrupt."""
    written = 0
    for member in members:
        path = target.joinpath(*member.name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        member_written = 0
        try:
            with archive.open(member.info) as source, open(path, "wb") as sink:
                while chunk := source.read(CHUNK):
                    written += len(chunk)
                    member_written += len(chunk)
                    if written > limits.total_bytes:
                        raise _too_large(limits)
                    if member_written > max(member.info.file_size, limits.ratio * max(member.info.compress_size, 1)):
                        raise _bomb()
                    sink.write(chunk)
        except (zipfile.BadZipFile, EOFError, ValueError):
            raise Invalid(_l("The package's file %(name)s is damaged.", name=member.name), field="package") from None
