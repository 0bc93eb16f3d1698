"""Small SCORM packages the tests build: a manifest of the right edition and one page whose
script does what a real unit does (initialise, read its stored data, set status, score, suspend
data and location, commit, finish), driven by buttons a test (or a person) clicks."""

from __future__ import annotations

import io
import zipfile

MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="lxp-test-12" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>{title}</title>
    <item identifier="item-1" identifierref="res-1"><title>{title}</title>{mastery}</item>
  </organization></organizations>
  <resources><resource identifier="res-1" type="webcontent" adlcp:scormtype="sco" href="{href}">
    <file href="{href}"/></resource></resources>
</manifest>"""

MANIFEST_2004 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="lxp-test-2004" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
  <metadata><schema>ADL SCORM</schema><schemaversion>{edition}</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>{title}</title>
    <item identifier="item-1" identifierref="res-1"><title>{title}</title></item>{more}
  </organization></organizations>
  <resources>
    <resource identifier="res-1" type="webcontent" adlcp:scormType="sco" href="{href}"><file href="{href}"/></resource>
    <resource identifier="res-2" type="webcontent" adlcp:scormType="sco" href="{href}?part=check"><file href="{href}"/></resource>
  </resources>{collection}
</manifest>"""

# One page for both editions: it finds whichever API lxp gives it, as real units do.
UNIT_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Unit</title>
<script src="unit.js"></script></head>
<body><h1>Listening drill</h1>
<p id="resumed"></p>
<button id="half" type="button">Half way</button>
<button id="pass" type="button">Pass</button>
<button id="fail" type="button">Fail</button>
<button id="leave" type="button">Leave</button>
<p id="state"></p>
{extra}
</body></html>"""

UNIT_SCRIPT = """
var api = window.parent && (function () { try { return window.parent.API_1484_11 || window.parent.API; } catch (e) { return null; } })();
api = window.API_1484_11 || window.API || api;
var v2004 = !!window.API_1484_11;
function get(k12, k2004) { return v2004 ? api.GetValue(k2004) : api.LMSGetValue(k12); }
function set(k12, k2004, value) { return v2004 ? api.SetValue(k2004, value) : api.LMSSetValue(k12, value); }
function commit() { return v2004 ? api.Commit("") : api.LMSCommit(""); }
function finish() { return v2004 ? api.Terminate("") : api.LMSFinish(""); }
window.addEventListener("DOMContentLoaded", function () {
  var state = document.getElementById("state");
  if (!api) { state.textContent = "no API"; return; }
  state.textContent = (v2004 ? api.Initialize("") : api.LMSInitialize("")) === "true" ? "started" : "not started";
  document.getElementById("resumed").textContent =
    "entry=" + get("cmi.core.entry", "cmi.entry") + " data=" + get("cmi.suspend_data", "cmi.suspend_data") +
    " at=" + get("cmi.core.lesson_location", "cmi.location") + " name=" + get("cmi.core.student_name", "cmi.learner_name");
  document.getElementById("half").onclick = function () {
    set("cmi.core.lesson_status", "cmi.completion_status", "incomplete");
    set("cmi.suspend_data", "cmi.suspend_data", "page=3;answers=ab");
    set("cmi.core.lesson_location", "cmi.location", "page-3");
    commit(); state.textContent = "saved half";
  };
  function result(passed) {
    set("cmi.core.score.raw", "cmi.score.raw", passed ? "90" : "40");
    if (v2004) { api.SetValue("cmi.score.scaled", passed ? "0.9" : "0.4"); api.SetValue("cmi.completion_status", "completed");
                 api.SetValue("cmi.success_status", passed ? "passed" : "failed"); }
    else { api.LMSSetValue("cmi.core.lesson_status", passed ? "passed" : "failed"); }
    set("cmi.core.session_time", "cmi.session_time", v2004 ? "PT2M5S" : "0000:02:05.00");
    set("cmi.core.exit", "cmi.exit", v2004 ? "normal" : "");
    commit(); finish(); state.textContent = passed ? "passed" : "failed";
  }
  document.getElementById("pass").onclick = function () { result(true); };
  document.getElementById("fail").onclick = function () { result(false); };
  document.getElementById("leave").onclick = function () {
    set("cmi.core.session_time", "cmi.session_time", v2004 ? "PT1M" : "0000:01:00.00");
    set("cmi.core.exit", "cmi.exit", "suspend");
    finish(); state.textContent = "left";
  };
});
"""


def scorm_zip(edition: str = "2004 4th Edition", title: str = "Listening drill", *, href: str = "unit/index.html",
              mastery: str = "", extra_files: dict[str, bytes] | None = None, extra_html: str = "",
              manifest: str | None = None) -> bytes:  # fmt: skip
    """A SCORM package of ``edition`` ("1.2", "2004 3rd Edition", "2004 4th Edition")."""
    if manifest is None:
        if edition == "1.2":
            manifest = MANIFEST_12.format(title=title, href=href,
                                          mastery=f"<adlcp:masteryscore>{mastery}</adlcp:masteryscore>" if mastery else "")  # fmt: skip
        else:
            manifest = MANIFEST_2004.format(title=title, href=href, edition=edition, more="", collection="")
    files = {"imsmanifest.xml": manifest.encode(), "unit/index.html": UNIT_PAGE.format(extra=extra_html).encode(),
             "unit/unit.js": UNIT_SCRIPT.encode(), **(extra_files or {})}  # fmt: skip
    return zip_of(files)


def zip_of(files: dict[str, bytes], *, symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = 0o120777 << 16
            archive.writestr(info, target)
    return buffer.getvalue()


CMI5_STRUCTURE = """<?xml version="1.0" encoding="UTF-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://lxp.example/courses/calls"><title><langstring lang="en">Calls</langstring></title>
    <description><langstring lang="en">A cmi5 course the tests build.</langstring></description></course>
  <au id="https://lxp.example/aus/listening" moveOn="{move_on}" masteryScore="0.8">
    <title><langstring lang="en">Listening check</langstring></title>
    <description><langstring lang="en">One AU.</langstring></description>
    <url>au/index.html</url>
  </au>
