"""Cohort spaces (issue #21): a trainer posts the weekly question tied to a step, learners
reply, quote and mention each other, a mention reaches the person through the touchpoints
(respecting "fewer like this" and quiet hours), Today shows one quiet line while the question
is open, and nobody opens another cohort's or organisation's space."""

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from lxp.accounts.models import User
from lxp.core.time import utcnow
from lxp.events import LearningEvent
from lxp.extensions import db
from lxp.nudges import services as nudges
from lxp.social.models import SpacePost, SpaceThread
from tests.conftest import committing, page_cost, statements_sent, submit
from tests.integration.social_fixtures import _client, digest_of, next_noon_utc, plan_and_deliver, world_fixture  # noqa: F401  (fixtures)


def _weekly(client, world, title="This week: your hardest complaint so far"):
    return submit(client, f"/spaces/{world['a']}/threads",
                  {"title": title, "body": "Tell us **one** thing.", "weekly": "y", "station": world["quiz"]},
                  form_page=f"/spaces/{world['a']}")  # fmt: skip


def _thread_id(app, title):
    with committing(app):
        return db.session.scalar(select(SpaceThread.id).where(SpaceThread.title == title))


def test_the_trainer_posts_the_weekly_question_and_learners_reply_quote_and_mention(app, world):
    trainer = _client(app, "tara@example.com")
    response = _weekly(trainer, world)
    assert response.status_code == 302
    thread_id = _thread_id(app, "This week: your hardest complaint so far")
    page = trainer.get(response.headers["Location"]).get_data(as_text=True)
    assert "The weekly question, open until" in page and "Check: listening" in page
    assert "<strong>one</strong>" in page  # Markdown, rendered

    lena = _client(app, "lena@example.com")
    today = lena.get("/today").get_data(as_text=True)
    assert "This week in Cohort A: This week: your hardest complaint so far" in today
    with committing(app):
        opening = db.session.scalar(select(SpacePost.id).where(SpacePost.thread_id == thread_id))
    reply = submit(lena, f"/spaces/threads/{thread_id}/replies",
                   {"body": "A caller who wanted a refund twice. @mia maier how did you handle yours?",
                    "quote": str(opening)}, form_page=f"/spaces/threads/{thread_id}?quote={opening}")  # fmt: skip
    assert reply.status_code == 302
    assert "you replied" in lena.get("/today").get_data(as_text=True)

    mia = _client(app, "mia@example.com")
    page = mia.get(f"/spaces/threads/{thread_id}").get_data(as_text=True)
    assert "Lena Learner" in page and "Tara Trainer wrote:" in page and "refund twice" in page
    space = mia.get(f"/spaces/{world['a']}").get_data(as_text=True)
    assert "1 reply" in space and "Lena Learner" in space

    with committing(app):
        verbs = sorted(db.session.scalars(select(LearningEvent.verb).where(
            LearningEvent.object_type.in_(("space_thread", "space_post")))))  # fmt: skip
        mention = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == "mentioned"))
    assert verbs == ["mentioned", "posted", "replied"]
    assert mention.context["person"] == world["mia"] and mention.actor_id == world["lena"]


def test_times_in_a_thread_are_in_the_viewers_time_zone(app, world):
    trainer = _client(app, "tara@example.com")
    _weekly(trainer, world)
    thread_id = _thread_id(app, "This week: your hardest complaint so far")
    with committing(app):
        post = db.session.scalar(select(SpacePost).where(SpacePost.thread_id == thread_id))
        post.created_at = datetime(2026, 11, 29, 23, 50, tzinfo=UTC)  # already Monday in Berlin
    mia_page = _client(app, "mia@example.com").get(f"/spaces/threads/{thread_id}").get_data(as_text=True)
    lena_page = _client(app, "lena@example.com").get(f"/spaces/threads/{thread_id}").get_data(as_text=True)
    assert "Tara Trainer · Nov 30, 2026, 12:50\u202fAM" in mia_page  # Berlin
    assert "Tara Trainer · Nov 29, 2026, 11:50\u202fPM" in lena_page  # UTC


def _plan_and_deliver(app, at):
    return plan_and_deliver(app, at, "mentioned")


