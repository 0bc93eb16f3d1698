"""Reading a package: the zip checks, the manifests of each edition, and the CMI a unit commits."""

import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lxp.core.errors import Invalid
from lxp.packages import archive, cmi, manifest
from tests.package_builder import CMI5_BLOCKS, MANIFEST_12, scorm_zip, zip_of


def describe(data: bytes) -> manifest.Description:
    zipped, members = archive.open_zip(data)
    by_name = {m.name: m for m in members}
    return manifest.describe(lambda name: archive.read_member(zipped, by_name[name]), frozenset(by_name))


def refusal(data: bytes) -> str:
    with pytest.raises(Invalid) as refused:
        describe(data)
    return str(refused.value.message)


@pytest.mark.parametrize(("edition", "standard"), [("1.2", "scorm_1.2"), ("2004 3rd Edition", "scorm_2004_3"),
                                                   ("2004 4th Edition", "scorm_2004_4")])  # fmt: skip
def test_each_edition_is_read_with_its_units_in_order(edition, standard):
    description = describe(scorm_zip(edition, "Listening drill", mastery="80"))
    assert description.standard == standard and description.title == "Listening drill"
    assert description.units[0].launch == "unit/index.html"
    if edition == "1.2":
        assert [u.pass_mark for u in description.units] == [80]
    else:
        assert [u.launch for u in description.units] == ["unit/index.html"] and description.sequencing is None


def test_an_unknown_schema_version_is_named():
    assert "\u201cCAM 1.3\u201d" in refusal(scorm_zip("CAM 1.3"))


def test_a_missing_launch_file_is_named():
    assert "unit/start.html" in refusal(scorm_zip("1.2", href="unit/start.html"))


@pytest.mark.parametrize("href", ["../outside.html", "/etc/passwd", "https://example.com/unit.html",
                                  "unit/../../outside.html", "//example.com/x.html"])  # fmt: skip
def test_a_manifest_pointing_outside_the_package_is_refused(href):
    assert "outside the package" in refusal(scorm_zip("1.2", href=href))


def test_no_manifest_and_bad_xml_and_entities_are_refused():
    assert "neither imsmanifest.xml nor cmi5.xml" in refusal(zip_of({"index.html": b"<p>hi</p>"}))
    assert "not well-formed" in refusal(zip_of({"imsmanifest.xml": b"<manifest><oops></manifest>"}))
    laughs = b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><manifest>&b;</manifest>'
    assert "entities" in refusal(zip_of({"imsmanifest.xml": laughs}))
    no_sco = MANIFEST_12.format(title="T", href="unit/index.html", mastery="").replace('scormtype="sco"',
                                                                                      'scormtype="asset"')  # fmt: skip
    assert "no unit a learner can launch" in refusal(scorm_zip("1.2", manifest=no_sco))


@pytest.mark.parametrize("name", ["../evil.html", "/abs.html", "a/../../evil.html", "C:/win.html", "..\\evil.html"])
def test_members_that_could_land_outside_are_refused(name):
    data = scorm_zip("1.2", extra_files={name: b"x"})
    assert "outside its own folder" in refusal(data)


def test_symbolic_links_are_refused():
    assert "symbolic link" in refusal(zip_of({"imsmanifest.xml": b"<manifest/>"}, symlinks={"unit/x": "/etc/passwd"}))


def test_a_zip_bomb_is_refused_by_its_ratio_and_by_what_it_really_writes(tmp_path):
    bomb = scorm_zip("1.2", extra_files={"big.bin": b"\0" * (20 * archive.MB)})
    assert "zip bomb" in refusal(bomb)
    # Extraction does not trust the headers: it counts what it writes against the same limits.
    roomy = archive.Limits(total_bytes=10 * archive.MB, ratio=10_000)
    zipped, members = archive.open_zip(scorm_zip("1.2", extra_files={"big.bin": b"\0" * (2 * archive.MB)}), roomy)
    with pytest.raises(Invalid, match="too large when unpacked"):
        archive.extract(zipped, members, tmp_path / "out", archive.Limits(total_bytes=archive.MB, ratio=10_000))


def test_too_many_files_and_too_large_zips_are_refused():
    many = scorm_zip("1.2", extra_files={f"f{n}.txt": b"x" for n in range(20)})
    with pytest.raises(Invalid, match="too many files"):
        archive.open_zip(many, archive.Limits(files=10))
    with pytest.raises(Invalid, match="too large"):
        archive.open_zip(many, archive.Limits(zip_bytes=100))
    with pytest.raises(Invalid, match="not a zip"):
        archive.open_zip(b"PK\x03\x04 not really")


def test_the_same_name_twice_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("a.html", "1")
        z.writestr("A.html", "2")
    with pytest.raises(Invalid, match="same file twice"):
        archive.open_zip(buffer.getvalue())


@given(st.text(max_size=40))
def test_a_member_name_that_is_accepted_stays_inside(name):
    try:
        cleaned = archive.member_name(name)
    except Invalid:
        return
    assert not cleaned.startswith("/") and ".." not in cleaned.split("/") and "\x00" not in cleaned


