"""Editing, review, publishing and versions of a course."""

import json
from pathlib import Path

import pytest

from lxp.accounts.models import User, UserRole
from lxp.authoring import publishing, services, transfer
from lxp.authoring.models import Competency, CourseVersion
from lxp.core.errors import Conflict, Invalid, NotAllowed
from lxp.extensions import db

MINI = (Path(__file__).resolve().parents[2] / "tests/data/mini-course.json").read_text()


@pytest.fixture
def author(ctx, make_user):
    return db.session.get(User, make_user(("admin",), email="author@example.com"))


@pytest.fixture
def reviewer(ctx, make_user):
    return db.session.get(User, make_user(("admin",), email="reviewer@example.com"))


@pytest.fixture
def draft(author):
    return transfer.import_document(author, MINI)


def _publish(author, reviewer, version):
    publishing.submit_for_review(author, version)
    publishing.approve(reviewer, version)


def test_a_new_course_starts_as_a_draft_with_its_history(author):
    course = services.create_course(author, "Leading a hybrid team")
    assert course.slug == "leading-a-hybrid-team"
    version = services.latest_version(course)
    assert (version.number, version.status) == (1, "draft")
    assert [(c.action, c.actor_id) for c in publishing.history(course)] == [("created", author.id)]


def test_short_names_are_unique_in_the_organisation(author):
    services.create_course(author, "Listening")
    with pytest.raises(Conflict):
        services.create_course(author, "Listening")
    with pytest.raises(Invalid):
        services.create_course(author, "Anything", slug="Not A Slug!")


def test_publishing_needs_another_admin_or_the_reviewer_role(author, reviewer, draft):
    publishing.submit_for_review(author, draft)
    with pytest.raises(NotAllowed):
        publishing.approve(author, draft)
    assert draft.status == "in_review"
    author.role_rows.append(UserRole(role="reviewer"))
    db.session.commit()
    publishing.approve(author, draft)
    assert draft.status == "published" and draft.published_at is not None


def test_publishing_with_an_uncovered_outcome_is_refused_naming_the_outcome(author, draft):
    extra = Competency(organisation_id=author.organisation_id, code="follow-up", name="Following up")
    db.session.add(extra)
    db.session.commit()
    services.save_outcome(author, draft, "I can follow up so the customer knows what happens next", [extra.id])
    with pytest.raises(publishing.CoverageIncomplete) as refused:
        publishing.submit_for_review(author, draft)
    assert "I can follow up so the customer knows what happens next" in str(refused.value.message)
    assert "follow-up" in str(refused.value.message)
    assert draft.status == "draft"


def test_a_prerequisite_cycle_is_named_item_by_item(author, draft):
    lesson, quiz = draft.modules[0].items
    data = services.ItemInput(kind=lesson.kind, title=lesson.title, minutes=lesson.minutes, language="en",
                              content=lesson.content, teaches=[c.id for c in lesson.teaches], assesses=[],
                              prerequisites=[quiz.id], alternatives=[])  # fmt: skip
    services.save_item(author, lesson.module, data, lesson)
    with pytest.raises(publishing.CoverageIncomplete) as refused:
        publishing.submit_for_review(author, draft)
    assert str(refused.value.message) == (
        "The prerequisites go round in a circle: What active listening sounds like \u2192 Check: listening"
        " \u2192 What active listening sounds like."
    )


def test_editing_a_published_course_makes_a_new_draft_and_leaves_learners_version_alone(author, reviewer, draft):
    _publish(author, reviewer, draft)
    published_id = draft.id
    published_export = transfer.export_document(draft.course, draft)

    new_draft = services.draft_for_editing(author, draft.course)
    assert (new_draft.number, new_draft.status) == (2, "draft")
    assert [i.key for i in new_draft.items] == [i.key for i in draft.items]  # same identities
    services.update_concept(author, new_draft, title="Listening, second edition", expected_minutes=15)
    lesson = new_draft.modules[0].items[0]
    services.delete_item(author, new_draft.modules[0].items[1])

    db.session.expire_all()
    learners_version = db.session.get(CourseVersion, published_id)
    assert learners_version.status == "published"
    assert transfer.export_document(learners_version.course, learners_version) == published_export
    assert services.current_published(learners_version.course).id == published_id
    assert lesson.key in {i.key for i in learners_version.items}


