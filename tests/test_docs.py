"""The guides stay true: every shell command in them runs (scripts/check_docs.py) in a sandbox
with a real hub, and the hub's systemd unit starts a real hub."""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "packaging" / "hub" / "fieldkit-hub.service"
POSTGRES_ENV = "FIELDKIT_TEST_POSTGRES_URL"


def load_check_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_docs", ROOT / "scripts" / "check_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


check_docs = load_check_docs()


def test_every_shell_block_says_whether_it_runs() -> None:
    for name in check_docs.GUIDES:
        guide = ROOT / "docs" / name
        assert check_docs.blocks(guide), f"{name} has no shell commands"
        assert check_docs.unmarked(guide) == [], name
        for block in check_docs.not_run(guide):
            assert len(block.mark) > len("not run: ") + 10, f"{name}:{block.line} says why not"


def test_the_readme_links_every_guide() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in check_docs.GUIDES:
        assert f"(docs/{name})" in readme


@pytest.mark.parametrize("guide", check_docs.GUIDES)
def test_the_commands_in_the_guide_run(guide: str, tmp_path: Path) -> None:
    result = check_docs.run_guide(guide, tmp_path)
    assert result.returncode == 0, result.output
    assert result.ran >= 4
    assert "docs: the block at" not in result.output


@pytest.mark.postgres
def test_the_admin_guide_runs_on_postgresql(tmp_path: Path) -> None:
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.fail(f"{POSTGRES_ENV} must name a PostgreSQL server (see .ci/postgres.sh)")
    result = check_docs.run_guide("guide-admins.md", tmp_path, server)
    assert result.returncode == 0, result.output
    marks = [b.mark for b in check_docs.blocks(ROOT / "docs" / "guide-admins.md")]
    assert result.ran == marks.count("run") + marks.count("run: postgres")
    assert marks.count("run: postgres") >= 2


def unit_lines() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "[")):
            continue
        key, _, value = line.partition("=")
        values.setdefault(key, []).append(value)
    return values


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def sandboxed(text: str, tmp_path: Path, port: int) -> str:
    fieldkit = str(Path(sys.executable).parent / "fieldkit")
    return (
        text.replace("/opt/fieldkit/bin/fieldkit", fieldkit)
        .replace("/srv/fieldkit", str(tmp_path / "srv" / "fieldkit"))
        .replace("/var/lib/fieldkit-hub", str(tmp_path / "var" / "lib" / "fieldkit-hub"))
        .replace("8765", str(port))
    )


def test_the_systemd_unit_checks_then_serves(tmp_path: Path) -> None:
    unit = unit_lines()
    assert unit["User"] == ["fieldkit"] and unit["Restart"] == ["on-failure"]
    assert unit["StateDirectory"] == ["fieldkit-hub"]
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FIELDKIT_")}
    for assignment in unit["Environment"]:
        key, _, value = sandboxed(assignment, tmp_path, port).partition("=")
        env[key] = value
    Path(env["HOME"]).mkdir(parents=True)
    approved = tmp_path / "srv" / "fieldkit" / "approved"
    approved.mkdir(parents=True)
    (approved / "Deck.txt").write_text("Halyard overview", encoding="utf-8")
    fieldkit = str(Path(sys.executable).parent / "fieldkit")

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
        )

    [pre] = unit["ExecStartPre"]
    refused = run(*shlex.split(sandboxed(pre, tmp_path, port)))
    assert refused.returncode == 1 and "There is no hub database" in refused.stdout

    token = json.loads(run(fieldkit, "hub", "add-rep", "alice", "--json").stdout)["token"]
    run(fieldkit, "hub", "set-admin-password", "--stdin", stdin="correct horse battery\n")
    checked = run(*shlex.split(sandboxed(pre, tmp_path, port)))
    assert checked.returncode == 0, checked.stdout

    [start] = unit["ExecStart"]
    hub = subprocess.Popen(
        shlex.split(sandboxed(start, tmp_path, port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        check_docs.wait_until_healthy(f"http://127.0.0.1:{port}", hub)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/manifest",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            manifest = json.load(answer)
        assert [doc["path"] for doc in manifest["documents"]] == ["Deck.txt"]
    finally:
        hub.send_signal(signal.SIGTERM)  # what systemd sends on stop
        code = hub.wait(timeout=60)
        assert hub.stderr is not None
        hub.stderr.close()
    assert code == 0


def test_the_nginx_site_proxies_to_the_units_address() -> None:
    site = (ROOT / "packaging" / "hub" / "nginx.conf").read_text(encoding="utf-8")
    [start] = unit_lines()["ExecStart"]
    assert "--host 127.0.0.1 --port 8765" in start
    assert "proxy_pass http://127.0.0.1:8765;" in site
    for directive in (
        "listen 443 ssl http2;",
        "ssl_certificate     /etc/fieldkit/hub.crt;",
        "ssl_certificate_key /etc/fieldkit/hub.key;",
        "proxy_buffering off;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
        "proxy_set_header Range $http_range;",
    ):
        assert directive in site
    assert site.count("{") == site.count("}")
