"""Simulated people for ``bench/load.py`` (run by Locust in ``.venv-bench``; lxp is not imported).

Learners take the sessions load.py signed in through the real form, read Today and their path, open a step, finish it through the
player's JSON endpoint with their own event id (a quiz as an attempt), say how it felt, and now
and then send the same completion again as a phone replaying its queue would. Admins read the
journey map. Every write the server acknowledged is written to ``LXP_LOAD_ACKS`` at the end, so
``load.py`` can check that each was stored exactly once.

The people are FastHttpUsers (geventhttpclient): Locust's requests-based client cost about
1.5 ms of CPU a request on the same two cores as the server it measures, several times this
one's (Locust's "Increase performance" page).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from http.cookiejar import Cookie

import geventhttpclient.client
from locust import FastHttpUser, between, events, task

PEOPLE = json.loads(open(os.environ["LXP_LOAD_PEOPLE"]).read())  # noqa: SIM115, PTH123
NEXT_LEARNER = itertools.count()
ACKNOWLEDGED: list[dict] = []  # {"id", "learner", "kind", "ref"} per acknowledged write
SENT: list[str] = []  # the id of every write sent, answered or not
STEP = re.compile(r'href="/learn/([^"/?#]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HOST = "127.0.0.1"  # load.py's server


RETRIED: list[str] = []  # each request sent again because its kept-alive connection was closed


def _send_again(method: str) -> bool:
    """A request whose kept-alive connection the server closed (a worker recycled after
    ``max_requests``) is sent once more on a new connection: a GET as browsers do (RFC 9112,
    9.3.1), a write too, because each carries its own event id (a completion, an attempt, a
    pulse: the phone's offline queue sends it again the same way, and the server must store it
    once, which load.py checks). geventhttpclient asks this only when it has a connection left to
    try; each is counted, and load.py prints the count."""
    RETRIED.append(method)
    return True


# geventhttpclient sends only GETs again by itself (its module-level rule, asked per retry).
assert hasattr(geventhttpclient.client, "_may_retry_after_send_error"), "geventhttpclient changed: see _send_again"
geventhttpclient.client._may_retry_after_send_error = _send_again


def take_session(user: FastHttpUser, session: dict) -> str:
    """Use a session bench/load.py signed in before the run (the cookies of a real sign-in);
    returns its CSRF token. The server may replace the cookies later (its session clock, a
    flash): the jar keeps the newest, as a browser does."""
    for name, value in session["cookies"].items():
        user.client.cookiejar.set_cookie(
            Cookie(0, name, value, None, False, HOST, False, False, "/", True, False, None, False, None, None, {})
        )
    return session["csrf"]


class Learner(FastHttpUser):
    weight = 30
    wait_time = between(1, 4)  # a person reads between taps

    def on_start(self):
        sessions = PEOPLE["sessions"]  # signed in beforehand: the run measures pages, not password hashes
        self.number = next(NEXT_LEARNER) % len(sessions)
        self.csrf = take_session(self, sessions[self.number])
        self.done: list[tuple[str, str]] = []  # (ref, event id) acknowledged, for replays

    @task(4)
    def today(self):
        self.client.get("/today", name="/today")

    @task(2)
    def work_on_a_step(self):
        path = self.client.get("/path", name="/path")
        refs = list(dict.fromkeys(STEP.findall(path.text or "")))
        if not refs:
            return
        ref = random.choice(refs[:5])  # what is next on the path, roughly
        page = self.client.get(f"/learn/{ref}", name="/learn/<ref>")
        headers = {"X-CSRFToken": self.csrf}
        event_id = str(uuid.uuid4())
        SENT.append(event_id)
        text = page.text or ""
        if 'name="q"' in text or "data-quiz" in text:
            body = {
                "event_id": event_id,
                "seconds": random.randint(60, 400),
                "answers": {"q": [random.choice([0, 0, 1])]},
            }
            with self.client.post(f"/learn/{ref}/attempt", json=body, headers=headers, name="/learn/<ref>/attempt",
                                  catch_response=True) as answer:  # fmt: skip
                self._acknowledge(answer, event_id, "attempt", ref)
        else:
            body = {"event_id": event_id, "seconds": random.randint(60, 600), "fields": {}}
            with self.client.post(f"/learn/{ref}/done", json=body, headers=headers, name="/learn/<ref>/done",
                                  catch_response=True) as answer:  # fmt: skip
                self._acknowledge(answer, event_id, "completed", ref)
        if random.random() < 0.5:
            pulse_id = str(uuid.uuid4())
            SENT.append(pulse_id)
            form = self.client.get(f"/learn/{ref}/pulse", name="/learn/<ref>/pulse")
            token = CSRF_FIELD.search(form.text or "")
            data = {"csrf_token": token.group(1) if token else self.csrf, "event_id": pulse_id,
                    "mood": random.randint(1, 5), "effort": random.randint(1, 5)}  # fmt: skip
            with self.client.post(f"/learn/{ref}/pulse", data=data, name="/learn/<ref>/pulse (post)",
                                  catch_response=True, allow_redirects=False) as answer:  # fmt: skip
                self._acknowledge(answer, pulse_id, "pulse", ref)

    @task(1)
    def replay_a_completion(self):
        """The phone's offline queue sends a completion again: same id, counted once."""
        if not self.done:
            return
        ref, event_id = random.choice(self.done)
        body = {"event_id": event_id, "seconds": 120, "fields": {}}
        with self.client.post(f"/learn/{ref}/done", json=body, name="/learn/<ref>/done (replay)",
                              headers={"X-CSRFToken": self.csrf, "X-LXP-Replay": "1"}, catch_response=True) as answer:  # fmt: skip
            if answer.status_code != 200:
                answer.failure(f"a replay answered {answer.status_code}")

    def _acknowledge(self, answer, event_id: str, kind: str, ref: str) -> None:
        if answer.status_code in (200, 201, 302, 303):
            ACKNOWLEDGED.append({"id": event_id, "learner": self.number, "kind": kind, "ref": ref})
            if kind == "completed":
                self.done.append((ref, event_id))
            answer.success()
        elif answer.status_code in (409, 422):  # refused with a reason (say, a step not open yet): not lost
            answer.success()
        else:
            answer.failure(f"{answer.status_code}")


class Admin(FastHttpUser):
    weight = 1
    wait_time = between(5, 15)

    def on_start(self):
        take_session(self, PEOPLE["admin_session"])

    @task
    def journey_map(self):
        self.client.get(f"/insights/courses/{random.choice(PEOPLE['course_ids'])}", name="/insights/courses/<id>")


@events.test_stop.add_listener
def write_acknowledged(**_kwargs):
    with open(os.environ["LXP_LOAD_ACKS"], "w") as out:  # noqa: PTH123
        json.dump({"acknowledged": ACKNOWLEDGED, "sent": SENT, "retried": RETRIED}, out)
