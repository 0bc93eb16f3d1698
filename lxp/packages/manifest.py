"""What a package says about itself: ``imsmanifest.xml`` (SCORM 1.2, 2004 3rd and 4th edition)
or ``cmi5.xml`` (cmi5), read into plain data. Pure: bytes and file names in, ``Description`` out.

Every refusal is an ``Invalid`` with a message an admin can act on: no manifest, XML that does not
parse or declares entities, an unknown schema version, no launchable unit, a launch file that is
missing or lies outside the package.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused
from flask_babel import lazy_gettext as _l

from lxp.core.errors import Invalid

SCORM_MANIFEST = "imsmanifest.xml"
CMI5_MANIFEST = "cmi5.xml"

SCORM_12 = "scorm_1.2"
SCORM_2004_3 = "scorm_2004_3"
SCORM_2004_4 = "scorm_2004_4"
CMI5 = "cmi5"
STANDARDS = (SCORM_12, SCORM_2004_3, SCORM_2004_4, CMI5)

# <schemaversion> as the editions write it.
_SCHEMA_VERSIONS = {
    "1.2": SCORM_12,
    "2004 3rd edition": SCORM_2004_3,
    "2004 4th edition": SCORM_2004_4,
}
_CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
MOVE_ON = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
TITLE_LIMIT = 200


@dataclass(frozen=True)
class Block:
    """A cmi5 block (13.1.2): the publisher's id and its title."""

    identifier: str
    title: str


@dataclass(frozen=True)
class Unit:
    """One launchable unit: a SCO (SCORM) or an AU (cmi5)."""

    identifier: str
    title: str
    launch: str  # relative to the package root, with the item's parameters appended
    pass_mark: int | None = None  # percent: SCORM 1.2 masteryscore, 2004 minNormalizedMeasure, cmi5 masteryScore
    move_on: str | None = None  # cmi5 only
    blocks: tuple[Block, ...] = ()  # cmi5 only: the blocks the AU sits in, outermost first


@dataclass(frozen=True)
class Description:
    standard: str
    title: str
    units: tuple[Unit, ...] = field(default_factory=tuple)
    course_id: str | None = None  # cmi5 only: the publisher's course id
    sequencing: dict | None = None  # SCORM 2004 with several SCOs: see ``read_sequencing``


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element, name: str):
    return [child for child in element if _local(child.tag) == name]


def _child(element, name: str):
    found = _children(element, name)
    return found[0] if found else None


def _text(element, name: str) -> str:
    found = _child(element, name) if element is not None else None
    return " ".join((found.text or "").split()) if found is not None else ""


