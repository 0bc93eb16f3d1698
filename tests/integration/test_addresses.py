"""Remembered page addresses (``lxp/core/addresses.py``) are the addresses Flask builds."""

from __future__ import annotations

from flask import Flask, url_for
from hypothesis import given, settings
from hypothesis import strategies as st

from lxp.core import addresses, serving

refs = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(ref=refs, script_root=st.sampled_from(["", "/lxp", "/learning/app"]))
def test_a_remembered_address_is_the_one_flask_builds(app, ref, script_root):
    with app.test_request_context(base_url=f"http://localhost{script_root}/"):
        built = Flask.url_for(app, "learning.block", ref=ref)
        assert url_for("learning.block", ref=ref) == built
        assert url_for("learning.block", ref=ref) == built  # the second time from memory
        assert built.startswith(f"{script_root}/learn/")


def test_each_script_root_gets_its_own_addresses(app):
    with app.test_request_context():
        at_root = url_for("learning.today")
    with app.test_request_context(base_url="http://localhost/lxp/"):
        below = url_for("learning.today")
    assert (at_root, below) == ("/today", "/lxp/today")


def test_what_is_not_remembered_is_still_built(app):
    with app.test_request_context(base_url="http://localhost/lxp/"):
        assert url_for("learning.today", _anchor="due") == "/lxp/today#due"
        assert url_for("learning.today", _external=True) == "http://localhost/lxp/today"
        assert url_for("learning.today", tab=["a", "b"]) == "/lxp/today?tab=a&tab=b"
        assert url_for("learning.today", flag=True) == "/lxp/today?flag=True"


def test_a_static_file_s_address_follows_its_content(app, tmp_path):
    folder, kept, recheck = tmp_path / "static", app.static_folder, app.config["STATIC_RECHECK_SECONDS"]
    folder.mkdir()
    (folder / "app.css").write_text("body { color: black }")
    app.static_folder = str(folder)
    app.config["STATIC_RECHECK_SECONDS"] = 0  # the edit below shows at once, not within the second
    try:
        with app.test_request_context():
            before = url_for("static", filename="app.css")
            (folder / "app.css").write_text("body { color: navy; background: white }")
            after = url_for("static", filename="app.css")
    finally:
        app.static_folder = kept
        app.config["STATIC_RECHECK_SECONDS"] = recheck
    assert before != after


def test_pages_get_no_url_defaults_but_the_static_fingerprint(app):
    """A ``url_defaults`` function that changes a page's address by request (a locale prefix,
    say) would be remembered for everyone: such a function needs the memory turned off for its
    endpoints first (``lxp/core/addresses.py``)."""
    assert {key: list(functions) for key, functions in app.url_default_functions.items()} == {
        None: [serving._add_fingerprint]
    }


def test_a_process_remembers_a_bounded_number_of_addresses(app):
    with app.test_request_context():
        for n in range(addresses.KEPT + 10):
            url_for("learning.block", ref=f"course/item-{n}")
        assert 0 < len(app._addresses) <= addresses.KEPT
        assert url_for("learning.block", ref="course/item-1") == "/learn/course/item-1"
