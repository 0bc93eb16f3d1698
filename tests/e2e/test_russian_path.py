"""A Russian learner chooses the demo's Russian goal on a phone and never sees English on their
path (issue #19): the goal page, the path, Today, every step and its pulse, all in Russian; and
on the full package, every kind of step done as she would do it, with what each answer shows,
read whole (title, navigation, labels and hidden text a screen reader says, not just the page's
main part)."""

import re

from playwright.sync_api import expect

from lxp import demo
from lxp.core import unit_of_work
from lxp.extensions import db
from tests.conftest import committing

# Latin words of three letters or more in what the page shows (lxp's and her own name aside).
ENGLISH = """() => (document.querySelector('main').innerText.match(/[A-Za-z]{3,}/g) || [])
  .filter(word => !['lxp', 'Anna', 'Ivanova'].includes(word))"""


def test_a_russian_learner_chooses_a_russian_goal_and_never_sees_english(app, phone):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        unit_of_work.commit()
        db.session.remove()
    page = phone
    page.goto("/login")
    page.get_by_label("E-mail").fill("anna.ivanova@northwind.example")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    page.goto("/path/goals")
    goals = page.locator("fieldset").first.locator("label")
    expect(goals.first).to_contain_text("Разобрать жалобу так, чтобы клиент остался")
    expect(goals.first.locator(".lang-mark")).to_have_count(0)
    for label in goals.all()[1:]:  # the others say which language they are in
        expect(label.locator(".lang-mark")).to_have_count(1)
    page.get_by_role("checkbox", name="Разобрать жалобу так, чтобы клиент остался").check()
    page.get_by_role("radio", name="Разобрать жалобу так, чтобы клиент остался — Основы за 2 недели").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/path$"))

    steps = page.locator(".station a[href^='/learn/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(steps) >= 5, steps
    seen = {}
    for address in ["/path", "/today", *steps, *(f"{step}/pulse" for step in steps)]:
        page.goto(address)
        english = page.evaluate(ENGLISH)
        if english:
            seen[address] = english
    assert not seen, f"English on Anna's path: {seen}"


# Latin words of three letters or more anywhere a person sees or hears them: the title, every
# text (hidden ones a screen reader reads too, text marked as another language aside), and the
# labels, titles, placeholders and alternative texts of elements.
EVERYWHERE = """() => {
  const words = [];
  const take = text => words.push(...((text || '').match(/[A-Za-z]{3,}/g) || []));
  take(document.title);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement, marked = parent.closest('[lang]');
    if (!parent.closest('script, style, template') && !(marked && !marked.lang.startsWith('ru')))
      take(walker.currentNode.textContent);
  }
  for (const element of document.body.querySelectorAll('[aria-label], [title], [placeholder], [alt]'))
    ['aria-label', 'title', 'placeholder', 'alt'].forEach(name => take(element.getAttribute(name)));
  return words;
}"""
# lxp's name, hers, and Markdown (the name of the format the evidence box takes).
NAMES = {"lxp", "Anna", "Ivanova", "Markdown"}
ANSWER = "Клиент договорил, я повторила суть и предложила решение."


def test_on_the_full_package_anna_does_every_kind_of_step_and_reads_only_russian(app, phone):
    with committing(app):
        demo.seed()
        demo.seed_courses()
        unit_of_work.commit()
        db.session.remove()
    page = phone
    seen = {}

    def look(where):
        english = sorted(set(page.evaluate(EVERYWHERE)) - NAMES)
        if english:
            seen[where] = english

    page.goto("/login")
    page.get_by_label("E-mail").fill("anna.ivanova@northwind.example")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.goto("/path/goals")
    look("goals")
    page.get_by_role("checkbox", name="Разобрать жалобу так, чтобы клиент остался").check()
    page.get_by_role("radio", name="Разобрать жалобу так, чтобы клиент остался — Полный курс за 4 недели").check()
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/path$"))
    look("path")
    steps = page.locator(".station a[href^='/learn/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    kinds = ("lesson", "quiz", "reflection", "job-aid", "live", "task", "coaching")
    assert all(any(kind in step for step in steps) for kind in kinds), steps

    did = []
    for step in steps:
        page.goto(step)
        look(step)
        check, evidence = (
            page.get_by_role("button", name="Проверить ответы"),
            page.locator("main form[action$='/evidence']"),
        )
        done = page.locator("main form:not([action])").filter(has=page.locator("button"))
        if check.count():
            for question in page.locator("main fieldset").all():  # the first answer of each: some are wrong
                question.locator("input").first.check()
            check.click()
            expect(page.locator("#result")).to_be_visible()
            look(f"{step} after checking the answers")
            did.append("checked")
        elif evidence.count():
            evidence.locator("textarea").first.fill(ANSWER)
            with page.expect_navigation():
                evidence.locator("[name=send]").click()
            look(f"{step} after sending the evidence")
            did.append("evidence")
        elif done.count():
            for box in done.locator("textarea:visible").all():
                box.fill(ANSWER)
            with page.expect_navigation():
                done.locator("button").first.click()
            look(f"{step} once done")
            did.append("done")
        page.goto(f"{step}/pulse")
        look(f"{step}/pulse")

    assert did.count("checked") == 2 and did.count("evidence") == 1 and did.count("done") >= 4, did

    # What comes of it: her asking for help, the path and Today after a day's work, her inbox.
    page.goto(steps[0])
    page.locator("#stuck-title").click()
    page.locator("#stuck-note").fill("Не понимаю второй пример.")
    with page.expect_navigation():
        page.get_by_role("button", name="Попросить помощи").click()
    look("after asking for help")
    for address in ("/path", "/today", "/inbox", "/coaching", "/sessions"):
        page.goto(address)
        look(address)
    assert not seen, f"English on Anna's path: {seen}"
