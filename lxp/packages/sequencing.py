"""SCORM 2004 sequencing and navigation for a package played as one item: the subset that
authoring tools' multi-SCO packages use. Pure: the activity tree and the SCOs' progress in,
where to go and what the package as a whole says out.

- **Tree**: the package's SCOs in the organisation's order (clusters flattened), the
  organisation's control modes (``choice``, ``flow``, ``forwardOnly``) and its rollup.
- **Navigation** (``navigate``): ``start``, ``resume``, ``continue``, ``previous``,
  ``choice`` (``{target=ID}choice``), ``exit``, ``exitAll``, ``suspendAll``, ``abandon``,
  ``abandonAll``. ``continue`` needs flow and, past the last SCO, ends the package;
  ``previous`` needs flow and no forwardOnly; ``choice`` needs choice and, with
  forwardOnly, a target not before the current SCO. ``valid_requests`` answers
  ``adl.nav.request_valid.*`` with exactly the same rules.
- **Rollup** (``rollup``): completion and success of the package over its tracked SCOs, by the
  organisation's rules: ``all`` (every contributing SCO completed / satisfied) or ``any``. A SCO
  contributes unless it is untracked or excluded from that rollup; with no contributor at all,
  every SCO counts. Success is known once the rule fires: satisfied when all (any)
  contributors passed, not satisfied when one (all) failed and every contributor has a result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

RULES = ("all", "any")


@dataclass(frozen=True)
class Controls:
    """The organisation's ``<imsss:controlMode>``, with SCORM's defaults."""

    choice: bool = True
    flow: bool = False
    forward_only: bool = False


@dataclass(frozen=True)
class Tree:
    scos: tuple[str, ...]
    controls: Controls = Controls()
    completion: str = "all"  # how completion rolls up: "all" or "any" of the contributors
    satisfaction: str = "all"
    no_completion: frozenset[str] = field(default_factory=frozenset)  # SCOs outside the completion rollup
    no_satisfaction: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Progress:
    completed: bool = False
    success: bool | None = None


@dataclass(frozen=True)
class Outcome:
    """``deliver`` (play ``target``), ``stay`` (the SCO ended, the learner chooses next), ``leave``
    (suspended: back to the path, resumable), ``end`` (the package's attempt is over) or
    ``invalid`` (refused: nothing changes)."""

    action: str
    target: str | None = None


INVALID = Outcome("invalid")
_CHOICE = re.compile(r"^\{target=(?P<target>[^}]+)\}(?:choice|jump)$")


def parse(request: str) -> tuple[str, str | None]:
    """A navigation request as ``adl.nav.request`` writes it: (name, target)."""
    text = (request or "").strip()
    found = _CHOICE.match(text)
    if found:
        return "choice", found["target"]
    return (text or "_none_"), None


def navigate(tree: Tree, current: str | None, request: str) -> Outcome:
    """Where ``request`` leads from the SCO ``current`` (None: the package was never entered)."""
    name, target = parse(request)
    scos = tree.scos
    at = scos.index(current) if current in scos else None
    if name in ("start", "resume"):
        return Outcome("deliver", current if name == "resume" and at is not None else scos[0])
    if name == "continue":
        if at is None:
            return Outcome("deliver", scos[0])
        if not tree.controls.flow:
            return INVALID
        return Outcome("deliver", scos[at + 1]) if at + 1 < len(scos) else Outcome("end")
    if name == "previous":
        if at is None or not tree.controls.flow or tree.controls.forward_only or at == 0:
            return INVALID
        return Outcome("deliver", scos[at - 1])
    if name == "choice":
        if not tree.controls.choice or target not in scos:
            return INVALID
        if tree.controls.forward_only and at is not None and scos.index(target) < at:
            return INVALID
        return Outcome("deliver", target)
    if name in ("exitAll", "abandonAll"):
        return Outcome("end")
    if name == "suspendAll":
        return Outcome("leave")
    if name in ("exit", "abandon", "_none_"):
        return Outcome("stay", current)
    return INVALID


def valid_requests(tree: Tree, current: str | None) -> dict:
    """``adl.nav.request_valid``: ``continue`` and ``previous`` as "true"/"false", ``choice`` a
    map of SCO to "true"/"false", by the same rules as ``navigate``."""

    def valid(request: str) -> str:
        return "false" if navigate(tree, current, request) == INVALID else "true"

    return {
        "continue": valid("continue"),
        "previous": valid("previous"),
        "choice": {sco: valid(f"{{target={sco}}}choice") for sco in tree.scos},
    }


def _contributors(tree: Tree, excluded: frozenset[str]) -> tuple[str, ...]:
    counted = tuple(s for s in tree.scos if s not in excluded)
    return counted or tree.scos


def rollup(tree: Tree, progress: Mapping[str, Progress]) -> Progress:
    """The package's completion and success from its SCOs' ``progress`` (missing: not attempted)."""
    blank = Progress()
    done = [progress.get(s, blank).completed for s in _contributors(tree, tree.no_completion)]
    completed = all(done) if tree.completion == "all" else any(done)
    results = [progress.get(s, blank).success for s in _contributors(tree, tree.no_satisfaction)]
    success = None
    if tree.satisfaction == "all":
        if all(r is True for r in results):
            success = True
        elif None not in results and False in results:
            success = False
    elif any(r is True for r in results):
        success = True
    elif all(r is False for r in results):
        success = False
    return Progress(completed or success is not None, success)


def tree_of(scos: list[dict], settings: dict) -> Tree:
    """The tree of an item's content: its ``scos`` and ``sequencing`` as the import wrote them."""
    return Tree(
        scos=tuple(s["identifier"] for s in scos),
        controls=Controls(bool(settings.get("choice", True)), bool(settings.get("flow", False)),
                          bool(settings.get("forward_only", False))),
        completion=settings.get("completion", "all") if settings.get("completion") in RULES else "all",
        satisfaction=settings.get("satisfaction", "all") if settings.get("satisfaction") in RULES else "all",
        no_completion=frozenset(settings.get("no_completion") or ()),
        no_satisfaction=frozenset(settings.get("no_satisfaction") or ()),
    )  # fmt: skip
