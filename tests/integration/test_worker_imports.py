"""A web worker and the scheduler load ``wsgi:app``: the libraries only a few pages or jobs need
(company sign-in, credentials, encrypted secrets, push keys, calendars, DKIM, migrations, the risk model) must not come with it,
or every worker holds them (issue 20; ``bench/memory.py`` measures what that costs). The pages
that need them still work: their own tests (SAML, OIDC, credentials, calendars, mail) cover that."""

import ast
import json
import subprocess
import sys

from tests.integration.served import ROOT

# `flask lxp …` loads its commands (lxp.cli, the demo data, backups) only when one is run.
LEFT_OUT = ("onelogin", "xmlsec", "lxml", "authlib", "joserfc", "cryptography", "py_vapid", "requests", "PIL", "segno",
            "icalendar", "dkim", "apscheduler",
            "flask_migrate", "alembic", "mako", "pygments", "pywebpush", "aiohttp", "sklearn", "numpy", "scipy",
            "lxp.cli", "lxp.demo", "lxp.ops.backup")  # fmt: skip

# What pages render on first use and gunicorn's master loads before it forks, so that the workers share it.
SHARED = ("markdown_it", "nh3")

PROBE = """
import json, sys
from wsgi import app
print(json.dumps({"loaded": [name for name in %r if name in sys.modules],
                  "shared": [name for name in %r if name in sys.modules],
                  "commands": sorted(app.cli.commands)}))
"""


def test_wsgi_app_leaves_the_heavy_libraries_out_and_has_no_db_commands(tmp_path):
    env = {"LXP_DATABASE_URL": f"sqlite:///{tmp_path / 'lxp.db'}", "LXP_INSTANCE_PATH": str(tmp_path),
           "LXP_SECRET_KEY": "x" * 40, "PATH": "/usr/bin:/bin"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", PROBE % (LEFT_OUT, SHARED)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["loaded"] == [], f"wsgi:app imports {answer['loaded']}: import them where they are used"
    assert answer["shared"] == list(SHARED), "each worker would load Markdown on its own: see lxp.core.markdown"
    assert "db" not in answer["commands"] and "lxp" in answer["commands"]


# What only requests need: the API and its OpenAPI document, security headers, compression, rate
# limits, metrics, the operator commands (demo data, backups) and the migrations behind their schema
# check; Markdown too (pages, and the mails requests send: the scheduler's mails have none).
WEB_ONLY = ("flask_smorest", "apispec", "webargs", "yaml", "flask_talisman", "flask_compress", "brotli",
            "flask_limiter", "limits", "prometheus_client", "lxp.api", "lxp.ops.metrics", "lxp.cli", "lxp.demo",
            "lxp.ops.backup", "flask_migrate", "alembic", *SHARED)  # fmt: skip

SCHEDULER_PROBE = """
import json, sys
from scheduler_app import app
print(json.dumps({"loaded": [name for name in %r if name in sys.modules],
                  "commands": sorted(app.cli.commands), "lxp": sorted(app.cli.commands["lxp"].commands),
                  "lxp_modules": sorted(name for name in sys.modules if name.startswith("lxp."))}))
"""


def test_the_scheduler_app_leaves_the_web_only_modules_out_and_has_only_the_scheduler_command(tmp_path):
    env = {"LXP_DATABASE_URL": f"sqlite:///{tmp_path / 'lxp.db'}", "LXP_INSTANCE_PATH": str(tmp_path),
           "LXP_SECRET_KEY": "x" * 40, "PATH": "/usr/bin:/bin"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", SCHEDULER_PROBE % (WEB_ONLY + LEFT_OUT,)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["loaded"] == [], f"scheduler_app imports {answer['loaded']}: only web workers need them"
    assert "db" not in answer["commands"] and answer["lxp"] == ["scheduler"]
    # Mails link to pages through lxp.channels.page_rules, so no page, form or the API is imported.
    pages = [name for name in answer["lxp_modules"] if _is_page(name)]
    assert pages == [], f"scheduler_app imports the pages {pages}: build their links with lxp.channels.page_rules"
    # A module that registers itself with another when imported (a listener, a source the planner
    # reads, an access rule) must be loaded in the scheduler too, or its jobs would quietly act
    # differently from the same services on a page: lxp._load_features imports them.
    missing = sorted(set(registering_modules()) - set(answer["lxp_modules"]))
    assert missing == [], f"scheduler_app does not import {missing}, which register themselves: see lxp._load_features"


# The item kinds, which services read too, bring the editor's fields they are edited with.
KIND_FORMS = ("lxp.core.forms", "lxp.authoring.forms")


def _is_page(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last.endswith("views") or last == "forms" and module not in KIND_FORMS or module.startswith("lxp.api")


# Decorators and calls at the top of a module that register nothing another feature reads: pages'
# routes and guards, commands, and plain Python.
_LOCAL = ("bp.", "admin_bp.", "about_bp.", "click.", "public", "roles_required", "restrict_blueprint", "limiter.limit",
          "csrf.exempt", "allow_plain_http", "conditional_page", "with_appcontext", "dataclass", "property",
          "staticmethod", "classmethod", "cache", "lru_cache", "functools.", "contextmanager", "compiles", "prepared")  # fmt: skip


def registering_modules() -> dict[str, list[str]]:
    """lxp's modules (neither pages, the API nor commands) that call or decorate with another
    module's registry at import time, with what they call."""
    found = {}
    for path in sorted((ROOT / "lxp").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if _is_page(module) or module == "lxp.cli" or module.endswith(".cli"):
            continue
        calls = []
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                calls.append(ast.unparse(node.value.func))
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                calls += [ast.unparse(getattr(d, "func", d)) for d in node.decorator_list]
        calls = [call for call in calls if not call.startswith(_LOCAL) and not call.endswith("_cli.command")]
        if calls:
            found[module] = calls
    return found


def test_the_registering_modules_are_found():
    """The scan above finds what it is for (else its check would pass on nothing)."""
    found = registering_modules()
    assert found["lxp.live.registration"] == ["paths.live_dates_source"]
    assert found["lxp.workplace.services"] == ["files.register_access"]
    assert "lxp.learning.views" not in found and "lxp.scheduler" not in found