def test_a_mention_reaches_the_person_through_the_touchpoints(app, world):
    lena = _client(app, "lena@example.com")
    submit(lena, f"/spaces/{world['a']}/threads", {"title": "Refunds", "body": "@Mia Maier, a question for you"},
           form_page=f"/spaces/{world['a']}")  # fmt: skip
    outcome = _plan_and_deliver(app, next_noon_utc())
    assert outcome == {(world["mia"], "sent", None)}
    mia = _client(app, "mia@example.com")
    inbox = mia.get("/inbox").get_data(as_text=True)
    assert "Lena Learner mentioned you in \u201cRefunds\u201d" in inbox


def test_a_mention_of_the_trainer_reaches_them_like_a_learner(app, world):
    mia = _client(app, "mia@example.com")
    submit(mia, f"/spaces/{world['a']}/threads", {"title": "Escalations", "body": "@Tara Trainer, when do we escalate?"},
           form_page=f"/spaces/{world['a']}")  # fmt: skip
    assert _plan_and_deliver(app, next_noon_utc()) == {(world["trainer"], "sent", None)}
    inbox = _client(app, "tara@example.com").get("/inbox").get_data(as_text=True)
    assert "Mia Maier mentioned you in \u201cEscalations\u201d" in inbox
    with committing(app):
        nudges.mute_rule(db.session.get(User, world["trainer"]), "mentioned")
    submit(mia, f"/spaces/{world['a']}/threads", {"title": "Again", "body": "@tara trainer once more"},
           form_page=f"/spaces/{world['a']}")  # fmt: skip
    assert (world["trainer"], "skipped", "rule_muted") in _plan_and_deliver(app, next_noon_utc())


def test_a_mention_respects_fewer_like_this_and_quiet_hours(app, world):
    with committing(app):
        nudges.mute_rule(db.session.get(User, world["mia"]), "mentioned")
    lena = _client(app, "lena@example.com")
    submit(lena, f"/spaces/{world['a']}/threads", {"title": "Refunds", "body": "@Mia Maier and @Lena Learner"},
           form_page=f"/spaces/{world['a']}")  # fmt: skip
    noon = next_noon_utc()
    assert _plan_and_deliver(app, noon) == {(world["mia"], "skipped", "rule_muted")}  # nobody mentions themselves

    ben_thread = submit(_client(app, "tara@example.com"), f"/spaces/{world['b']}/threads",
                        {"title": "Hello B", "body": "Welcome @Ben Other"}, form_page=f"/spaces/{world['b']}")  # fmt: skip
    assert ben_thread.status_code == 302
    night = noon.replace(hour=23)  # Ben's quiet hours (21:00-07:30 UTC by default)
    found = _plan_and_deliver(app, night)
    assert (world["ben"], "pending", "quiet_hours") in found


def test_a_learner_cannot_post_the_weekly_question(app, world):
    lena = _client(app, "lena@example.com")
    response = _weekly(lena, world, title="Mine")
    assert response.status_code == 400 and "Only trainers and admins post the weekly question." in response.get_data(
        as_text=True
    )
    assert _thread_id(app, "Mine") is None


def test_bad_input_re_renders_the_form_with_errors(app, world):
    trainer = _client(app, "tara@example.com")
    response = submit(trainer, f"/spaces/{world['a']}/threads", {"title": "", "body": ""},
                      form_page=f"/spaces/{world['a']}")  # fmt: skip
    assert response.status_code == 400 and "This field is required." in response.get_data(as_text=True)
    response = submit(trainer, f"/spaces/{world['a']}/threads",
                      {"title": "Q", "body": "x", "weekly": "y", "station": ""}, form_page=f"/spaces/{world['a']}")  # fmt: skip
    assert response.status_code == 400
    assert "Choose the step of the path this question is about." in response.get_data(as_text=True)
    response = submit(trainer, f"/spaces/{world['a']}/threads",
                      {"title": "Q", "body": "x", "weekly": "y", "station": "999:nope"}, form_page=f"/spaces/{world['a']}")  # fmt: skip
    assert response.status_code == 400
    _weekly(trainer, world)
    thread_id = _thread_id(app, "This week: your hardest complaint so far")
    response = submit(trainer, f"/spaces/threads/{thread_id}/replies", {"body": "x" * 10_001},
                      form_page=f"/spaces/threads/{thread_id}")  # fmt: skip
    assert response.status_code == 400
    response = submit(trainer, f"/spaces/threads/{thread_id}/replies", {"body": "hi", "quote": "999999"},
                      form_page=f"/spaces/threads/{thread_id}")  # fmt: skip
    assert response.status_code == 400 and "You can quote a post of this thread only." in response.get_data(
        as_text=True
    )


