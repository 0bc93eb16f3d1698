"""On-the-job tasks: a learner drafts and sends evidence from the workplace, their coach
reviews it against the rubric, and the path follows: another try re-plans, acceptance counts
as mastery. Every try and review stays in the history both of them see."""

import io
import re

from sqlalchemy import func, select

from lxp.channels.in_app import InAppMessage
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.files.models import StoredFile
from lxp.workplace import services as workplace
from lxp.workplace.models import TaskReview, TaskSubmission
from tests.conftest import committing, csrf_from
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    PDF,
    client_for,
    on_path,
    plan_of,
    png,
    task_course_fixture,
    upload_dir_fixture,
)
from tests.seeded_demo import seeded_demo


def _evidence_form(client, ref):
    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    form = page[page.index(f'action="/learn/{ref}/evidence"') :]
    return csrf_from(form), re.search(r'name="event_id" type="hidden" value="([^"]*)"', form).group(1)


def send_evidence(client, ref, *, account="", links="", photos=(), files=(), draft=False, form=None, **kwargs):
    """Fill in the evidence form on the task's page (or the ``form`` read before: its CSRF token
    and event id) and send it, or save it as a draft."""
    token, event_id = form or _evidence_form(client, ref)
    data = {"csrf_token": token, "event_id": event_id, "account": account, "links": links,
            "photos": [(io.BytesIO(content), name) for name, content in photos],
            "files": [(io.BytesIO(content), name) for name, content in files],
            ("save" if draft else "send"): "y"}  # fmt: skip
    return client.post(f"/learn/{ref}/evidence", data=data, content_type="multipart/form-data", **kwargs)


def review_evidence(client, path, outcome, ratings=(3, 3), comment="", event_id=None, **kwargs):
    """Open the evidence on the desk and send a review."""
    page = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "outcome": outcome, "comment": comment,
            "event_id": event_id or re.search(r'name="event_id" type="hidden" value="([^"]*)"', page).group(1)}  # fmt: skip
    data.update({f"rating_{n}": str(r) for n, r in enumerate(ratings)})
    return client.post(path + "/review", data=data, **kwargs)


