"""The dependency audit in .ci/run: finds advisories, and never reports "clean" when PyPI was not asked."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.devtools import dep_audit

PROJECTS = {
    "demo": {"info": {"version": "2.0"}, "vulnerabilities": [
        {"id": "PYSEC-0000-1", "aliases": ["CVE-0000-1"], "fixed_in": ["2.1"], "withdrawn": None},
        {"id": "PYSEC-0000-2", "aliases": [], "fixed_in": ["1.4.2", "2.1"], "withdrawn": None},
        {"id": "PYSEC-0000-3", "aliases": [], "fixed_in": [], "withdrawn": "2024-01-01"},
    ]},
    "clean": {"info": {"version": "1.0"}, "vulnerabilities": []},
}


class _Fake(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.strip("/").split("/")[1]
        body = PROJECTS.get(name)
        self.send_response(200 if body else 404)
        self.end_headers()
        self.wfile.write(json.dumps(body or {}).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_pypi():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/pypi/{{name}}/json"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("installed", "fixed", "expected"), [
    ("2.0", ["2.1"], True),
    ("2.1", ["2.1"], False),
    ("1.4.3", ["1.4.2", "2.1"], False),  # past the fix on its own line (a backport)
    ("1.3.0", ["1.4.2", "2.1"], True),
    ("9.9", [], True),  # no fix yet: affected
])
def test_affects(installed, fixed, expected):
    assert dep_audit.affects(installed, fixed) is expected


def test_vulnerable_package_fails(fake_pypi, monkeypatch, capsys):
    monkeypatch.setattr(dep_audit, "installed", lambda skip: {"demo": "1.3.0", "clean": "1.0"})
    assert dep_audit.main(["--base", fake_pypi]) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE demo==1.3.0: PYSEC-0000-1 (CVE-0000-1), fixed in 2.1" in out
    assert "PYSEC-0000-2" in out and "PYSEC-0000-3" not in out  # withdrawn advisories are not reported


def test_clean_and_unknown_packages_pass(fake_pypi, monkeypatch, capsys):
    monkeypatch.setattr(dep_audit, "installed", lambda skip: {"demo": "2.1", "clean": "1.0", "local-only": "0.1"})
    assert dep_audit.main(["--base", fake_pypi]) == 0
    out = capsys.readouterr().out
    assert "no known vulnerabilities" in out and "not on PyPI (not audited): local-only" in out


def test_unreachable_pypi_is_not_reported_clean(monkeypatch, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(dep_audit, "installed", lambda skip: {"clean": "1.0"})
    code = dep_audit.main(["--base", f"http://127.0.0.1:{port}/pypi/{{name}}/json"])
    captured = capsys.readouterr()
    assert code == 3
    assert "NOT audited" in captured.err and "no known vulnerabilities" not in captured.out
