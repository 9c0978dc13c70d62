"""Audit the installed Python packages against PyPI's vulnerability data (`python -m bot.devtools.dep_audit`).

Why not pip-audit: its PyPI service asks ``/pypi/<name>/<version>/json``, which this project's machines
cannot reach (404), and its OSV service (api.osv.dev) is unreachable; pip-audit then lists every package as
"could not be audited" and still exits 0. This script asks ``/pypi/<name>/json`` (reachable), whose
``vulnerabilities`` are the advisories affecting the latest release, and checks each against the installed
version with its ``fixed_in`` versions. So it finds every advisory that is still open on the latest
release, and an installed old version is reported when it is behind a published fix for one of them.

Exit codes: 0 no known vulnerability; 1 vulnerabilities found (listed); 3 PyPI could not be asked for some
packages (listed: they were NOT audited; never reported as clean).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PYPI = "https://pypi.org/pypi/{name}/json"


@dataclass
class Finding:
    name: str
    version: str
    vuln_id: str
    fixed_in: list[str]
    aliases: list[str] = field(default_factory=list)

    def line(self) -> str:
        fix = f"fixed in {', '.join(self.fixed_in)}" if self.fixed_in else "no fixed version yet"
        alias = f" ({', '.join(self.aliases[:2])})" if self.aliases else ""
        return f"{self.name}=={self.version}: {self.vuln_id}{alias}, {fix}"


def affects(installed: str, fixed_in: list[str]) -> bool:
    """Is ``installed`` affected by an advisory (that affects the latest release) with these fixes?

    No fix: every version is. Otherwise it is not affected when it is at or past every fix, or past a
    fix made on its own major.minor line (a backport)."""
    try:
        mine = Version(installed)
        fixes = sorted(Version(f) for f in fixed_in)
    except InvalidVersion:
        return True  # unreadable: report it rather than hide it
    if not fixes:
        return True
    if mine >= fixes[-1]:
        return False
    return not any(f <= mine and f.release[:2] == mine.release[:2] for f in fixes)


def findings_for(name: str, version: str, project: dict[str, Any]) -> list[Finding]:
    out = []
    for vuln in project.get("vulnerabilities") or []:
        if vuln.get("withdrawn"):
            continue
        fixed = [str(f) for f in vuln.get("fixed_in") or []]
        if affects(version, fixed):
            out.append(Finding(name, version, str(vuln.get("id", "?")), fixed, list(vuln.get("aliases") or [])))
    return out


def fetch(name: str, base: str = PYPI, timeout: float = 20.0, attempts: int = 3) -> dict[str, Any] | None:
    """The project's JSON; None when PyPI does not know it (404); raises OSError when unreachable."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(base.format(name=name), timeout=timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            last = exc
        except (OSError, ValueError) as exc:
            last = exc
    raise OSError(f"{name}: {last}")


def installed(skip: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"] or "")
        if name and name not in skip:
            found[name] = dist.version
    return found


def audit(packages: dict[str, str], base: str = PYPI, workers: int = 8) -> tuple[list[Finding], list[str], list[str]]:
    """(findings, unreachable package errors, packages PyPI does not know)."""
    findings: list[Finding] = []
    unreachable: list[str] = []
    unknown: list[str] = []

    def one(item: tuple[str, str]) -> None:
        name, version = item
        try:
            project = fetch(name, base)
        except OSError as exc:
            unreachable.append(str(exc))
            return
        if project is None:
            unknown.append(name)
            return
        findings.extend(findings_for(name, version, project))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, sorted(packages.items())))
    return findings, sorted(unreachable), sorted(unknown)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", action="append", default=["hocbac"], help="a local package not on PyPI")
    parser.add_argument("--base", default=PYPI, help=argparse.SUPPRESS)  # tests point it at a fake
    args = parser.parse_args(argv)
    packages = installed({canonicalize_name(s) for s in args.skip})
    findings, unreachable, unknown = audit(packages, args.base)
    for f in sorted(findings, key=lambda f: (f.name, f.vuln_id)):
        print(f"VULNERABLE {f.line()}")
    if unknown:
        print(f"not on PyPI (not audited): {', '.join(unknown)}")
    if unreachable:
        print(f"dependency audit: PyPI could not be asked about {len(unreachable)} of {len(packages)} "
              "packages; they were NOT audited:", file=sys.stderr)
        for line in unreachable:
            print(f"  {line}", file=sys.stderr)
        return 3
    if findings:
        print(f"dependency audit: {len(findings)} known vulnerabilities in {len(packages)} packages", file=sys.stderr)
        return 1
    print(f"dependency audit: {len(packages)} packages, no known vulnerabilities (PyPI advisories)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