</courseStructure>"""

# Nested blocks (cmi5 13.1.2): "Part one" holds the block "Warm-up" (the listening AU) and a
# summary AU; a final AU stands outside any block.
CMI5_BLOCKS = """<?xml version="1.0" encoding="UTF-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
  <course id="https://lxp.example/courses/calls"><title><langstring lang="en">Calls</langstring></title>
    <description><langstring lang="en">A cmi5 course with blocks.</langstring></description></course>
  <block id="https://lxp.example/blocks/part-one">
    <title><langstring lang="en">Part one</langstring></title>
    <description><langstring lang="en">The first part.</langstring></description>
    <block id="https://lxp.example/blocks/warm-up">
      <title><langstring lang="en">Warm-up</langstring></title>
      <description><langstring lang="en">Warming up.</langstring></description>
      <au id="https://lxp.example/aus/listening" moveOn="Completed">
        <title><langstring lang="en">Listening check</langstring></title>
        <description><langstring lang="en">One AU.</langstring></description>
        <url>au/index.html</url>
      </au>
    </block>
    <au id="https://lxp.example/aus/summary" moveOn="Completed">
      <title><langstring lang="en">Summary</langstring></title>
      <description><langstring lang="en">Another AU.</langstring></description>
      <url>au/index.html?part=summary</url>
    </au>
  </block>
  <au id="https://lxp.example/aus/final" moveOn="Completed">
    <title><langstring lang="en">Final call</langstring></title>
    <description><langstring lang="en">The last AU.</langstring></description>
    <url>au/index.html?part=final</url>
  </au>
