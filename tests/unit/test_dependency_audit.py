"""The dependency audit lets a package without vulnerability data pass only when nothing newer
can be installed, and says what holds it back."""

import importlib.util
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

_spec = importlib.util.spec_from_file_location(
    "audit_dependencies", Path(__file__).resolve().parents[2] / "scripts" / "audit_dependencies.py"
)
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)

RELEASES = [Version(v) for v in ("3.0.1", "2.5.1", "2.5.0", "2.4.0")]


def test_a_pin_behind_a_release_it_could_take_is_not_held_back():
    assert audit.holding_back(Version("2.5.0"), RELEASES, []) is None
    assert audit.holding_back(Version("2.5.0"), RELEASES, [("pysaml2", SpecifierSet("<3"))]) is None


def test_the_newest_release_a_dependant_allows_is_held_back_by_that_dependant():
    reason = audit.holding_back(Version("2.5.1"), RELEASES, [("pysaml2", SpecifierSet("<3,>=2"))])
    assert reason == "pysaml2 wants <3,>=2"


def test_the_newest_release_for_this_python_passes_with_that_said():
    releases_for_this_python = RELEASES[1:]  # pip leaves out 3.0.1, which wants a newer Python
    assert "another Python" in audit.holding_back(Version("2.5.1"), releases_for_this_python, [])


def test_a_version_the_index_does_not_list_is_never_held_back():
    assert audit.holding_back(Version("2.5.1"), [], []) is None
    assert audit.holding_back(Version("1.0"), RELEASES, [("x", SpecifierSet("<2"))]) is None
