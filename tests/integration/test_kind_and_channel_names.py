"""Adding an item kind or a delivery channel touches its own module and templates only: the rest
of lxp asks the registries for traits (``kinds.where("attended")``, ``channels.inbox()``) and
never names a kind or a channel. These tests walk the source tree and fail when a name turns up
where it should not, so a branch on a name cannot creep back unnoticed.

Left out of the walk: the tests, the demo (its courses are data that names kinds), the
translations, the documentation, the benchmarks' made-up data and the migrations (history,
written once: a users table has an ``email`` column). ``CONTRACTS`` lists the few
places where the same word is a name in a contract that must not change (stored events, API v1
fields) or means something else (a person's e-mail address); each entry must still be needed.
"""

import re
import sys
from pathlib import Path

import pytest

from lxp import channels
from lxp.authoring import kinds

ROOT = Path(__file__).resolve().parents[2]
WALKED = ("lxp", "templates", "static")
SKIPPED = ("lxp/demo/", "lxp/translations/")
SUFFIXES = {".py", ".html", ".txt", ".js"}

SESSION_EVENTS = "the object type of a scheduled session's events (stored, sent to the LRS), not the item kind"
ADDRESS = "a person's e-mail address, not the channel"
CONTRACTS = {
    ("live_session", "lxp/live/common.py"): SESSION_EVENTS,
    ("live_session", "lxp/live/registration.py"): SESSION_EVENTS,
    ("live_session", "lxp/live/scheduling.py"): SESSION_EVENTS,
    ("live_session", "lxp/lrs/statements.py"): SESSION_EVENTS,
    ("live_session", "lxp/nudges/rules.py"): SESSION_EVENTS,
    ("live_session", "lxp/nudges/triggers.py"): SESSION_EVENTS,
    ("quiz", "lxp/api/blocks.py"): "API v1: the mark of a quiz attempt in the progress answer",
    ("reflection", "lxp/api/blocks.py"): "API v1: the reflection text a progress event may carry",
    ("email", "lxp/accounts/csv_import.py"): ADDRESS,
    ("email", "lxp/accounts/forms.py"): ADDRESS,
    ("email", "lxp/accounts/organisations.py"): ADDRESS,
    ("email", "lxp/accounts/services.py"): ADDRESS,
    ("email", "lxp/accounts/views.py"): ADDRESS,
    ("email", "lxp/api/admin.py"): ADDRESS,
    ("email", "lxp/api/me.py"): ADDRESS,
    ("email", "lxp/managers/services.py"): ADDRESS,  # the reporting-lines CSV's column
    ("email", "lxp/paths/cli.py"): ADDRESS,
    ("email", "templates/_macros.html"): ADDRESS,  # a people field's box for addresses (type="email")
    # Company sign-in: the claim that carries a person's address, and the field it is typed in.
    ("email", "lxp/sso/forms.py"): ADDRESS,
    ("email", "lxp/sso/models.py"): ADDRESS,
    ("email", "lxp/sso/provisioning.py"): ADDRESS,
    ("email", "lxp/sso/saml_services.py"): ADDRESS,
    ("email", "lxp/sso/services.py"): ADDRESS,
    ("email", "lxp/sso/settings.py"): ADDRESS,
    # Synthetic learners' made-up figures per channel (open rates, shares), like the demo's data.
    ("email", "lxp/insights/synthetic.py"): "made-up figures of synthetic learners",
    ("in_app", "lxp/insights/synthetic.py"): "made-up figures of synthetic learners",
    ("webpush", "lxp/insights/synthetic.py"): "made-up figures of synthetic learners",
}


def _sources() -> dict[str, str]:
    found = {}
    for top in WALKED:
        for path in sorted((ROOT / top).rglob("*")):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_file() and path.suffix in SUFFIXES and not relative.startswith(SKIPPED):
                found[relative] = path.read_text(encoding="utf-8")
    return found


SOURCES = _sources()


def _module_file(cls) -> str:
    return Path(sys.modules[cls.__module__].__file__).resolve().relative_to(ROOT).as_posix()


def _own_files_of_kind(kind) -> set[str]:
    templates = {kind.player_template, kind.outside_template, kind.editor_template} - {None}
    return {_module_file(type(kind))} | {f"templates/{name}" for name in templates}


def _quoting(name: str) -> set[str]:
    """Files holding ``name`` as a string literal: "name" or 'name'."""
    quoted = re.compile(rf"""(["']){re.escape(name)}\1""")
    return {path for path, text in SOURCES.items() if quoted.search(text)}


def _importing_kind(name: str) -> set[str]:
    """Files importing the kind's module (``from lxp.authoring.kinds.quiz import …``)."""
    module = re.compile(rf"lxp\.authoring\.kinds\.{re.escape(name)}\b")
    return {path for path, text in SOURCES.items() if module.search(text)}


def _unexplained(name: str, found: set[str]) -> set[str]:
    return {path for path in found if (name, path) not in CONTRACTS}


@pytest.mark.parametrize("name", sorted(kinds.KINDS))
def test_no_file_branches_on_a_kind_name(name):
    """A kind's name as a string (``item.kind == "quiz"``) appears in its own module and
    templates only, and no other module imports the kind's module."""
    own = _own_files_of_kind(kinds.get(name))
    assert _unexplained(name, _quoting(name) - own) == set()
    assert _importing_kind(name) - own == set()


@pytest.mark.parametrize("name", sorted(channels.names()))
def test_no_file_branches_on_a_channel_name(name):
    """A channel's name as a string (``channel == "email"``) appears in its own module only."""
    own = {_module_file(channels.CHANNELS[name])}
    assert _unexplained(name, _quoting(name) - own) == set()


def test_the_checklist_kind_is_its_module_and_its_template():
    """The kind added to prove the registry is not mentioned anywhere else at all, not even in
    a comment: adding a kind is one module and its template."""
    kind = kinds.get("checklist")
    word = re.compile(r"\bchecklists?\b", re.IGNORECASE)
    mentioning = {path for path, text in SOURCES.items() if word.search(text)}
    assert (
        mentioning
        == _own_files_of_kind(kind)
        == {"lxp/authoring/kinds/checklist.py", "templates/blocks/checklist.html"}
    )


def test_every_contract_is_still_needed():
    """An entry of ``CONTRACTS`` whose file no longer holds the name is removed, so the list
    stays the exceptions it claims to be."""
    stale = {(name, path) for name, path in CONTRACTS if path not in _quoting(name)}
    assert stale == set()


def test_the_traits_the_rest_of_lxp_reads():
    """What the call sites rely on, read through the registries."""
    assert kinds.where("attended") == {"live_session"}
    assert kinds.where("coached") == {"coaching_checkpoint"}
    assert kinds.where("is_check") == {"quiz", "workplace_task"}
    assert kinds.where("reviewable") == kinds.where("counts_for_placement") == {"quiz"}
    assert kinds.where("shows_due_date") == {"workplace_task"}
    assert kinds.where("self_completed") == {"lesson", "job_aid", "reflection", "checklist"}
    assert kinds.get("checklist").questions({"checks": ["Greeted"]}) == []
    assert channels.names() == ("in_app", "email", "webpush") and channels.inbox() == "in_app"
    assert channels.where("tracks_opens") == ("email", "webpush")
    assert channels.default_channels(["reminder", "nudge"]) == {"reminder": ("in_app", "email"), "nudge": ("in_app",)}
