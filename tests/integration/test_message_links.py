"""Every link a message or mail carries is the same address whichever app built it: the web app
builds links from its pages' rules, the scheduler's app (``create_app(kind="scheduler")``) from
the build-only copies in ``lxp.channels.page_rules``, without importing a page (issue 20). A
learner who clicked a link in a mail the scheduler sent would otherwise land on a missing page."""

import ast

import pytest

from lxp import create_app
from lxp.channels import external_url, page_rules, path_for
from tests.integration.served import ROOT

LINK_BUILDERS = ("path_for", "external_url")


def linked_endpoints() -> dict[str, set[str]]:
    """The endpoints lxp's code passes to ``path_for`` or ``external_url``, with the modules
    that do. A name passed in a variable is reported as ``"<not a literal>"``."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "lxp").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if called not in LINK_BUILDERS:
                continue
            first = node.args[0]
            endpoint = first.value if isinstance(first, ast.Constant) else "<not a literal>"
            found.setdefault(endpoint, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_page_a_message_links_to_has_its_rule_in_the_scheduler_app():
    found = linked_endpoints()
    # The builders themselves pass the name on; everywhere else it is written out, so it is seen here.
    assert found.pop("<not a literal>") == {"lxp/channels/__init__.py"}
    missing = {endpoint: where for endpoint, where in found.items() if endpoint not in page_rules.PAGE_RULES}
    assert missing == {}, f"add these pages' rules to lxp/channels/page_rules.py: {missing}"
    unused = set(page_rules.PAGE_RULES) - set(found)
    assert unused == set(), f"no message links to {unused} any more: drop them from page_rules.PAGE_RULES"


@pytest.fixture
def scheduler_app(app):
    return create_app({**app.config}, migrations=False, kind="scheduler")


def test_the_scheduler_apps_rules_are_the_pages_rules(app, scheduler_app):
    for endpoint, rule in page_rules.PAGE_RULES.items():
        pages = [(page.rule, page.defaults or None) for page in app.url_map.iter_rules(endpoint)]
        assert pages == [(rule, None)], f"{endpoint}: the page's rule is {pages}, page_rules has {rule!r}"
        built = [(copy.rule, copy.build_only) for copy in scheduler_app.url_map.iter_rules(endpoint)]
        assert built == [(rule, True)]


def _values(app, endpoint: str) -> dict[str, object]:
    """Arguments for each variable of the page's rule: a number, or text that must be escaped."""
    (rule,) = app.url_map.iter_rules(endpoint)
    return {name: 7 if type(converter).__name__ == "IntegerConverter" else "course 7:ünit/1?x=#y"
            for name, converter in rule._converters.items()}  # fmt: skip


@pytest.mark.parametrize("base_url", ["http://lxp.test", "https://learn.example.org/lxp/"])
def test_every_link_built_in_the_scheduler_app_is_the_one_the_web_app_builds(app, base_url):
    web = create_app({**app.config, "BASE_URL": base_url}, migrations=False)
    scheduler = create_app({**app.config, "BASE_URL": base_url}, migrations=False, kind="scheduler")
    for endpoint in page_rules.PAGE_RULES:
        values = _values(web, endpoint)
        links = []
        for built_in in (web, scheduler):
            with built_in.app_context():
                links.append((path_for(endpoint, **values), external_url(endpoint, **values),
                              external_url(endpoint, **values, next="/today")))  # fmt: skip
        assert links[0] == links[1], endpoint
        assert links[1][1].startswith(base_url.rstrip("/") + "/")


def test_the_scheduler_app_serves_no_page(scheduler_app):
    response = scheduler_app.test_client().get("/today")
    assert response.status_code == 404
