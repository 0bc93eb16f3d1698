"""Every column that points at a person is listed in ``lxp.privacy.inventory`` with what the
download shows and what erasure does: a new model that keeps something about a person fails
here until its engineer decides both."""

import json
from pathlib import Path

from lxp.extensions import db
from lxp.privacy import erasure, inventory
from tests.conftest import sign_in, submit
from tests.integration.privacy_fixtures import read_zip


def _columns_pointing_at_people() -> set[tuple[str, str]]:
    found = {("users", "id")}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "users" for fk in column.foreign_keys):
                found.add((table.name, column.name))
    return found


def test_every_reference_to_a_person_is_handled_by_export_and_erasure(app, client, world):
    listed = {(h.table, h.column) for h in inventory.HOLDINGS}
    missing = _columns_pointing_at_people() - listed
    assert not missing, f"say in lxp/privacy/inventory.py how the download and erasure handle {sorted(missing)}"
    assert not listed - _columns_pointing_at_people(), "inventory.py lists columns that no longer exist"
    assert all(h.erasure in (inventory.DELETE, inventory.SCRUB, inventory.KEEP) and h.why for h in inventory.HOLDINGS)
    sign_in(client, "anna@example.com")
    data, _files = read_zip(submit(client, "/me/data/download", {}, form_page="/me/data").data)
    for holding in inventory.HOLDINGS:
        assert holding.export in data, (
            f"the download has no section {holding.export!r} for {holding.table}.{holding.column}"
        )
    # What erasure deletes and scrubs is gone or emptied for the person (proved in test_privacy_erasure).
    source = Path(erasure.__file__).read_text()
    for holding in inventory.HOLDINGS:
        if holding.erasure != inventory.KEEP:
            model_named = holding.table in source or any(
                m.class_.__tablename__ == holding.table and m.class_.__name__ in source
                for m in db.Model.registry.mappers
            )
            assert model_named, f"erasure does not handle {holding.table} although inventory.py says {holding.erasure}"
    assert json.dumps(data)
