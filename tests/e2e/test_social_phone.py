"""Social learning on phones, in German and in Russian (issue #21's "done when"): a trainer
posts the weekly question tied to a step; a stuck learner asks their coach and their cohort;
a peer answers; the asker marks it helpful; the coach endorses it; the next learner on that
step sees it; a report reaches the trainer's queue and the trainer hides the post. And work
shared in the course's space, chosen over the cohort's, gets feedback a colleague was asked for."""

import re

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect
from sqlalchemy import select

from lxp.accounts.models import User
from lxp.cohorts.models import Cohort
from lxp.extensions import db
from lxp.social import access
from lxp.workplace import services as workplace
from tests.conftest import PASSWORD, committing
from tests.e2e.conftest import PHONE, _page
from tests.integration.test_workplace_fixtures import (  # noqa: F401  (fixtures)
    on_path,
    task_course_fixture,
    upload_dir_fixture,
)


def _sign_in(page, email):
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _words(app, lang):
    """The interface's words in ``lang``, as the app translates them (never the English)."""

    def say(text, **values):
        with app.test_request_context(), force_locale(lang):
            said = gettext(text, **values)
        assert said != text % values if values else said != text, f"{text!r} is not translated into {lang}"
        return said

    return say


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_a_stuck_request_shared_with_the_cohort_helps_the_next_learner(app, browser, live_server, in_flight, make_user,
                                                                       task_course, lang):  # fmt: skip
    say = _words(app, lang)
    trainer = make_user(("trainer",), email="tara@example.com", name="Tara", locale=lang, timezone="Europe/Berlin")
    asker = make_user(("learner",), email="asker@example.com", name="Asker", locale=lang)
    peer = make_user(("learner",), email="peer@example.com", name="Peer", locale=lang)
    later = make_user(("learner",), email="later@example.com", name="Later", locale=lang)
    with committing(app):
        members = list(db.session.scalars(select(User).where(User.id.in_((asker, peer, later)))))
        cohort = Cohort(organisation_id=members[0].organisation_id, name="Team", coach_id=trainer, members=members)
        db.session.add(cohort)
        db.session.flush()
        cohort_id = cohort.id
    for learner in (asker, peer, later):
        on_path(app, learner, task_course["goal"])
    quiz = task_course["quiz"]
    pages = {}
    contexts = []
    for who in ("tara", "asker", "peer", "later"):
        context, page = _page(browser, live_server, PHONE, lang)
        contexts.append(context)
        _sign_in(page, f"{who}@example.com")
        pages[who] = page
    tara, asking, peering, later_page = pages["tara"], pages["asker"], pages["peer"], pages["later"]
    try:
        # The trainer posts the weekly question, tied to the quiz.
        tara.goto(f"/spaces/{cohort_id}")
        tara.locator("#title").fill("Die schwierigste Beschwerde" if lang == "de" else "Самая трудная жалоба")
        tara.locator("#body").fill("**Eine** Geschichte." if lang == "de" else "**Одна** история.")
        tara.locator("#weekly").check()
        tara.locator("#station").select_option(quiz)
        tara.get_by_role("button", name=say("Post"), exact=True).click()
        expect(tara.locator("h1")).to_have_text(
            "Die schwierigste Beschwerde" if lang == "de" else "Самая трудная жалоба"
        )
        _fits(tara)

        # The asker sees the quiet line on Today, then is stuck on the quiz and asks the cohort too.
        asking.goto("/today")
        expect(asking.locator("#weekly-question")).to_contain_text("Team")
        asking.goto(f"/learn/{quiz}")
        asking.locator("summary#stuck-title").click()
        asking.locator("#stuck-note").fill("Welche Frage zuerst?" if lang == "de" else "Какой вопрос задать первым?")
        asking.get_by_role("button", name=say("Ask my coach and %(cohort)s", cohort="Team")).click()
        expect(
            asking.get_by_text(say("Your coach has your request, and %(space)s can answer it too.", space="Team"))
        ).to_be_visible()
        _fits(asking)
        thread_url = asking.url

        # A peer answers.
        peering.goto(thread_url)
        peering.locator("#body").fill(
            "Erst fragen, was passieren soll." if lang == "de" else "Сначала спросить, чего хочет клиент."
        )
        peering.get_by_role("button", name=say("Reply"), exact=True).click()
        expect(peering.locator("ol.messages li")).to_have_count(2)
        _fits(peering)

        # The asker marks it helpful; the coach endorses it.
        asking.reload()
        asking.get_by_role("button", name=say("This helped me")).click()
        expect(asking.get_by_text(say("Thank you: others stuck here will find this answer."))).to_be_visible()
        tara.goto(thread_url)
        tara.get_by_role("button", name=say("Endorse this answer")).click()
        expect(tara.get_by_text(say("Endorsed by %(trainer)s.", trainer="Tara"))).to_be_visible()

        # The next learner on that step finds it.
        later_page.goto(f"/learn/{quiz}")
        expect(later_page.get_by_text(say("Others asked here"))).to_be_visible()
        later_page.get_by_text(say("A peer's answer, endorsed by a trainer")).click()
        expect(later_page.locator(".answered .answer").last).to_contain_text(
            "Erst fragen" if lang == "de" else "Сначала спросить"
        )
        _fits(later_page)

        # A report reaches the trainer, who hides the post.
        later_page.goto(thread_url)
        later_page.locator("details.report summary").last.click()  # the peer's reply
        later_page.get_by_role("button", name=say("Send to the trainers")).last.click()
        expect(later_page.get_by_text(say("Thank you. A trainer will look at it."))).to_be_visible()
        tara.goto("/spaces/moderation")
        expect(tara.locator("section[id^=report-]")).to_have_count(1)
        tara.get_by_role("button", name=say("Hide"), exact=True).click()
        expect(tara.get_by_text(say("Hidden from learners."))).to_be_visible()
        later_page.reload()
        expect(later_page.get_by_text(say("A moderator hid this post."))).to_be_visible()
    finally:
        for context in contexts:
            context.close()
        in_flight.wait_until_idle()


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_work_shared_in_the_course_space_gets_feedback_a_colleague_was_asked_for(app, browser, live_server, in_flight,
                                                                                 make_user, task_course, lang):  # fmt: skip
    """A learner in a cohort chooses the course's space over it for their evidence, asks for
    feedback naming a colleague of another cohort, and reads her structured answer."""
    say = _words(app, lang)
    sharer = make_user(("learner",), email="sharer@example.com", name="Sharer", locale=lang)
    colleague = make_user(("learner",), email="colleague@example.com", name="Colleague", locale=lang)
    with committing(app):
        people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_((sharer, colleague))))}
        org = people[sharer].organisation_id
        db.session.add_all([Cohort(organisation_id=org, name="Team", members=[people[sharer]]),
                            Cohort(organisation_id=org, name="Night shift", members=[people[colleague]])])  # fmt: skip
    for learner in (sharer, colleague):
        on_path(app, learner, task_course["goal"])
    task = task_course["task"]
    text = "Ich habe zuerst das Gefühl benannt." if lang == "de" else "Сначала я назвал чувство клиента."
    with committing(app):
        workplace.save_evidence(db.session.get(User, sharer), task, text, "", [], submit=True)
        course_name = access.course_space_for(db.session.get(User, sharer), task_course["course"]).name
    contexts, pages = [], {}
    for who in ("sharer", "colleague"):
        context, page = _page(browser, live_server, PHONE, lang)
        contexts.append(context)
        _sign_in(page, f"{who}@example.com")
        pages[who] = page
    sharing_page, colleague_page = pages["sharer"], pages["colleague"]
    try:
        sharing_page.goto(f"/learn/{task}")
        expect(sharing_page.get_by_role("button", name=say("Share with my cohort"))).to_be_visible()  # Team
        sharing_page.get_by_role("button", name=say("Share with %(space)s", space=course_name)).click()
        expect(sharing_page.get_by_text(say("Shared with %(space)s. You can stop sharing it at any time.",
                                            space=course_name))).to_be_visible()  # fmt: skip
        question = "War das zu langsam?" if lang == "de" else "Не слишком ли медленно?"
        sharing_page.locator("#question").fill(question)
        sharing_page.get_by_label("Colleague").check()
        sharing_page.get_by_role("button", name=say("Ask for feedback")).click()
        expect(sharing_page.get_by_text(
            say("Asked. The colleagues you named will hear of it, and you will when someone answers."))).to_be_visible()  # fmt: skip
        expect(sharing_page.get_by_text(say("Asks for feedback"), exact=True)).to_be_visible()
        _fits(sharing_page)
        thread_url = sharing_page.url

        colleague_page.goto(thread_url)
        expect(
            colleague_page.get_by_text(say("%(name)s asks: %(question)s", name="Sharer", question=question))
        ).to_be_visible()
        colleague_page.locator("#worked").fill("Ruhig geblieben" if lang == "de" else "Спокойный тон")
        colleague_page.locator("#suggestion").fill("Zusammenfassen" if lang == "de" else "Подвести итог")
        colleague_page.get_by_role("button", name=say("Send feedback")).click()
        expect(colleague_page.locator("ol.messages li")).to_have_count(3)
        _fits(colleague_page)

        sharing_page.goto(f"/learn/{task}")
        expect(sharing_page.get_by_text(say("Shared with %(cohort)s.", cohort=course_name))).to_be_visible()
        sharing_page.goto(thread_url)
        expect(sharing_page.locator("ol.messages li").last).to_contain_text(
            "Zusammenfassen" if lang == "de" else "Подвести итог"
        )
    finally:
        for context in contexts:
            context.close()
        in_flight.wait_until_idle()
