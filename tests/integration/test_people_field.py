"""Choosing people in an organisation too large to list (issue 20): the cohort, assignment and
reporting-line forms find people by name or e-mail and take pasted addresses, instead of listing
every learner as a checkbox; their pages cost the same with 3 learners or 300."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from lxp.accounts.models import User, UserRole
from lxp.accounts.services import PeopleDirectory
from lxp.assignments.models import Assignment, ReportingLine
from lxp.cohorts.models import Cohort
from lxp.core.forms import pasted_addresses
from lxp.extensions import db
from tests.conftest import committing, csrf_from, page_cost


def _many_learners(app, organisation, count: int, start: int = 0) -> None:
    with committing(app):
        for n in range(start, start + count):
            user_id = db.session.execute(insert(User).values(
                organisation_id=organisation, email=f"colleague{n}@example.com", display_name=f"Colleague {n:04d}",
                timezone="UTC", active=True,
            ).returning(User.id)).scalar_one()  # fmt: skip
            db.session.execute(insert(UserRole).values(user_id=user_id, role="learner"))


def _post(client, path: str, data: dict):
    token = csrf_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def _boxes(html: str, name: str) -> dict[str, bool]:
    """The check boxes/radio buttons named ``name``: value -> ticked."""
    found = {}
    for tag in re.findall(rf'<input type="(?:checkbox|radio)" name="{name}"[^>]*>', html):
        found[re.search(r'value="([^"]*)"', tag).group(1)] = " checked" in tag
    return found


def _people_part(html: str) -> str:
    return html.split('<fieldset class="people-field"', 1)[1].split("</fieldset>", 1)[0]


def _members(app, cohort_id: int) -> set[str]:
    with app.app_context():
        return {m.email for m in db.session.get(Cohort, cohort_id).members}


def test_the_cohort_pages_cost_the_same_with_three_learners_or_three_hundred(app, client, organisation, login_as):
    login_as("admin")
    _many_learners(app, organisation, 3)
    response = _post(client, "/admin/cohorts", {"name": "Spring", "members-emails": "colleague0@example.com"})
    assert response.status_code == 302
    edit = response.headers["Location"]
    pages = ("/admin/cohorts", edit, "/admin/assignments", "/admin/reporting-lines")
    few = {url: page_cost(app, client, url) for url in pages}
    _many_learners(app, organisation, 300, start=3)
    for url in pages:
        statements, html = page_cost(app, client, url)
        assert statements == few[url][0], url
        assert len(html) < len(few[url][1]) + 200, (
            f"{url} grew with the organisation ({len(few[url][1])} -> {len(html)})"
        )
        assert "Colleague 0150" not in html


def _post_from(client, page: str, action: str, data: dict):
    """Send a form of ``page`` to ``action``, as the browser would from that page."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def test_find_offers_people_not_in_the_cohort_and_adds_nobody_then_add_and_take_out(app, client, organisation,
                                                                                    login_as, make_user):  # fmt: skip
    login_as("admin")
    lena = make_user(("learner",), email="lena@example.com", name="Lena Fischer")
    make_user(("learner",), email="lennart@example.com", name="Lennart Olsen")
    make_user(("learner",), email="max@example.com", name="Max Weber")
    make_user(("trainer",), email="lenora@example.com", name="Lenora Trainer")  # not a learner: not offered
    created = _post(client, "/admin/cohorts", {"name": "Spring", "members": [str(lena)]})
    edit = created.headers["Location"]
    cohort_id = int(edit.rsplit("/", 1)[1])

    found = _post_from(client, edit, f"{edit}/members", {"members-find": "LEN", "find-people": "members"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    matches = _people_part(html)
    # Lena is in the cohort already: the search leaves her out.
    assert "Lennart Olsen" in matches and "Lena Fischer" not in matches
    assert "Max Weber" not in matches and "Lenora Trainer" not in matches
    assert list(_boxes(html, "members").values()) == [False]
    assert _members(app, cohort_id) == {"lena@example.com"}  # nothing saved
    lennart = next(iter(_boxes(html, "members")))

    added = _post_from(client, edit, f"{edit}/members", {"members": [lennart], "members-find": "LEN"})
    assert added.status_code == 302 and added.headers["Location"] == edit
    assert "1 person added." in client.get(edit).get_data(as_text=True)
    assert _members(app, cohort_id) == {"lena@example.com", "lennart@example.com"}

    taken = _post_from(client, edit, f"{edit}/members/removed", {"remove": [str(lena)]})
    assert taken.status_code == 302
    page = client.get(edit).get_data(as_text=True)
    assert "1 person taken out of the cohort." in page and "1 member" in page
    assert _members(app, cohort_id) == {"lennart@example.com"}
    assert _post_from(client, edit, f"{edit}/members/removed", {"remove": ["abc"]}).status_code == 400
    none_ticked = _post_from(client, edit, f"{edit}/members/removed", {})
    assert "Tick the members to take out." in client.get(none_ticked.headers["Location"]).get_data(as_text=True)
    assert _members(app, cohort_id) == {"lennart@example.com"}

    nothing = _post_from(client, edit, f"{edit}/members", {"members-find": "zzz", "find-people": "members"})
    assert "Nobody else matches \u201czzz\u201d." in nothing.get_data(as_text=True)

    renamed = _post(client, edit, {"name": "Spring 2027", "coach": ""})
    assert renamed.status_code == 302
    assert _members(app, cohort_id) == {"lennart@example.com"}  # the name's form leaves the members be


def test_pasted_addresses_are_added_and_an_unknown_one_changes_nothing(app, client, organisation, login_as, make_user):
    login_as("admin")
    make_user(("learner",), email="lena@example.com", name="Lena Fischer")
    make_user(("learner",), email="max@example.com", name="Max Weber")
    make_user(("learner",), email="gone@example.com", name="Gone", active=False)
    created = _post(client, "/admin/cohorts", {"name": "Spring"})
    edit = created.headers["Location"]
    cohort_id = int(edit.rsplit("/", 1)[1])
    assert "Nobody is in this cohort yet" in client.get(edit).get_data(as_text=True)

    refused = _post_from(client, edit, f"{edit}/members", {"members-emails": "Lena Fischer <LENA@example.com>; nobody@example.com\ngone@example.com, not-an-address"})  # fmt: skip
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert (
        "Nobody here can be chosen with these addresses: not-an-address, nobody@example.com, gone@example.com" in html
    )
    assert "nobody@example.com" in html.split("<textarea", 1)[1]  # the pasted text is kept to mend
    assert _members(app, cohort_id) == set()

    saved = _post_from(client, edit, f"{edit}/members",
                       {"members-emails": "Lena Fischer <LENA@example.com>;\n max@example.com "})  # fmt: skip
    assert saved.status_code == 302
    assert _members(app, cohort_id) == {"lena@example.com", "max@example.com"}
    page = client.get(edit).get_data(as_text=True)
    assert "2 members" in page and set(_boxes(page, "remove").values()) == {False} and len(_boxes(page, "remove")) == 2
    # The same list pasted again, one more on it: only the new one joins.
    make_user(("learner",), email="nina@example.com", name="Nina Brandt")
    again = _post_from(client, edit, f"{edit}/members", {"members-emails": "lena@example.com, max@example.com, nina@example.com"})  # fmt: skip
    assert again.status_code == 302 and "1 person added." in client.get(edit).get_data(as_text=True)
    assert _members(app, cohort_id) == {"lena@example.com", "max@example.com", "nina@example.com"}


def test_a_cohort_of_hundreds_lists_its_members_fifty_a_page_to_find_and_take_out(app, client, organisation, login_as):
    login_as("admin")
    _many_learners(app, organisation, 120)
    pasted = "\n".join(f"colleague{n}@example.com" for n in range(120))
    created = _post(client, "/admin/cohorts", {"name": "Everyone", "members-emails": pasted})
    edit = created.headers["Location"]
    cohort_id = int(edit.rsplit("/", 1)[1])

    def listed(html: str) -> list[str]:
        return re.findall(r"Colleague (\d{4})", html.split('id="members-title"', 1)[1].split("</section>", 1)[0])

    first = client.get(edit).get_data(as_text=True)
    assert "120 members" in first and "Page 1 of 3" in first
    assert listed(first) == [f"{n:04d}" for n in range(50)]
    third = client.get(f"{edit}?page=3").get_data(as_text=True)
    assert listed(third) == [f"{n:04d}" for n in range(100, 120)]
    assert listed(client.get(f"{edit}?page=9").get_data(as_text=True)) == listed(third)
    statements = [page_cost(app, client, f"{edit}?page={n}")[0] for n in (1, 3)]
    assert statements[0] == statements[1]

    searched = client.get(f"{edit}?q=0105").get_data(as_text=True)
    assert listed(searched) == ["0105"] and "1 member matches \u201c0105\u201d." in searched
    person = next(iter(_boxes(searched, "remove")))
    taken = _post_from(client, f"{edit}?q=0105", f"{edit}/members/removed?q=0105", {"remove": [person]})
    assert taken.headers["Location"] == f"{edit}?q=0105"
    after = client.get(taken.headers["Location"]).get_data(as_text=True)
    assert "0 members match \u201c0105\u201d." in after
    assert len(_members(app, cohort_id)) == 119 and "colleague105@example.com" not in _members(app, cohort_id)

    # Everyone ticked on the last page taken out: back on the page that is now the last.
    last = client.get(f"{edit}?page=3").get_data(as_text=True)
    gone = _post_from(
        client, f"{edit}?page=3", f"{edit}/members/removed?page=3", {"remove": list(_boxes(last, "remove"))}
    )
    assert gone.headers["Location"] == f"{edit}?page=3"
    now = client.get(gone.headers["Location"]).get_data(as_text=True)
    assert "100 members" in now and listed(now) == [f"{n:04d}" for n in range(50, 100) if n != 105]


def test_an_assignment_to_pasted_addresses_reaches_those_people(app, client, organisation, login_as, make_user,
                                                                published):  # fmt: skip
    login_as("admin")
    goal_id = published["goal"]
    make_user(("learner",), email="lena@example.com", name="Lena Fischer")
    make_user(("learner",), email="max@example.com", name="Max Weber")
    refused = _post(client, "/admin/assignments", {"goal": str(goal_id), "audience": "people",
                                                   "people-emails": "lena@example.com ghost@example.com"})  # fmt: skip
    assert refused.status_code == 400 and "ghost@example.com" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Assignment)).all() == []
    done = _post(client, "/admin/assignments", {"goal": str(goal_id), "audience": "people",
                                                "people-emails": "lena@example.com\nmax@example.com"})  # fmt: skip
    assert done.status_code == 302
    with app.app_context():
        assignment = db.session.scalars(select(Assignment)).one()
        assert {p.email for p in assignment.people} == {"lena@example.com", "max@example.com"}