def test_a_new_weekly_question_closes_the_last_and_today_forgets_a_closed_one(app, world):
    trainer = _client(app, "tara@example.com")
    _weekly(trainer, world, title="First week")
    _weekly(trainer, world, title="Second week")
    today = _client(app, "lena@example.com").get("/today").get_data(as_text=True)
    assert "Second week" in today and "First week" not in today
    with committing(app):
        for thread in db.session.scalars(select(SpaceThread)):
            thread.open_until = utcnow() - timedelta(minutes=1)
    assert 'id="weekly-question"' not in _client(app, "lena@example.com").get("/today").get_data(as_text=True)


def test_nobody_opens_another_cohorts_or_organisations_space(app, world):
    trainer = _client(app, "tara@example.com")
    _weekly(trainer, world)
    thread_id = _thread_id(app, "This week: your hardest complaint so far")
    with committing(app):
        far_thread = SpaceThread(organisation_id=db.session.get(User, world["far"]).organisation_id,
                                 cohort_id=world["far_cohort"], author_id=world["far"], title="Far away")  # fmt: skip
        far_thread.posts.append(SpacePost(author_id=world["far"], body="far"))
        db.session.add(far_thread)
        db.session.flush()
        far_id = far_thread.id
    ben = _client(app, "ben@example.com")
    outsider = _client(app, "out@other.example")
    lena = _client(app, "lena@example.com")
    for client, own in ((ben, f"/spaces/{world['b']}"), (outsider, f"/spaces/{world['far_cohort']}")):
        assert client.get(f"/spaces/{world['a']}").status_code == 404
        assert client.get(f"/spaces/threads/{thread_id}").status_code == 404
        assert (
            submit(client, f"/spaces/{world['a']}/threads", {"title": "x", "body": "y"}, form_page=own).status_code
            == 404
        )
        assert submit(client, f"/spaces/threads/{thread_id}/replies", {"body": "y"}, form_page=own).status_code == 404
        assert "Cohort A" not in client.get("/spaces").get_data(as_text=True)
    assert "This week in" not in ben.get("/today").get_data(as_text=True)
    assert lena.get(f"/spaces/threads/{far_id}").status_code == 404
    assert lena.get(f"/spaces/{world['far_cohort']}").status_code == 404
    assert lena.get(f"/spaces/{world['b']}").status_code == 404
    with committing(app):
        assert db.session.scalar(select(SpacePost.id).where(SpacePost.body == "y")) is None


def test_an_empty_space_and_a_learner_in_no_cohort(app, world, make_user):
    lena = _client(app, "lena@example.com")
    assert f'href="/spaces/{world["a"]}"' in lena.get("/spaces").get_data(as_text=True)
    page = lena.get(f"/spaces/{world['a']}").get_data(as_text=True)
    assert "Nothing here yet." in page
    make_user(("learner",), email="alone@example.com")
    alone = _client(app, "alone@example.com")
    assert "You are in no cohort yet" in alone.get("/spaces").get_data(as_text=True)
    assert alone.get("/today").status_code == 200


def test_the_weekly_digest_says_in_one_line_how_many_colleagues_answered(app, world):
    from tests.integration.test_workplace_fixtures import on_path

    on_path(app, world["lena"], world["goal"])
    trainer = _client(app, "tara@example.com")
    _weekly(trainer, world)
    thread_id = _thread_id(app, "This week: your hardest complaint so far")
    for email in ("lena@example.com", "mia@example.com"):
        submit(_client(app, email), f"/spaces/threads/{thread_id}/replies", {"body": "mine"},
               form_page=f"/spaces/threads/{thread_id}")  # fmt: skip
    digest = digest_of(app, world["lena"])
    assert "1 colleague answered this week's question in your spaces." in digest.body


