"""`make lint`'s dependency audit: the pinned packages against known vulnerabilities.

Runs pip-audit (PyPI's vulnerability data, the `/pypi/<name>/<version>/json` API) over the
installed environment, which `make install` builds from the exact pins in pyproject.toml.
A package pip-audit could not look up is looked up again on PyPI's project page
(`/pypi/<name>/json`), whose vulnerabilities are those of the newest release: it counts as
audited when the pin is that release. Then:

- a known vulnerability fails, unless its id is in `.pip-audit-ignore` (one id per line, a
  `#` comment saying why; each is justified in docs/security.md);
- a package nobody could look up is still acceptable when it is the newest release this
  installation can take (the newest for this Python that every installed package's requirement
  on it allows: numpy for Python 3.11, xmlschema under pysaml2's `<3`): there is nothing to
  upgrade to, and the line says which constraint holds it back;
- any other package nobody could look up (a pin behind the newest release), or a vulnerability
  service that does not answer, makes the audit incomplete: this says so in one line per
  package and fails, unless `LXP_AUDIT_INCOMPLETE=warn` (then it warns and passes; .ci/run
  sets it, because a release published after the last pin bump would otherwise fail CI on a
  package index that answers only for the newest releases).

Exit status: 0 clean (or incomplete with warn), 1 vulnerable, 2 incomplete.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / ".pip-audit-ignore"
PYPI = "https://pypi.org/pypi/{name}/json"
TIMEOUT = 20


def ignored_ids() -> dict[str, str]:
    """The accepted vulnerability ids with their reasons."""
    if not IGNORE_FILE.exists():
        return {}
    accepted = {}
    for line in IGNORE_FILE.read_text().splitlines():
        vuln_id, _, reason = line.partition("#")
        if vuln_id.strip():
            accepted[vuln_id.strip()] = reason.strip()
    return accepted


def run_pip_audit(accepted: dict[str, str]) -> dict | None:
    """pip-audit's JSON report, or None (with its error printed) when it could not run."""
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--skip-editable", "--progress-spinner", "off", "--timeout", str(TIMEOUT),
               "--format", "json", "--desc", "off"]  # fmt: skip
    for vuln_id in accepted:
        command += ["--ignore-vuln", vuln_id]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit did not run to the end: {last}")
        return None


def newest_release_vulnerabilities(name: str, version: str) -> list[dict] | None:
    """The vulnerabilities PyPI lists for ``name`` when ``version`` is its newest release; None
    when it is not, or PyPI does not answer."""
    try:
        with urllib.request.urlopen(PYPI.format(name=name), timeout=TIMEOUT) as response:  # noqa: S310
            project = json.load(response)
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError):
        return None
    if project.get("info", {}).get("version") != version:
        return None
    return project.get("vulnerabilities") or []


def held_back_by(name: str, version: str) -> str | None:
    """Why ``version`` is the newest release of ``name`` this installation can take, or None
    when a newer one could be installed (or the index does not answer)."""
    pip = [sys.executable, "-m", "pip", "index", "versions", name, "--disable-pip-version-check"]
    result = subprocess.run(pip, capture_output=True, text=True, check=False, timeout=TIMEOUT * 3)  # noqa: S603
    # pip lists only the releases this Python can install, newest first: "Available versions: a, b, ..."
    listed = next((line for line in result.stdout.splitlines() if line.startswith("Available versions:")), "")
    releases = [Version(v.strip()) for v in listed.partition(":")[2].split(",") if v.strip()]
    if not releases:
        return None
    limits = []
    for dist in metadata.distributions():
        for text in dist.requires or []:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) != canonicalize_name(name) or not requirement.specifier:
                continue
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                limits.append((dist.metadata["Name"], requirement.specifier))
    return holding_back(Version(version), releases, limits)


def holding_back(version: Version, releases: list[Version], limits: list[tuple[str, SpecifierSet]]) -> str | None:
    """Why ``version`` is the newest of ``releases`` (those this Python can install) that every
    dependant's specifier allows, or None when a newer one is allowed (or it is not a release)."""
    allowed = [v for v in releases if all(v in spec for _, spec in limits)]
    if not allowed or max(allowed) != version:
        return None
    held = [f"{who} wants {spec}" for who, spec in limits if max(releases) not in spec]
    return "; ".join(held) or f"newer releases need another Python than {sys.version.split()[0]}"


def _version(dependency: dict) -> str:
    try:
        return dependency.get("version") or metadata.version(dependency["name"])
    except metadata.PackageNotFoundError:
        return "?"


def main() -> int:
    accepted = ignored_ids()
    report = run_pip_audit(accepted)
    if report is None:
        return _incomplete(["every package (the vulnerability service did not answer)"])
    vulnerable, unaudited, audited = [], [], 0
    dependencies = [d for d in report.get("dependencies", []) if "editable" not in d.get("skip_reason", "")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    with ThreadPoolExecutor(max_workers=8) as pool:
        looked_up = dict(zip((d["name"] for d in skipped),
                             pool.map(lambda d: newest_release_vulnerabilities(d["name"], _version(d)), skipped),
                             strict=True))  # fmt: skip
        stuck = [d for d in skipped if looked_up[d["name"]] is None]
        reasons = dict(zip((d["name"] for d in stuck),
                           pool.map(lambda d: held_back_by(d["name"], _version(d)), stuck), strict=True))  # fmt: skip
    held_back = []
    for dependency in dependencies:
        name, version = dependency["name"], _version(dependency)
        vulns = dependency.get("vulns")
        if "skip_reason" in dependency:
            vulns = looked_up[name]
            if vulns is None and reasons[name] is not None:
                held_back.append(f"{name} {version}: the newest release that can be installed here ({reasons[name]})")
                continue
            if vulns is None:
                unaudited.append(
                    f"{name} {version}: PyPI's JSON API has no data for this version, nor is it the newest"
                )
                continue
            vulns = [{"id": v.get("id"), "fix_versions": v.get("fixed_in", [])} for v in vulns]
        audited += 1
        for vuln in vulns or []:
            if vuln["id"] not in accepted and not set(vuln.get("aliases", [])) & set(accepted):
                vulnerable.append(
                    f"{name} {version}: {vuln['id']} (fixed in {', '.join(vuln.get('fix_versions') or ['?'])})"
                )
    for line in vulnerable:
        print(f"VULNERABLE  {line}")
    for line in held_back:
        print(f"HELD BACK   {line}")
    print(f"pip-audit: {audited} pinned package(s) checked, {len(vulnerable)} known vulnerabilit(y/ies) "
          f"not accepted in .pip-audit-ignore, {len(held_back)} without data but newest possible, "
          f"{len(unaudited)} could not be checked")  # fmt: skip
    if vulnerable:
        return 1
    return _incomplete(unaudited) if unaudited else 0


def _incomplete(unaudited: list[str]) -> int:
    for line in unaudited:
        print(f"NOT CHECKED  {line}")
    mode = os.environ.get("LXP_AUDIT_INCOMPLETE", "fail")
    print("The dependency audit is incomplete: the packages above were checked against no vulnerability data."
          + (" LXP_AUDIT_INCOMPLETE=warn: passing anyway." if mode == "warn" else
             " Set LXP_AUDIT_INCOMPLETE=warn to pass anyway where PyPI's JSON API cannot be reached."))  # fmt: skip
    return 0 if mode == "warn" else 2


if __name__ == "__main__":
    sys.exit(main())