def fetch(client, path):
    """GET ``path`` and close the response (a file response holds its file open until then)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def _count(app, model, *where):
    with committing(app):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _events(app, verb):
    with committing(app):
        return db.session.execute(
            select(LearningEvent).where(LearningEvent.verb == verb).order_by(LearningEvent.recorded_at)
        ).scalars().all()  # fmt: skip


def _learner_and_coach(app, client, login_as, make_user, task_course, **learner_fields):
    coach_id = make_user(("trainer",), email="coach@example.com", name="Clara Coach")
    learner = login_as("learner", name="Lena Learner", email="lena@example.com", **learner_fields)
    on_path(app, learner.id, task_course["goal"], coach_id)
    return learner, coach_id


def test_a_task_goes_from_draft_to_another_try_to_accepted_with_its_whole_history(
    app, client, login_as, make_user, task_course, mailbox
):
    learner, coach_id = _learner_and_coach(app, client, login_as, make_user, task_course)
    ref = task_course["task"]

    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    assert "<strong>name the feeling</strong>" in page  # the task itself
    assert "Why it is on your path" in page and "Checks Listening on live calls" in page and "Due" in page
    assert 'accept="image/*"' in page and 'capture="environment"' in page and 'enctype="multipart/form-data"' in page
    assert "Reviewed by</dt><dd>Clara Coach" in page

    # A draft is kept on the server, photo and all, and nobody is told yet.
    response = send_evidence(client, ref, account="I named the *frustration* first.", photos=[("call.png", png())],
                             draft=True, follow_redirects=True)  # fmt: skip
    page = response.get_data(as_text=True)
    assert "Draft saved." in page and "I named the *frustration* first." in page and "call.png" in page
    assert mailbox.to("coach@example.com") == [] and _events(app, "attempted") == []
    assert workplace_states(app, learner.id) == {ref: "draft"}

    page = send_evidence(client, ref, account="I named the *frustration* first.", links="https://example.com/call-notes",
                         follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Sent. Your coach will look at it" in page and "Withdraw to change it" in page
    [mail] = mailbox.to("coach@example.com")
    assert "Lena Learner sent evidence for \u201cListen on a real call\u201d" in mail["Subject"]
    [attempted] = _events(app, "attempted")
    assert attempted.actor_id == learner.id and attempted.object_id == ref
    assert workplace_states(app, learner.id) == {ref: "submitted"}

    coach = client_for(app, "coach@example.com")
    desk = coach.get("/desk").get_data(as_text=True)
    assert "Evidence to review" in desk and "Lena Learner" in desk and "Listen on a real call" in desk
    review_path = mailbox.link_in(mail)
    evidence = coach.get(review_path).get_data(as_text=True)
    assert "<em>frustration</em>" in evidence and "https://example.com/call-notes" in evidence
    assert "Names the feeling" in evidence and "Summarises the need" in evidence
    [photo_url] = re.findall(r'<img src="(/files/[0-9a-f]+)"', evidence)
    assert fetch(coach, photo_url).data == png()

    # Another try, with comments: the learner is told, and the path adds remediation and a retry.
    mailbox.messages.clear()
    response = review_evidence(coach, review_path, "needs_another_try", (3, 1),
                               "Good start. **Summarise the need** before you offer a fix.", follow_redirects=True)  # fmt: skip
    assert "Lena Learner is asked for another try" in response.get_data(as_text=True)
    [told] = mailbox.to("lena@example.com")
    assert "Clara Coach asks for another try at \u201cListen on a real call\u201d" in told["Subject"]
    assert "Summarise the need" in mailbox.text_of(told)
    [failed] = _events(app, "failed")
    assert failed.actor_id == learner.id and failed.object_id == ref
    assert failed.result["extensions"]["failed_competencies"] == ["live-calls"]
    steps = plan_of(app, learner.id).open_steps
    reasons = {(s.ref, r.code) for s in steps for r in s.reasons}
    assert (ref, "retry") in reasons and (task_course["lesson"], "remediation") in reasons
    with committing(app):
        note = db.session.execute(select(InAppMessage).where(InAppMessage.user_id == learner.id)).scalar_one()
        assert note.category == "reply" and note.link == f"/learn/{ref}#evidence"

    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    assert "Your coach asks for another try" in page and "<strong>Summarise the need</strong>" in page
    assert "Can do it" in page and "Not yet" in page  # the ratings per criterion
    assert "I named the *frustration* first." in page  # the next try starts from the last

    # The second try is accepted: passed, and mastery of what the task assesses.
    mailbox.messages.clear()
    send_evidence(client, ref, account="I named it, then summarised: *so you need it by Friday*.",
                  photos=[("second.png", png(rgb=(0, 120, 0)))])  # fmt: skip
    [mail] = mailbox.to("coach@example.com")
    second_path = mailbox.link_in(mail)
    assert second_path != review_path
    evidence = coach.get(second_path).get_data(as_text=True)
    assert "Earlier tries" in evidence and "Good start." in evidence  # the first try and its review
    review_evidence(coach, second_path, "accepted", (4, 3), "Exactly that.")
    [passed] = _events(app, "passed")
    assert passed.actor_id == learner.id and passed.result["success"] is True
    [mastered] = _events(app, "mastered")
    assert mastered.object_id == "live-calls" and mastered.context["check"] == ref
    step = next(s for s in plan_of(app, learner.id).steps if s.ref == ref)
    assert step.done
    assert workplace_states(app, learner.id) == {ref: "accepted"}

    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    assert "Your coach has accepted your evidence." in page and "Try 1" in page and "Try 2" in page
    assert "Exactly that." in page and "Good start." in page and 'action="/learn/' + ref + '/evidence"' not in page
    history = coach.get(second_path).get_data(as_text=True)
    assert "Accepted by Clara Coach" in history and "Clara Coach asks for another try" in history
    assert _count(app, TaskSubmission) == 2 and _count(app, TaskReview) == 2


def workplace_states(app, learner_id):
    with committing(app):
        return workplace.task_states(learner_id)


def test_task_states_is_one_query_however_many_tries(app, client, login_as, make_user, task_course):
    from sqlalchemy import event

    learner, _coach = _learner_and_coach(app, client, login_as, make_user, task_course)
    send_evidence(client, task_course["task"], account="First go.")
    statements = []

    def count(connection, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):  # SQLite's BEGIN IMMEDIATE is no query
            statements.append(statement)

    with committing(app):
        engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert workplace.task_states(learner.id) == {task_course["task"]: "submitted"}
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1


def test_a_learner_withdraws_before_review_and_it_is_their_draft_again(
    app, client, login_as, make_user, task_course, mailbox
):
    learner, _coach_id = _learner_and_coach(app, client, login_as, make_user, task_course)
    ref = task_course["task"]
    send_evidence(client, ref, account="Too quick, I forgot the photo.")
    [mail] = mailbox.to("coach@example.com")
    token = csrf_from(client.get(f"/learn/{ref}").get_data(as_text=True))
    page = client.post(f"/learn/{ref}/evidence/withdraw", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Withdrawn. It is your draft again" in page and "Too quick, I forgot the photo." in page
    [retracted] = _events(app, "retracted")
    assert retracted.actor_id == learner.id and retracted.object_id == ref
    assert workplace_states(app, learner.id) == {ref: "draft"}

    coach = client_for(app, "coach@example.com")
    assert "No evidence is waiting" in coach.get("/desk").get_data(as_text=True)
    withdrawn = coach.get(mailbox.link_in(mail))
    assert withdrawn.status_code == 404 and "has withdrawn this evidence" in withdrawn.get_data(as_text=True)

    page = client.post(f"/learn/{ref}/evidence/withdraw", data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "There is no submission waiting for review to withdraw." in page
    assert len(_events(app, "retracted")) == 1

    send_evidence(client, ref, account="Now with the photo.", photos=[("proof.png", png())])
    assert _count(app, TaskSubmission) == 1  # withdrawn and sent again: still the first try
    assert _count(app, StoredFile) == 1


def test_an_empty_submission_is_refused_and_nothing_is_kept(app, client, login_as, make_user, task_course, mailbox):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    response = send_evidence(client, task_course["task"], account="   ", links="\n")
    assert response.status_code == 400
    assert "There is nothing to send yet: add a written account, a photo, a file or a link." in response.get_data(
        as_text=True
    )
    response = send_evidence(client, task_course["task"], draft=True)
    assert response.status_code == 400 and "There is nothing to save yet" in response.get_data(as_text=True)
    assert _count(app, TaskSubmission) == 0 and _events(app, "attempted") == [] and mailbox.messages == []


def test_a_link_that_is_not_a_web_address_is_refused_with_the_files_of_that_submission(
    app, client, login_as, make_user, task_course, upload_dir
):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    response = send_evidence(client, task_course["task"], account="See the notes.", links="javascript:alert(1)",
                             photos=[("call.png", png())])  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is not a web address: links start with http:// or https://." in page
    assert "See the notes." in page  # what was written is not lost
    assert _count(app, TaskSubmission) == 0 and _count(app, StoredFile) == 0
    assert not upload_dir.exists() or not any(p.is_file() for p in upload_dir.rglob("*"))


def test_markdown_with_script_or_javascript_links_is_rendered_harmless(
    app, client, login_as, make_user, task_course, mailbox
):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    ref = task_course["task"]
    account = "Hello <script>alert('x')</script> and [click me](javascript:alert(1)) and <img src=x onerror=alert(2)>"
    send_evidence(client, ref, account=account)
    coach = client_for(app, "coach@example.com")
    review_path = mailbox.link_in(mailbox.to("coach@example.com")[0])
    for html in (coach.get(review_path).get_data(as_text=True), client.get(f"/learn/{ref}").get_data(as_text=True)):
        evidence = html[html.index("Try 1") :] if "Try 1" in html else html[html.index("The evidence") :]
        assert (
            "<script>alert" not in evidence
            and 'href="javascript:' not in evidence
            and "onerror=" not in evidence.replace("onerror=alert(2)&gt;", "")
        )
        assert "click me" in evidence
    review_evidence(
        coach, review_path, "needs_another_try", comment="<script>alert(3)</script>[x](javascript:alert(4))"
    )
    page = client.get(f"/learn/{ref}").get_data(as_text=True)
    assert "<script>alert(3)" not in page and 'href="javascript:' not in page


def test_only_the_learners_coach_may_review_and_a_refused_review_changes_nothing(
    app, client, login_as, make_user, task_course, mailbox, other_organisation
):
    learner, _coach_id = _learner_and_coach(app, client, login_as, make_user, task_course)
    make_user(("trainer",), email="tom@example.com", name="Tom Trainer")
    make_user(("trainer",), email="far@example.com", organisation_id=other_organisation)
    send_evidence(client, task_course["task"], account="My call.")
    review_path = mailbox.link_in(mailbox.to("coach@example.com")[0])

    tom = client_for(app, "tom@example.com")
    refused = tom.get(review_path)
    assert refused.status_code == 403
    assert "Only Lena Learner\u2019s coach can see and review this evidence." in refused.get_data(as_text=True)
    assert "Lena Learner" not in tom.get("/desk").get_data(as_text=True)
    token = csrf_from(tom.get("/desk").get_data(as_text=True))
    response = tom.post(review_path + "/review", data={"csrf_token": token, "outcome": "accepted", "rating_0": "4",
                                                       "rating_1": "4"})  # fmt: skip
    assert response.status_code == 403
    assert "Only Lena Learner\u2019s coach" in response.get_data(as_text=True)

    far = client_for(app, "far@example.com")
    assert far.get(review_path).status_code == 404
    assert _count(app, TaskReview) == 0 and _events(app, "passed") == [] and _events(app, "mastered") == []
    assert workplace_states(app, learner.id) == {task_course["task"]: "submitted"}


def test_a_review_needs_every_rating_and_comments_for_another_try(
    app, client, login_as, make_user, task_course, mailbox
):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    send_evidence(client, task_course["task"], account="My call.")
    review_path = mailbox.link_in(mailbox.to("coach@example.com")[0])
    coach = client_for(app, "coach@example.com")
    mailbox.messages.clear()

    response = review_evidence(coach, review_path, "needs_another_try", (2, 2), comment="  ")
    assert response.status_code == 400
    assert "Say what to do differently in the next try." in response.get_data(as_text=True)
    response = review_evidence(coach, review_path, "accepted", (4,))
    assert response.status_code == 400 and "Rate this criterion." in response.get_data(as_text=True)
    assert _count(app, TaskReview) == 0 and _events(app, "failed") == [] and mailbox.messages == []


def test_a_review_sent_twice_is_one_review(app, client, login_as, make_user, task_course, mailbox):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    send_evidence(client, task_course["task"], account="My call.")
    review_path = mailbox.link_in(mailbox.to("coach@example.com")[0])
    coach = client_for(app, "coach@example.com")
    page = coach.get(review_path).get_data(as_text=True)
    event_id = re.search(r'name="event_id" type="hidden" value="([^"]*)"', page).group(1)
    first = review_evidence(coach, review_path, "accepted", (4, 4), "Well done.", event_id=event_id)
    again = review_evidence(coach, review_path, "accepted", (4, 4), "Well done.", event_id=event_id)
    assert first.status_code == again.status_code == 302
    assert _count(app, TaskReview) == 1 and len(_events(app, "passed")) == 1
    assert len(mailbox.to("lena@example.com")) == 1


def test_a_submission_sent_twice_is_one_submission(app, client, login_as, make_user, task_course, mailbox):
    _learner_and_coach(app, client, login_as, make_user, task_course)
    form = _evidence_form(client, task_course["task"])
    send_evidence(client, task_course["task"], account="Once.", form=form)
    again = send_evidence(client, task_course["task"], account="Once.", form=form)
    assert again.status_code == 302
    assert _count(app, TaskSubmission) == 1 and len(_events(app, "attempted")) == 1
    assert len(mailbox.to("coach@example.com")) == 1


def test_a_learner_without_a_coach_is_told_who_will_review(app, client, login_as, task_course):
    learner = login_as("learner")
    on_path(app, learner.id, task_course["goal"])
    page = client.get(f"/learn/{task_course['task']}").get_data(as_text=True)
    assert "your coach, once one is chosen for you" in page


def test_the_authoring_preview_of_a_task_still_shows_the_task(app, client, login_as, task_course):
    login_as("admin")
    with committing(app):
        from lxp.authoring.models import Item

        item_id = db.session.execute(select(Item.id).where(Item.kind == "workplace_task")).scalar_one()
    page = client.get(f"/admin/courses/{task_course['course']}/items/{item_id}/preview").get_data(as_text=True)
    assert "How your coach will look at it" in page and "Your evidence" not in page


def test_the_demo_has_evidence_waiting_and_evidence_accepted_with_its_history(app, smtp_server, upload_dir):
    from lxp.demo.workplace import seed_workplace

    result = seeded_demo(app, smtp_server)  # ``flask lxp seed-demo`` on an empty database
    assert "Evidence of marcus.johnson@northwind.example: evidence waiting for review." in result.output
    assert "Evidence of kenji.watanabe@northwind.example: evidence accepted on the second try." in result.output
    with committing(app):
        assert seed_workplace() == []  # safe to run again
        tries = db.session.execute(select(TaskSubmission).order_by(TaskSubmission.id)).scalars().all()
        assert [(t.learner.email.split("@")[0], t.status) for t in tries] == [
            ("marcus.johnson", "submitted"),
            ("kenji.watanabe", "needs_another_try"),
            ("kenji.watanabe", "accepted"),
        ]
        coach = workplace.coach_of(tries[0].learner_id)
        assert [s.id for s in db.session.scalars(workplace.reviews_waiting_query(coach))] == [tries[0].id]