def test_the_space_lists_each_threads_replies_and_repliers_in_two_statements(app, world):
    """The list of a space's threads says how many replies each has and who wrote them (each
    person once, in the order of their first reply), without the opening post or hidden and
    deleted replies; and it takes two statements whether the space has one thread or seven."""
    from lxp.cohorts.models import Cohort
    from lxp.social import moderation
    from lxp.social import services as social

    def listed(viewer_key):
        with committing(app):
            viewer, cohort = db.session.get(User, world[viewer_key]), db.session.get(Cohort, world["a"])
            with statements_sent(app) as statements:
                rows = social.threads_of(viewer, cohort)
            return {row.thread.title: (row.replies, row.repliers) for row in rows}, len(statements)

    with committing(app):
        person = {key: db.session.get(User, world[key]) for key in ("trainer", "lena", "mia")}
        cohort = db.session.get(Cohort, world["a"])
        busy = social.start_thread(person["lena"], cohort, "Difficult calls", "How do you open them?")
        for author, text in (("mia", "With the name."), ("trainer", "Slowly."), ("mia", "And a pause."),
                             ("lena", "Thanks!")):  # fmt: skip
            social.reply(person[author], busy, text)
        hidden = social.reply(person["trainer"], busy, "Off topic.")
        deleted = social.reply(person["lena"], busy, "Typo.")
        moderation.hide_post(person["trainer"], hidden.id)
        moderation.delete_post(person["lena"], deleted.id)
        social.start_thread(person["mia"], cohort, "Quiet one", "Anyone?")
    shown, one_space = listed("lena")
    assert shown == {"Difficult calls": (4, ["Mia Maier", "Tara Trainer", "Lena Learner"]), "Quiet one": (0, [])}
    assert one_space == 2
    with committing(app):
        for n in range(5):
            social.start_thread(
                db.session.get(User, world["mia"]), db.session.get(Cohort, world["a"]), f"More {n}", "x"
            )
    shown, busier_space = listed("lena")
    assert len(shown) == 7 and busier_space == one_space


def test_a_thread_page_takes_as_many_statements_with_many_authors_as_with_one(app, world):
    """The thread page loads its posts with their authors together, not each author (and their
    roles) on its own when the page names them."""
    from lxp.cohorts.models import Cohort
    from lxp.social import services as social

    with committing(app):
        cohort, lena_user = db.session.get(Cohort, world["a"]), db.session.get(User, world["lena"])
        thread = social.start_thread(lena_user, cohort, "Openers", "Which work?")
        thread_id, opening = thread.id, thread.posts[0].id
        social.reply(lena_user, thread, "I start with the weather.", quote_id=opening)
    lena = _client(app, "lena@example.com")
    alone, _page = page_cost(app, lena, f"/spaces/threads/{thread_id}")
    with committing(app):
        thread = db.session.get(SpaceThread, thread_id)
        asked = social.reply(db.session.get(User, world["mia"]), thread, "A question about their day.").id
        social.reply(db.session.get(User, world["trainer"]), thread, "Their name, then a pause.", quote_id=asked)
    with_others, page = page_cost(app, lena, f"/spaces/threads/{thread_id}")
    assert "Mia Maier" in page and "Tara Trainer" in page and "Mia Maier wrote:" in page
    assert with_others == alone