def _attribute(element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if _local(key).lower() == name.lower():
            return value
    return None


def parse_xml(data: bytes, name: str):
    """The root element. Raises ``Invalid`` for XML that does not parse or that declares a
    document type (entities could expand without bound or reach outside the package)."""
    try:
        return defused.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise Invalid(_l("%(name)s declares a document type or entities, which packages never need.", name=name),
                      field="package") from None  # fmt: skip
    except ET.ParseError as error:
        raise Invalid(_l("%(name)s is not well-formed XML (%(error)s).", name=name, error=str(error)),
                      field="package") from None  # fmt: skip


def _inside(href: str, base: str, files: frozenset[str], name: str) -> str:
    """``href`` (relative to ``base``) as a path inside the package, with its query kept.
    Raises ``Invalid`` when it points outside the package or at a file the package lacks."""
    parts = urlsplit(href.strip())
    if parts.scheme or parts.netloc or href.strip().startswith(("/", "\\")):
        raise Invalid(_l("%(name)s points outside the package (%(href)s).", name=name, href=href[:200]),
                      field="package")  # fmt: skip
    joined = posixpath.normpath(posixpath.join(base, parts.path)) if parts.path else ""
    if not joined or joined.startswith("../") or joined == ".." or joined.startswith("/"):
        raise Invalid(_l("%(name)s points outside the package (%(href)s).", name=name, href=href[:200]),
                      field="package")  # fmt: skip
    if joined not in files:
        raise Invalid(_l("The launch file %(file)s named in %(name)s is not in the package.", file=joined, name=name),
                      field="package")  # fmt: skip
    return joined + (f"?{parts.query}" if parts.query else "")


def _with_parameters(launch: str, parameters: str | None) -> str:
    """SCORM item ``parameters`` appended to the launch address (IMS CP: a leading ``?`` or ``&``
    is dropped, a ``#`` fragment kept as it is)."""
    parameters = (parameters or "").strip()
    if not parameters:
        return launch
    if parameters.startswith("#"):
        return launch + parameters
    parameters = parameters.lstrip("?&")
    return f"{launch}{'&' if '?' in launch else '?'}{parameters}"


def _title(text: str, fallback: str) -> str:
    return (text or fallback)[:TITLE_LIMIT]


def _percent(value: str | None, scaled: bool) -> int | None:
    try:
        number = float(value) * (100 if scaled else 1) if value not in (None, "") else None
    except ValueError:
        return None
    return None if number is None or not 0 < number <= 100 else round(number)


def read_scorm(data: bytes, files: frozenset[str]) -> Description:
    """The SCOs of an ``imsmanifest.xml`` in the default organisation, in order. Raises ``Invalid``."""
    root = parse_xml(data, SCORM_MANIFEST)
    if _local(root.tag) != "manifest":
        raise Invalid(_l("imsmanifest.xml has no <manifest> element."), field="package")
    version = _text(_child(root, "metadata"), "schemaversion")
    standard = _SCHEMA_VERSIONS.get(version.lower())
    if standard is None:
        raise Invalid(_l("The package's schema version \u201c%(version)s\u201d is not one lxp plays "
                         "(SCORM 1.2, 2004 3rd or 4th edition).", version=version[:60] or "—"),
                      field="package")  # fmt: skip
    resources_element = _child(root, "resources")
    resources_base = _attribute(resources_element, "base") or "" if resources_element is not None else ""
    resources = {}
    for resource in _children(resources_element, "resource") if resources_element is not None else []:
        resources[resource.get("identifier")] = resource
    organizations = _child(root, "organizations")
    chosen = None
    if organizations is not None:
        all_organizations = _children(organizations, "organization")
        default = organizations.get("default")
        chosen = next((o for o in all_organizations if o.get("identifier") == default), None)
        chosen = chosen if chosen is not None else (all_organizations[0] if all_organizations else None)
    units: list[Unit] = []

    def walk(element) -> None:
        for item in _children(element, "item"):
            resource = resources.get(item.get("identifierref"))
            scorm_type = (_attribute(resource, "scormtype") or "").lower() if resource is not None else ""
            if resource is not None and scorm_type == "sco":
                href = resource.get("href")
                if not href:
                    raise Invalid(_l("The unit %(id)s has no launch file.", id=item.get("identifier") or "?"),
                                  field="package")  # fmt: skip
                base = posixpath.join(resources_base, _attribute(resource, "base") or "")
                launch = _with_parameters(_inside(href, base, files, SCORM_MANIFEST), item.get("parameters"))
                units.append(Unit(
                    identifier=(item.get("identifier") or resource.get("identifier") or f"sco-{len(units) + 1}")[:64],
                    title=_title(_text(item, "title"), resource.get("identifier") or ""),
                    launch=launch, pass_mark=_pass_mark(item, standard),
                ))  # fmt: skip
            walk(item)

    if chosen is not None:
        walk(chosen)
    if not units:
        raise Invalid(_l("The package has no unit a learner can launch (no SCO in its organisation)."),
                      field="package")  # fmt: skip
    title = _title(_text(chosen, "title") if chosen is not None else "", units[0].title)
    sequencing = None
    if standard != SCORM_12 and len(units) > 1:
        sequencing = read_sequencing(root, chosen, [u.identifier for u in units])
    return Description(standard, title, tuple(units), sequencing=sequencing)


# What lxp's sequencing (``lxp.packages.sequencing``) does not play; named to the admin at import.
_UNSUPPORTED = ("sequencingRules", "limitConditions", "randomizationControls", "auxiliaryResources",
                "constrainedChoiceConsiderations", "rollupConsiderations", "mapInfo", "selectionRandomization")  # fmt: skip
_TRUE = ("true", "1")


def _flag(element, name: str, default: bool) -> bool:
    value = element.get(name) if element is not None else None
    return default if value is None else value.strip().lower() in _TRUE


def read_sequencing(root, organisation, scos: list[str]) -> dict:
    """The organisation's ``<imsss:sequencing>`` as lxp plays it: control modes, the completion
    and satisfaction rollup (``all``/``any`` of the contributing SCOs), the SCOs left out of
    each, and ``unsupported``: what the manifest asks for that lxp does not do (sorted names)."""
    collection = {}
    for holder in _children(root, "sequencingCollection"):
        for sequencing in _children(holder, "sequencing"):
            collection[sequencing.get("ID")] = sequencing
    unsupported: set[str] = set()

    def sequencing_of(element):
        found = _child(element, "sequencing")
        if found is not None and found.get("IDRef") in collection:
            found = collection[found.get("IDRef")]
        return found

    def scan(sequencing) -> None:
        for element in sequencing.iter():
            if _local(element.tag) in _UNSUPPORTED:
                unsupported.add(_local(element.tag))

    result = {"choice": True, "flow": False, "forward_only": False, "completion": "all", "satisfaction": "all",
              "no_completion": [], "no_satisfaction": []}  # fmt: skip
    top = sequencing_of(organisation) if organisation is not None else None
    if top is not None:
        scan(top)
        mode = _child(top, "controlMode")
        result["choice"] = _flag(mode, "choice", True)
        result["flow"] = _flag(mode, "flow", False)
        result["forward_only"] = _flag(mode, "forwardOnly", False)
        if not _flag(mode, "choiceExit", True):
            unsupported.add("choiceExit")
        for rule in (
            _children(_child(top, "rollupRules"), "rollupRule") if _child(top, "rollupRules") is not None else []
        ):
            shape = _rollup_shape(rule)
            if shape is None:
                unsupported.add("rollupRule")
            elif shape[0] is not None:
                result[shape[0]] = shape[1]
    by_id = {}

    def walk(element, depth: int) -> None:
        for item in _children(element, "item"):
            by_id[item.get("identifier")] = item
            sequencing = sequencing_of(item)
            if sequencing is not None:
                scan(sequencing)
                if _children(item, "item") and _child(sequencing, "controlMode") is not None:
                    unsupported.add("controlMode")  # a cluster's own modes: the organisation's apply
            walk(item, depth + 1)

    walk(organisation, 0) if organisation is not None else None
    for sco in scos:
        sequencing = sequencing_of(by_id[sco]) if sco in by_id else None
        if sequencing is None:
            continue
        rules = _child(sequencing, "rollupRules")
        tracked = _flag(_child(sequencing, "deliveryControls"), "tracked", True)
        if not tracked or not _flag(rules, "rollupProgressCompletion", True):
            result["no_completion"].append(sco)
        if not tracked or not _flag(rules, "rollupObjectiveSatisfied", True):
            result["no_satisfaction"].append(sco)
    result["unsupported"] = sorted(unsupported)
    return result


def _rollup_shape(rule) -> tuple[str | None, str] | None:
    """A rollup rule as (``completion``/``satisfaction``, ``all``/``any``); (None, "") for a rule
    that says what lxp's rollup does anyway; None for one lxp cannot play."""
    child_set = (rule.get("childActivitySet") or "all").strip()
    action = _child(rule, "rollupAction")
    action = (action.get("action") or "") if action is not None else ""
    conditions = _child(rule, "rollupConditions")
    found = [(c.get("condition") or "", (c.get("operator") or "noOp")) for c in _children(conditions, "rollupCondition")] \
        if conditions is not None else []  # fmt: skip
    if len(found) != 1 or child_set not in ("all", "any"):
        return None
    condition, operator = found[0]
    if operator == "noOp" and (condition, action) == ("completed", "completed"):
        return "completion", child_set
    if operator == "noOp" and (condition, action) == ("satisfied", "satisfied"):
        return "satisfaction", child_set
    if operator == "not" and (condition, action) in (("completed", "incomplete"), ("satisfied", "notSatisfied")):
        return None, ""  # the other side of the same rule
    return None


def _pass_mark(item, standard: str) -> int | None:
    if standard == SCORM_12:
        return _percent(_text(item, "masteryscore"), scaled=False)
    for sequencing in _children(item, "sequencing"):
        for objectives in _children(sequencing, "objectives"):
            primary = _child(objectives, "primaryObjective")
            if primary is not None and (primary.get("satisfiedByMeasure") or "").lower() == "true":
                return _percent(_text(primary, "minNormalizedMeasure"), scaled=True)
    return None


def _iri(identifier: str, message) -> str:
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", identifier):
        raise Invalid(message, field="package")
    return identifier[:500]


def read_cmi5(data: bytes, files: frozenset[str]) -> Description:
    """The AUs of a ``cmi5.xml`` in order, each with the blocks it sits in (nested blocks kept as
    the chain from the outermost), and the course's id. Refuses AUs hosted elsewhere: lxp plays
    only what it stores. Raises ``Invalid``."""
    root = parse_xml(data, CMI5_MANIFEST)
    if _local(root.tag) != "courseStructure" or not root.tag.startswith("{" + _CMI5_NS):
        raise Invalid(_l("cmi5.xml is not a cmi5 course structure."), field="package")
    course = _child(root, "course")
    units: list[Unit] = []

    def walk(element, blocks: tuple[Block, ...]) -> None:
        for child in element:
            if _local(child.tag) == "block":
                block_id = _iri(child.get("id") or "", _l("A block of cmi5.xml has no IRI as its id."))
                block = Block(block_id, _title(_text(_child(child, "title"), "langstring"), block_id))
                walk(child, (*blocks, block))
                if not any(block in unit.blocks for unit in units):
                    raise Invalid(_l("The block %(id)s of cmi5.xml holds no AU.", id=block_id[:100]), field="package")
            elif _local(child.tag) == "au":
                identifier = _iri(child.get("id") or "", _l("An AU of cmi5.xml has no IRI as its id."))
                move_on = child.get("moveOn") or "NotApplicable"
                if move_on not in MOVE_ON:
                    raise Invalid(_l("The AU %(id)s has an unknown moveOn value.", id=identifier[:100]),
                                  field="package")  # fmt: skip
                url = _text(child, "url")
                if not url:
                    raise Invalid(_l("The unit %(id)s has no launch file.", id=identifier[:100]), field="package")
                units.append(Unit(
                    identifier=identifier, title=_title(_text(_child(child, "title"), "langstring"), identifier),
                    launch=_inside(url, "", files, CMI5_MANIFEST), move_on=move_on,
                    pass_mark=_percent(child.get("masteryScore"), scaled=True), blocks=blocks,
                ))  # fmt: skip

    walk(root, ())
    if not units:
        raise Invalid(_l("The package has no unit a learner can launch (no AU in cmi5.xml)."), field="package")
    title = _title(_text(_child(course, "title"), "langstring") if course is not None else "", units[0].title)
    course_id = (course.get("id") or None) if course is not None else None
    return Description(CMI5, title, tuple(units), course_id=course_id[:500] if course_id else None)


def describe(read, files: frozenset[str]) -> Description:
    """The package's description; ``read(name)`` gives a manifest's bytes. Raises ``Invalid`` when
    it has neither manifest at its root."""
    if SCORM_MANIFEST in files:
        return read_scorm(read(SCORM_MANIFEST), files)
    if CMI5_MANIFEST in files:
        return read_cmi5(read(CMI5_MANIFEST), files)
    raise Invalid(_l("The package has neither imsmanifest.xml nor cmi5.xml at its root."), field="package")