def test_only_drafts_can_change(author, reviewer, draft):
    _publish(author, reviewer, draft)
    with pytest.raises(NotAllowed):
        services.update_concept(author, draft, title="Sneaky edit")
    with pytest.raises(NotAllowed):
        services.delete_item(author, draft.items[0])


def test_a_version_in_review_must_be_approved_or_sent_back_before_editing(author, reviewer, draft):
    publishing.submit_for_review(author, draft)
    with pytest.raises(Conflict):
        services.draft_for_editing(author, draft.course)
    publishing.send_back(reviewer, draft, "Please add a job aid.")
    assert services.draft_for_editing(author, draft.course) is draft
    sent_back = publishing.history(draft.course)[0]
    assert (sent_back.action, sent_back.details["comment"], sent_back.actor_id) == (
        "sent_back",
        "Please add a job aid.",
        reviewer.id,
    )


def test_archiving_withdraws_the_course_but_keeps_the_version(author, reviewer, draft):
    with pytest.raises(Conflict):
        publishing.archive(author, draft.course)
    _publish(author, reviewer, draft)
    publishing.archive(author, draft.course)
    assert draft.status == "archived" and services.current_published(draft.course) is None


def test_item_content_is_checked_by_its_kind(author, draft):
    module = draft.modules[0]
    bad = services.ItemInput(kind="quiz", title="Empty quiz", minutes=3, language="en", content={"questions": []},
                             teaches=[], assesses=[], prerequisites=[], alternatives=[])  # fmt: skip
    with pytest.raises(Invalid) as refused:
        services.save_item(author, module, bad)
    assert refused.value.field == "content" and "questions" in str(refused.value.message)
    assert len(module.items) == 2


def test_prerequisites_must_come_from_the_same_version(author, draft):
    other = transfer.import_document(author, json.dumps({**json.loads(MINI), "goals": [],
                                                          "course": {**json.loads(MINI)["course"], "slug": "other"}}))  # fmt: skip
    lesson = draft.modules[0].items[0]
    data = services.ItemInput(kind="lesson", title="New", minutes=3, language="en", content={"markdown": "Hi"},
                              teaches=[c.id for c in lesson.teaches], assesses=[],
                              prerequisites=[other.items[0].id], alternatives=[])  # fmt: skip
    with pytest.raises(Invalid) as refused:
        services.save_item(author, draft.modules[0], data)
    assert refused.value.field == "prerequisites"


def test_reordering_moves_one_place_and_is_logged(author, draft):
    lesson, quiz = draft.modules[0].items
    services.move(author, quiz, -1)
    assert [i.key for i in draft.modules[0].items] == [quiz.key, lesson.key]
    assert [i.position for i in draft.modules[0].items] == [0, 1]
    services.move(author, quiz, -1)  # already first: nothing changes
    assert draft.modules[0].items[0] is quiz


def test_moving_modules_and_outcomes_keeps_every_one_of_them(author, draft):
    services.save_module(author, draft, "Second module")
    first, second = draft.modules
    services.move(author, second, -1)
    db.session.expire_all()
    assert [m.title for m in draft.modules] == ["Second module", "Listening"]
    services.save_outcome(author, draft, "A second outcome", [])
    services.move(author, draft.outcomes[1], -1)
    db.session.expire_all()
    assert [o.statement for o in draft.outcomes] == [
        "A second outcome",
        "I can summarise a customer's concern in my own words",
    ]


def test_a_course_page_reads_its_items_links_together_however_many_items(app, client, login_as):
    """The course page's coverage check and the course document's export read every item's
    competencies, prerequisites and alternatives and every module's items a statement per kind
    of link: a course of 17 items in four modules takes as many statements as one of 2 items in one."""
    from tests.conftest import committing, page_cost
    from tests.integration.conftest import MINI

    admin_id = login_as("admin", "reviewer").id
    demo_course = (Path(__file__).resolve().parents[2] / "lxp/demo/courses/customer-conversations.json").read_text()
    with committing(app):
        admin = db.session.get(User, admin_id)
        small, large = (transfer.import_document(admin, text).course_id for text in (MINI, demo_course))

    large_cost, _page = page_cost(app, client, f"/admin/courses/{large}")
    small_cost, _page = page_cost(app, client, f"/admin/courses/{small}")
    assert large_cost == small_cost
    large_export, document = page_cost(app, client, f"/admin/courses/{large}/export")
    assert len(json.loads(document)["course"]["modules"]) == 4
    assert large_export == page_cost(app, client, f"/admin/courses/{small}/export")[0]