def test_a_long_thread_shows_fifty_replies_a_page_and_a_link_to_a_post_finds_its_page(app, world):
    """A weekly question a whole cohort answered reads 50 replies a page under its question;
    a post's address (a mention, a report, a reply just sent) opens the page it is on."""
    from lxp.cohorts.models import Cohort
    from lxp.social import services as social

    with committing(app):
        cohort, lena_user = db.session.get(Cohort, world["a"]), db.session.get(User, world["lena"])
        people = [db.session.get(User, world[key]) for key in ("mia", "trainer")]
        thread = social.start_thread(lena_user, cohort, "Openers", "Which **opener** works?")
        thread_id, started = thread.id, thread.created_at
        replies = [social.reply(people[n % 2], thread, f"Answer number {n}.").id for n in range(100)]
        for n, post_id in enumerate(replies):  # a minute apart yesterday, in the order written
            db.session.get(SpacePost, post_id).created_at = started - timedelta(days=1, minutes=-n)
    lena = _client(app, "lena@example.com")
    address = f"/spaces/threads/{thread_id}"

    def answers(page: str) -> list[int]:
        return [int(n) for n in re.findall(r"Answer number (\d+)\.", page)]

    first = lena.get(address).get_data(as_text=True)
    assert "<strong>opener</strong>" in first and answers(first) == list(range(50))
    assert "Page 1 of 2" in first and f'href="{address}?page=2"' in first
    second = lena.get(f"{address}?page=2").get_data(as_text=True)
    assert "<strong>opener</strong>" in second and answers(second) == list(range(50, 100))
    assert "50 earlier replies on the pages before." in second and f'href="{address}?page=1"' in second
    assert answers(lena.get(f"{address}?page=7").get_data(as_text=True)) == list(range(50, 100))
    assert answers(lena.get(f"{address}?page=-3").get_data(as_text=True)) == list(range(50))
    assert page_cost(app, lena, address)[0] == page_cost(app, lena, f"{address}?page=2")[0]
    # Quoting on the second page stays there.
    assert f"{address}?quote={replies[60]}&amp;page=2#reply" in second

    assert lena.get(f"/spaces/posts/{replies[49]}").location == f"{address}#post-{replies[49]}"
    assert lena.get(f"/spaces/posts/{replies[50]}").location == f"{address}?page=2#post-{replies[50]}"
    with committing(app):
        opening = social.opening_post_id(thread_id)
    assert lena.get(f"/spaces/posts/{opening}").location == f"{address}#post-{opening}"
    # A reply sent back for a mistake shows the last page, where it would have gone.
    refused = submit(lena, f"{address}/replies", {"body": "  "}, form_page=address)
    assert refused.status_code == 400 and answers(refused.get_data(as_text=True)) == list(range(50, 100))
    # The hundred-and-first reply opens a third page, where its author lands.
    sent = submit(lena, f"{address}/replies", {"body": "Answer number 100."}, form_page=address)
    with committing(app):
        newest = db.session.scalar(select(func.max(SpacePost.id)).where(SpacePost.thread_id == thread_id))
    assert sent.location == f"{address}?page=3#post-{newest}"
    third = lena.get(f"{address}?page=3").get_data(as_text=True)
    assert answers(third) == [100] and "Page 3 of 3" in third
    # A learner of another cohort finds no post there.
    assert _client(app, "ben@example.com").get(f"/spaces/posts/{replies[50]}").status_code == 404


def test_a_busy_space_lists_its_threads_a_page_at_a_time_the_open_question_first(app, world):
    """A space busy for a year shows 30 threads a page, newest activity first after the open
    weekly question, with links to older and newer ones; a page past the end leads back."""
    from lxp.cohorts.models import Cohort
    from lxp.social import services as social

    trainer = _client(app, "tara@example.com")
    _weekly(trainer, world, title="Open question")
    with committing(app):
        mia, cohort = db.session.get(User, world["mia"]), db.session.get(Cohort, world["a"])
        for n in range(64):
            thread = social.start_thread(mia, cohort, f"Thread {n:02d}", "x")
            thread.last_post_at = utcnow() + timedelta(minutes=n)  # Thread 63 the latest
    lena = _client(app, "lena@example.com")
    first = lena.get(f"/spaces/{world['a']}").get_data(as_text=True)
    titles = [t for t in re.findall(r"<strong>(?:This week: )?([^<]+)</strong>", first)]
    assert titles[:3] == ["Open question", "Thread 63", "Thread 62"] and len(titles) == 30
    assert "Older threads" in first and "Newer threads" not in first
    third = lena.get(f"/spaces/{world['a']}?page=3").get_data(as_text=True)
    assert re.findall(r"<strong>([^<]+)</strong>", third) == [f"Thread {n:02d}" for n in range(4, -1, -1)]
    assert "Newer threads" in third and "Older threads" not in third
    past = lena.get(f"/spaces/{world['a']}?page=9").get_data(as_text=True)
    assert "Back to the newest threads" in past and "Thread" not in past.split("<h1>", 1)[1].split("new-thread")[0]
    statements = [page_cost(app, lena, f"/spaces/{world['a']}?page={n}")[0] for n in (1, 3)]
    assert statements[0] == statements[1]
