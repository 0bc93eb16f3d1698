"""Fingerprinted static names: one URL per content, and back to the file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from lxp.core.serving import Fingerprints

names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}(\.[a-z]{1,4})?", fullmatch=True)


@given(name=names, first=st.binary(max_size=200), second=st.binary(max_size=200))
def test_the_url_changes_exactly_when_the_content_does_and_leads_back_to_the_file(name, first, second):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "css" / name
        path.parent.mkdir()
        path.write_bytes(first)
        fingerprints = Fingerprints(folder, recheck_seconds=0)  # every call looks at the disk
        before = fingerprints.url_name(f"css/{name}")
        assert before != f"css/{name}" and before.startswith("css/")
        assert fingerprints.resolve(before) == (f"css/{name}", True)
        path.write_bytes(second)
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))  # a later edit
        after = fingerprints.url_name(f"css/{name}")
        assert (after == before) == (first == second)
        assert fingerprints.resolve(after) == (f"css/{name}", True)
        if after != before:
            assert fingerprints.resolve(before) == (f"css/{name}", False)  # outdated: never cached for good


def test_names_that_are_no_file_stay_as_they_are(tmp_path):
    fingerprints = Fingerprints(tmp_path)
    assert fingerprints.url_name("missing.css") == "missing.css"
    assert fingerprints.url_name("../outside.css") == "../outside.css"
    assert fingerprints.resolve("missing.0123456789ab.css") == ("missing.0123456789ab.css", False)


def test_an_edit_shows_once_the_recheck_time_has_passed(tmp_path):
    now = [100.0]
    path = tmp_path / "app.js"
    path.write_text("one")
    fingerprints = Fingerprints(tmp_path, recheck_seconds=1.0, clock=lambda: now[0])
    first = fingerprints.url_name("app.js")
    path.write_text("two, longer")
    now[0] += 0.5
    assert fingerprints.url_name("app.js") == first  # not looked at again within the second
    now[0] += 0.6
    second = fingerprints.url_name("app.js")
    assert second != first
    assert fingerprints.resolve(second) == ("app.js", True)
    path.unlink()
    now[0] += 1.1
    assert fingerprints.url_name("app.js") == "app.js"  # gone: the name stays as it is