</courseStructure>"""

# The AU uses the independent @xapi/cmi5 client, as a vendor's AU would (tests/peers/cmi5).
AU_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>AU</title><script src="cmi5.umd.js"></script></head>
<body><h1>Listening check</h1><p id="state">loading</p>
<button id="pass" type="button">Pass</button><button id="fail" type="button">Fail</button>
<button id="again" type="button">Initialize again</button>
<button id="prefs" type="button">Keep preferences</button><button id="read" type="button">Read back</button>
<script>
var Client = window.Cmi5.default || window.Cmi5, cmi = null, out = document.getElementById("state");
function show(text) { out.textContent = text; }
window.addEventListener("load", function () {
  cmi = new Client();
  cmi.initialize().then(function () {
    show("initialized moveOn=" + cmi.getLaunchData().moveOn + " language=" + (cmi.getLearnerPreferences() || {}).languagePreference);
  },
                        function (e) { show("error " + (e.response ? e.response.status : e)); });
});
function finish(passed) {
  (passed ? cmi.pass(0.9) : cmi.fail(0.4)).then(function () { return cmi.complete(); })
    .then(function () { return cmi.terminate(); })
    .then(function () { show(passed ? "passed" : "failed"); }, function (e) { show("error " + (e.response ? e.response.status : e)); });
}
document.getElementById("pass").onclick = function () { finish(true); };
document.getElementById("fail").onclick = function () { finish(false); };
function failed(e) { show("error " + (e.response ? e.response.status : e)); }
document.getElementById("prefs").onclick = function () {
  cmi.xapi.setAgentProfile({agent: cmi.getLaunchParameters().actor, profileId: "cmi5LearnerPreferences",
    profile: {languagePreference: "de", audioPreference: "off"}, etag: "*", matchHeader: "If-None-Match"})
    .then(function () { show("preferences kept"); }, failed);
};
document.getElementById("read").onclick = function () {
  cmi.xapi.getStatements({registration: cmi.getLaunchParameters().registration}).then(function (r) {
    show("read " + r.data.statements.map(function (s) { return s.verb.id.split("/").pop(); }).join(","));
  }, failed);
};
document.getElementById("again").onclick = function () {
  var other = new Client();
  other.initialize().then(function () { show("fetched twice"); }, function (e) { show("refused " + (e.response ? e.response.status : e)); });
};
</script></body></html>"""


def cmi5_zip(client_js: bytes, move_on: str = "CompletedAndPassed") -> bytes:
    """A cmi5 course with one AU written with ``@xapi/cmi5`` (its UMD bundle is ``client_js``)."""
    return zip_of({"cmi5.xml": CMI5_STRUCTURE.format(move_on=move_on).encode(), "au/index.html": AU_PAGE.encode(),
                   "au/cmi5.umd.js": client_js})  # fmt: skip


def cmi5_blocks_zip(client_js: bytes) -> bytes:
    """A cmi5 course of three AUs in nested blocks (``CMI5_BLOCKS``), each played by the same page."""
    return zip_of({"cmi5.xml": CMI5_BLOCKS.encode(), "au/index.html": AU_PAGE.encode(), "au/cmi5.umd.js": client_js})


# Two SCOs played as one item: the organisation lets the learner flow forward only, and the
# rollup counts the check alone for success (the lesson is left out of it).
SEQUENCED_ORGANISATION = """
    <item identifier="item-2" identifierref="res-2"><title>{title}: the check</title></item>
    <imsss:sequencing>
      <imsss:controlMode choice="{choice}" flow="true" forwardOnly="{forward_only}"/>
      <imsss:rollupRules><imsss:rollupRule childActivitySet="all"><imsss:rollupConditions>
        <imsss:rollupCondition condition="completed"/></imsss:rollupConditions>
        <imsss:rollupAction action="completed"/></imsss:rollupRule></imsss:rollupRules>{extra}
    </imsss:sequencing>"""


def sequenced_manifest(edition: str = "2004 4th Edition", title: str = "Listening drill", *, choice: bool = True,
                       forward_only: bool = True, extra: str = "", lesson: str = "") -> str:  # fmt: skip
    """A 2004 manifest with two SCOs and the organisation's sequencing (``extra`` goes into it,
    ``lesson`` into the first SCO's item)."""
    manifest = MANIFEST_2004.format(
        title=title, href="unit/index.html", edition=edition, collection="",
        more=SEQUENCED_ORGANISATION.format(title=title, choice=str(choice).lower(),
                                           forward_only=str(forward_only).lower(), extra=extra),
    )  # fmt: skip
    lesson = lesson or ('<imsss:sequencing><imsss:rollupRules rollupObjectiveSatisfied="false"/></imsss:sequencing>')
    return manifest.replace(f"<title>{title}</title></item>", f"<title>{title}</title>{lesson}</item>", 1)


def sequenced_zip(**options) -> bytes:
    return scorm_zip("2004 4th Edition", manifest=sequenced_manifest(**options))
