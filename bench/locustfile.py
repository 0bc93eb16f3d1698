"""Simulated people for ``bench/load.py`` (run by Locust in ``.venv-bench``; lxp is not imported).

Learners sign in like a browser, read Today and their path, open a step, finish it through the
player's JSON endpoint with their own event id (a quiz as an attempt), say how it felt, and now
and then send the same completion again as a phone replaying its queue would. Admins read the
journey map. Every write the server acknowledged is written to ``LXP_LOAD_ACKS`` at the end, so
``load.py`` can check that each was stored exactly once.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid

from locust import HttpUser, between, events, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

PEOPLE = json.loads(open(os.environ["LXP_LOAD_PEOPLE"]).read())  # noqa: SIM115, PTH123
NEXT_LEARNER = itertools.count()
ACKNOWLEDGED: list[dict] = []  # {"id", "learner", "kind", "ref"} per acknowledged write
SENT: list[str] = []  # the id of every write sent, answered or not
STEP = re.compile(r'href="/learn/([^"/?#]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


RETRIED: list[str] = []  # each request sent again because its kept-alive connection was closed


class BrowserRetry(Retry):
    """A request whose kept-alive connection the server closed (a worker recycled after
    ``max_requests``) is sent once more on a new connection: a GET as browsers do (RFC 9112,
    9.3.1), a write because each carries its own event id (a completion, an attempt, a pulse:
    the phone's offline queue sends it again the same way, and the server must store it once,
    which load.py checks). Each is counted, and load.py prints the count. (Signing in through
    the form, only when load.py has not signed people in beforehand, is sent again too: a
    second sign-in does no harm.)"""

    def increment(self, method=None, url=None, *args, **kwargs):
        RETRIED.append(f"{method} {url}")
        return super().increment(method, url, *args, **kwargs)


def browser_like(user: HttpUser) -> None:
    retry = BrowserRetry(total=1, connect=1, read=1, status=0, redirect=None, other=0,
                         allowed_methods=frozenset({"GET", "POST"}), raise_on_status=False)  # fmt: skip
    user.client.mount("http://", HTTPAdapter(max_retries=retry))


def sign_in(user: HttpUser, email: str) -> str:
    """Sign in through the form; returns the CSRF token of the signed-in pages."""
    page = user.client.get("/login", name="/login")
    token = CSRF_FIELD.search(page.text).group(1)
    answer = user.client.post("/login", data={"csrf_token": token, "email": email, "password": PEOPLE["password"]},
                              name="/login (post)")  # fmt: skip
    meta = CSRF_META.search(answer.text)
    if "/login" in answer.url or meta is None:
        raise RuntimeError(f"{email} could not sign in")
    return meta.group(1)


def take_session(user: HttpUser, session: dict) -> str:
    """Use a session bench/load.py signed in before the run (the cookies of a real sign-in);
    returns its CSRF token."""
    for name, value in session["cookies"].items():
        user.client.cookies.set(name, value)
    return session["csrf"]


class Learner(HttpUser):
    weight = 30
    wait_time = between(1, 4)  # a person reads between taps

    def on_start(self):
        browser_like(self)
        sessions = PEOPLE.get("sessions")  # signed in beforehand: the run measures pages, not password hashes
        self.number = next(NEXT_LEARNER) % (len(sessions) if sessions else PEOPLE["learners"])
        if sessions:
            self.csrf = take_session(self, sessions[self.number])
        else:
            self.csrf = sign_in(self, PEOPLE["learner_email"].format(n=self.number))
        self.done: list[tuple[str, str]] = []  # (ref, event id) acknowledged, for replays

    @task(4)
    def today(self):
        self.client.get("/today", name="/today")

    @task(2)
    def work_on_a_step(self):
        path = self.client.get("/path", name="/path")
        refs = list(dict.fromkeys(STEP.findall(path.text)))
        if not refs:
            return
        ref = random.choice(refs[:5])  # what is next on the path, roughly
        page = self.client.get(f"/learn/{ref}", name="/learn/<ref>")
        headers = {"X-CSRFToken": self.csrf}
        event_id = str(uuid.uuid4())
        SENT.append(event_id)
        if 'name="q"' in page.text or "data-quiz" in page.text:
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
            token = CSRF_FIELD.search(form.text)
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


class Admin(HttpUser):
    weight = 1
    wait_time = between(5, 15)

    def on_start(self):
        browser_like(self)
        if PEOPLE.get("admin_session"):
            take_session(self, PEOPLE["admin_session"])
        else:
            sign_in(self, PEOPLE["admin_email"])

    @task
    def journey_map(self):
        self.client.get(f"/insights/courses/{random.choice(PEOPLE['course_ids'])}", name="/insights/courses/<id>")


@events.test_stop.add_listener
def write_acknowledged(**_kwargs):
    with open(os.environ["LXP_LOAD_ACKS"], "w") as out:  # noqa: PTH123
        json.dump({"acknowledged": ACKNOWLEDGED, "sent": SENT, "retried": RETRIED}, out)
