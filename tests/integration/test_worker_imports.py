"""A web worker and the scheduler load ``wsgi:app``: the libraries only a few pages or jobs need
(company sign-in, credentials, calendars, DKIM, migrations, the risk model) must not come with it,
or every worker holds them (issue 20; ``bench/memory.py`` measures what that costs). The pages
that need them still work: their own tests (SAML, OIDC, credentials, calendars, mail) cover that."""

import json
import subprocess
import sys

from tests.integration.served import ROOT

# `flask lxp …` loads its commands (lxp.cli, the demo data, backups) only when one is run.
LEFT_OUT = ("onelogin", "xmlsec", "lxml", "authlib", "joserfc", "requests", "PIL", "segno", "icalendar", "dkim",
            "flask_migrate", "alembic", "mako", "pygments", "pywebpush", "aiohttp", "sklearn", "numpy", "scipy",
            "lxp.cli", "lxp.demo", "lxp.ops.backup")  # fmt: skip

PROBE = """
import json, sys
from wsgi import app
print(json.dumps({"loaded": [name for name in %r if name in sys.modules],
                  "commands": sorted(app.cli.commands)}))
"""


def test_wsgi_app_leaves_the_heavy_libraries_out_and_has_no_db_commands(tmp_path):
    env = {"LXP_DATABASE_URL": f"sqlite:///{tmp_path / 'lxp.db'}", "LXP_INSTANCE_PATH": str(tmp_path),
           "LXP_SECRET_KEY": "x" * 40, "PATH": "/usr/bin:/bin"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", PROBE % (LEFT_OUT,)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, check=True)  # fmt: skip
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["loaded"] == [], f"wsgi:app imports {answer['loaded']}: import them where they are used"
    assert "db" not in answer["commands"] and "lxp" in answer["commands"]


# What only requests need: the API and its OpenAPI document, security headers, compression,
# metrics, the operator commands (demo data, backups) and the migrations behind their schema check.
WEB_ONLY = ("flask_smorest", "apispec", "webargs", "yaml", "flask_talisman", "flask_compress", "brotli",
            "prometheus_client", "lxp.api", "lxp.ops.metrics", "lxp.cli", "lxp.demo", "lxp.ops.backup",
            "flask_migrate", "alembic")  # fmt: skip

SCHEDULER_PROBE = """
import json, sys
from scheduler_app import app
print(json.dumps({"loaded": [name for name in %r if name in sys.modules],
                  "commands": sorted(app.cli.commands), "lxp": sorted(app.cli.commands["lxp"].commands)}))
"""


def test_the_scheduler_app_leaves_the_web_only_modules_out_and_has_only_the_scheduler_command(tmp_path):
    env = {"LXP_DATABASE_URL": f"sqlite:///{tmp_path / 'lxp.db'}", "LXP_INSTANCE_PATH": str(tmp_path),
           "LXP_SECRET_KEY": "x" * 40, "PATH": "/usr/bin:/bin"}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", SCHEDULER_PROBE % (WEB_ONLY + LEFT_OUT,)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["loaded"] == [], f"scheduler_app imports {answer['loaded']}: only web workers need them"
    assert "db" not in answer["commands"] and answer["lxp"] == ["scheduler"]