def test_cmi5_course_structures_are_read_and_remote_aus_refused():
    structure = b"""<?xml version="1.0"?><courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">
      <course id="https://example.com/c"><title><langstring lang="en">Calls</langstring></title></course>
      <block id="https://example.com/b"><title><langstring>B</langstring></title>
        <au id="https://example.com/au1" moveOn="Passed" masteryScore="0.8"><title><langstring>AU one</langstring></title>
          <url>au/index.html?x=1</url></au></block></courseStructure>"""
    description = describe(zip_of({"cmi5.xml": structure, "au/index.html": b"<p>AU</p>"}))
    assert description.standard == "cmi5" and description.title == "Calls"
    assert description.units[0] == manifest.Unit("https://example.com/au1", "AU one", "au/index.html?x=1", 80, "Passed",
                                                  (manifest.Block("https://example.com/b", "B"),))  # fmt: skip
    assert description.course_id == "https://example.com/c"
    remote = structure.replace(b"au/index.html?x=1", b"https://vendor.example/au")
    assert "outside the package" in refusal(zip_of({"cmi5.xml": remote, "au/index.html": b""}))


def test_cmi_readings_of_both_editions():
    reading = cmi.read("scorm_1.2", {"cmi": {"core": {"lesson_status": "failed", "score": {"raw": "40", "max": "100"},
                                                      "session_time": "0000:02:05.00", "exit": "suspend"}}})  # fmt: skip
    assert (reading.completed, reading.success, reading.score, reading.session_seconds, reading.exit) == (
        True, False, 0.4, 125, "suspend")  # fmt: skip
    reading = cmi.read("scorm_2004_4", {"cmi": {"completion_status": "completed", "success_status": "unknown",
                                                "score": {"raw": "85"}, "session_time": "PT1H2M3.5S"}}, pass_mark=80)  # fmt: skip
    assert (reading.completed, reading.success, reading.score, reading.session_seconds) == (True, True, 0.85, 3724)
    assert cmi.read("scorm_2004_4", {}).completed is False and cmi.read("scorm_1.2", {"cmi": "junk"}).success is None


def test_resuming_keeps_the_data_and_drops_the_last_sessions_own_fields():
    stored = {"cmi": {"core": {"exit": "suspend", "session_time": "0000:01:00", "lesson_location": "p3"},
                      "suspend_data": "page=3"}}  # fmt: skip
    seed, entry = cmi.resume_state("scorm_1.2", stored, 60)
    assert entry == "resume" and seed == {"cmi": {"core": {"lesson_location": "p3"}, "suspend_data": "page=3"}}
    assert stored["cmi"]["core"]["exit"] == "suspend"  # the stored snapshot is left as it was
    assert cmi.resume_state("scorm_2004_4", {"cmi": {"exit": "normal"}}, 0)[1] == ""
    assert cmi.format_total("scorm_1.2", 3725) == "0001:02:05" and cmi.format_total("scorm_2004_3", 61) == "PT0H1M1S"


@pytest.mark.parametrize(
    ("move_on", "completed", "passed", "met"),
    [
        ("Passed", True, False, False), ("Passed", False, True, True),
        ("Completed", True, False, True), ("Completed", False, True, False),
        ("CompletedAndPassed", True, False, False), ("CompletedAndPassed", True, True, True),
        ("CompletedOrPassed", False, True, True), ("CompletedOrPassed", False, False, False),
        ("NotApplicable", False, False, True), ("Unknown", True, True, False),
    ],
)  # fmt: skip
def test_an_au_is_satisfied_as_its_move_on_says(move_on, completed, passed, met):
    from lxp.packages.cmi5 import move_on_met

    assert move_on_met(move_on, completed, passed) is met


def test_nested_cmi5_blocks_are_kept_around_each_au_and_an_empty_block_is_refused():
    files = {"au/index.html": b"<p>AU</p>"}
    description = describe(zip_of({"cmi5.xml": CMI5_BLOCKS.encode(), **files}))
    chains = {u.identifier.rsplit("/", 1)[1]: [b.title for b in u.blocks] for u in description.units}
    assert chains == {"listening": ["Part one", "Warm-up"], "summary": ["Part one"], "final": []}
    assert [u.launch for u in description.units] == ["au/index.html", "au/index.html?part=summary",
                                                     "au/index.html?part=final"]  # fmt: skip
    empty = CMI5_BLOCKS.replace('<block id="https://lxp.example/blocks/warm-up">',
                                '<block id="https://lxp.example/blocks/empty"><title><langstring>Empty</langstring></title></block>'
                                '<block id="https://lxp.example/blocks/warm-up">')  # fmt: skip
    assert "holds no AU" in refusal(zip_of({"cmi5.xml": empty.encode(), **files}))
    nameless = CMI5_BLOCKS.replace('id="https://lxp.example/blocks/part-one"', 'id="part-one"')
    assert "block of cmi5.xml has no IRI" in refusal(zip_of({"cmi5.xml": nameless.encode(), **files}))
