"""The statements an LRS holds differently, on the admin's LRS page 20 a page, newest first: the
page showed the newest 50 (each with both versions whole) and the rest were out of reach."""

import re
import uuid
from datetime import timedelta

from sqlalchemy import insert

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.extensions import db
from lxp.lrs import services
from lxp.lrs.models import LrsConflict
from tests.conftest import committing, sign_in


def test_the_lrs_page_lists_every_conflict_a_page_at_a_time(app, make_user):
    admin = make_user(("admin",), email="ada@example.com")
    with committing(app):
        ada = db.session.get(User, admin)
        services.save_connection(ada, "https://lrs.example/xapi/", "lxp", "secret", True)
        organisation_id = ada.organisation_id
    client = app.test_client()
    sign_in(client, "ada@example.com")
    assert "data-lrs-conflicts" not in client.get("/admin/lrs").get_data(as_text=True)  # none yet: no section

    noticed = utcnow() - timedelta(days=60)
    ids = [uuid.UUID(int=n + 1) for n in range(45)]
    with committing(app):
        db.session.execute(insert(LrsConflict), [
            {"organisation_id": organisation_id, "statement_id": ids[n], "differs": "verb", "ours": "{}",
             "theirs": "{}", "noticed_at": noticed + timedelta(hours=n)} for n in range(45)])  # fmt: skip
    first = client.get("/admin/lrs").get_data(as_text=True)
    listed = re.findall(r'data-conflict="([0-9a-f-]+)"', first)
    for page in (2, 3):
        listed += re.findall(
            r'data-conflict="([0-9a-f-]+)"', client.get(f"/admin/lrs?page={page}").get_data(as_text=True)
        )
    assert listed == [str(i) for i in reversed(ids)] and "Page 1 of 3" in first  # every one, the newest first
    assert re.findall(r'data-conflict="([0-9a-f-]+)"', client.get("/admin/lrs?page=7").get_data(as_text=True)) == (
        listed[40:])  # fmt: skip
