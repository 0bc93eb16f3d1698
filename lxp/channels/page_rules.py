"""The pages messages link to, as URL rules the scheduler's app builds its links with.

Messages and mails build their links with ``path_for`` and ``external_url`` (see
``lxp.channels``), which need the pages' URL rules. The web app has them from its blueprints;
the scheduler's app (``create_app(kind="scheduler")``) adds these build-only copies instead, so
it never imports the view modules, their forms and WTForms (issue 20). A rule here must be the
page's rule exactly: ``tests/integration/test_message_links.py`` compares each with the web
app's and fails when a message links to an endpoint missing here.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import Rule

PAGE_RULES: dict[str, str] = {
    "accounts.accept_invitation": "/invitation/<token>",
    "accounts.login": "/login",
    "accounts.profile": "/me",
    "accounts.reset_password": "/password/reset/<token>",
    "coaching.conversations": "/coaching",
    "coaching.desk_thread": "/desk/coaching/<int:thread_id>",
    "coaching.help_request_desk": "/desk/help/<int:request_id>",
    "coaching.my_help_requests": "/help",
    "coaching.thread": "/coaching/<int:thread_id>",
    "core.home": "/",
    "credentials.issuer_profile": "/issuers/<slug>",
    "credentials.status_list": "/issuers/<slug>/status/revocation",
    "effect.open_link": "/t/<token>",
    "learning.block": "/learn/<ref>",
    "learning.path": "/path",
    "learning.today": "/today",
    "learning.trainer_desk": "/desk",
    "live.session": "/sessions/<int:session_id>",
    "managers.my_team": "/team",
    "nudges.notifications": "/profile/notifications",
    "nudges.unsubscribe": "/unsubscribe/<token>",
    "review.recall": "/review/<int:card_id>",
    "social.open_post": "/spaces/posts/<int:post_id>",
    "sso.start": "/sso/<slug>/start",
    "workplace.review_page": "/desk/evidence/<int:submission_id>",
}


def add_to(app: Flask) -> None:
    """Give ``app`` the rules of the pages messages link to, for building links only: a
    request to one of them would find no page (the scheduler serves none)."""
    for endpoint, rule in PAGE_RULES.items():
        app.url_map.add(Rule(rule, endpoint=endpoint, build_only=True))