def test_a_reporting_line_is_set_by_finding_or_by_address_and_the_lines_are_paged(app, client, organisation, login_as,
                                                                                   make_user):  # fmt: skip
    login_as("admin")
    lena = make_user(("learner",), email="lena@example.com", name="Lena Fischer")
    make_user(("learner", "manager"), email="katrin@example.com", name="Katrin Vogel")

    found = _post(client, "/admin/reporting-lines", {"person-find": "fisch", "manager-find": "vogel",
                                                     "find-people": "person"})  # fmt: skip
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and "Lena Fischer" in html and "Katrin Vogel" in html  # each field's matches
    assert _boxes(html, "person") == {str(lena): False}
    assert _boxes(html, "manager")[""] is True  # "Nobody" until someone is chosen

    unknown = _post(client, "/admin/reporting-lines", {"person": str(lena), "manager-emails": "boss@example.com"})
    assert unknown.status_code == 400 and "boss@example.com" in unknown.get_data(as_text=True)
    nobody = _post(client, "/admin/reporting-lines", {"manager": ""})
    assert nobody.status_code == 400 and "Choose a person of your organisation." in nobody.get_data(as_text=True)
    saved = _post(client, "/admin/reporting-lines", {"person": str(lena), "manager-emails": "KATRIN@example.com"})
    assert saved.status_code == 302
    with app.app_context():
        line = db.session.get(ReportingLine, lena)
        assert line.manager.email == "katrin@example.com"

    _many_learners(app, organisation, 120)
    with committing(app):
        katrin = db.session.scalars(select(User).where(User.email == "katrin@example.com")).one()
        for user in db.session.scalars(select(User).where(User.email.like("colleague%"))):
            db.session.add(ReportingLine(user_id=user.id, manager_id=katrin.id))
    first = client.get("/admin/reporting-lines").get_data(as_text=True)
    assert "Page 1 of 3" in first and first.count("Katrin Vogel</td>") == 50
    third = client.get("/admin/reporting-lines?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in third and "Lena Fischer" in third  # 121 lines, by name: Colleague…, Lena last
    search = client.get("/admin/reporting-lines?q=colleague 0007").get_data(as_text=True)
    assert "Colleague 0007" in search and "Colleague 0008" not in search and "Page" not in search


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names.filter(lambda n: n.strip()), data=st.data())
def test_any_part_of_a_name_finds_its_person_in_any_case(app, organisation, make_user, name, data):
    """Names in any script, with % and _ in them, are found by any part of them (what an admin
    types), and a part of someone else's name finds only those who have it."""
    start = data.draw(st.integers(0, len(name) - 1))
    part = name[start : data.draw(st.integers(start + 1, len(name)))]
    if not part.strip():
        return
    with committing(app):
        person = User(organisation_id=organisation, email="p@example.com", display_name=name,
                      timezone="UTC", role_rows=[UserRole(role="learner")])  # fmt: skip
        other = User(organisation_id=organisation, email="zq@example.com", display_name="Zq",
                     timezone="UTC", role_rows=[UserRole(role="learner")])  # fmt: skip
        db.session.add_all([person, other])
    try:
        with app.app_context():
            directory = PeopleDirectory(organisation, "learner")
            for typed in (part, part.upper(), part.lower()):
                # "ß".upper() is "SS", "İ".lower() two letters, "ı".upper() an "I" whose lower case is "i":
                # other texts, not this one in another case.
                if len(typed) != len(part) or typed.lower() != part.lower():
                    continue
                found, _more = directory.matching(typed)
                assert person.id in [p.id for p in found], (name, typed)
                assert (other.id in [p.id for p in found]) == (part.lower() in "zq" or part.lower() in "zq@example.com")
    finally:
        with committing(app):
            db.session.delete(db.session.get(User, person.id))
            db.session.delete(db.session.get(User, other.id))


addresses = st.lists(st.from_regex(r"[a-z][a-z0-9.]{0,8}@[a-z]{1,8}\.(de|com)", fullmatch=True), min_size=1, max_size=8)


@given(addresses, st.lists(st.sampled_from([", ", ";", "\n", " ", "\r\n", " ; "]), min_size=8, max_size=8),
       st.lists(st.booleans(), min_size=8, max_size=8))  # fmt: skip
def test_pasted_addresses_are_read_in_order_whatever_separates_them(given_addresses, separators, named):
    """Bare addresses and a mail program's ``"Last, First" <address>``, however separated."""
    parts = [f'"Name, Some" <{a}>' if with_name else a for a, with_name in zip(given_addresses, named, strict=False)]
    text = "".join(part + separator for part, separator in zip(parts, separators, strict=False))
    assert pasted_addresses(text) == list(dict.fromkeys(given_addresses))
