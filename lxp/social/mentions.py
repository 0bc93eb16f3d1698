"""@mentions: who a post names, and the touchpoint that tells them.

A post names someone by writing ``@`` and their display name as shown in the space (case
does not matter). Each person named gets one ``mentioned`` event; the touchpoint rule
``mentioned`` (``lxp.nudges.rules``) turns it into a message through the outbox, so the
learner's channels, quiet hours, weekly cap and "fewer like this" apply as to every other
touchpoint. The describer below tells the planner what the message says, and drops it when
the post is gone or the person can no longer open the space.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select

from lxp.accounts.models import User
from lxp.channels import path_for
from lxp.extensions import db
from lxp.nudges import triggers
from lxp.social import access
from lxp.social.models import SpacePost, SpaceThread


def mentioned(body: str, people: Mapping[int, str]) -> set[int]:
    """The ids of ``people`` (id -> display name) that ``body`` names as ``@Display Name``.
    Pure. A longer name wins over a shorter one it starts with (``@Ana Maria`` is not ``@Ana``)."""
    found: set[int] = set()
    taken: list[tuple[int, int]] = []
    for person, name in sorted(people.items(), key=lambda p: -len(p[1])):
        if not name.strip():
            continue
        for match in re.finditer(r"(?<![\w@])@" + re.escape(name.strip()) + r"(?!\w)", body, re.IGNORECASE):
            if any(start <= match.start() < end for start, end in taken):
                continue
            taken.append(match.span())
            found.add(person)
    return found


@triggers.describes("space_post")
def describe_mentions(rows) -> list:
    """For the ``mentioned`` rule: the post's author and thread, and a link to the post; None
    where the post was deleted or hidden, or the person may no longer open the space."""
    ids = {int(r.object_id) for r in rows if str(r.object_id).isdigit()}
    posts = {
        post.id: (post, thread)
        for post, thread in db.session.execute(
            select(SpacePost, SpaceThread).join(SpaceThread, SpaceThread.id == SpacePost.thread_id)
            .where(SpacePost.id.in_(ids))
        ).all()
    }  # fmt: skip
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({r.recipient for r in rows})))}
    authors = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_({r.actor_id for r in rows}))).all())  # fmt: skip
    described = []
    for row in rows:
        found = posts.get(int(row.object_id)) if str(row.object_id).isdigit() else None
        person = people.get(row.recipient)
        if found is None or person is None or not found[0].visible or found[1].deleted_at is not None:
            described.append((None, None, None))
            continue
        post, thread = found
        if not access.may_see_thread(person, thread):
            described.append((None, None, None))
            continue
        described.append((None, triggers.course_of_ref(thread.item_ref), {
            "author": authors.get(row.actor_id, ""), "thread": thread.title,
            "link": path_for("social.open_post", post_id=post.id),
        }))  # fmt: skip
    return described
