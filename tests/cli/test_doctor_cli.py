"""`fieldkit doctor` and `fieldkit hub check` through the real entry point."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from fieldkit.cli import main
from fieldkit.hub import Hub, HubServer
from fieldkit.hub.inbox import AdminAccess


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    """Tokens go to the home folder's private file, never to the developer's real keyring."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_doctor_reports_and_exits_non_zero_only_on_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "approved"
    root.mkdir()
    (root / "Deck.txt").write_text("Halyard overview", encoding="utf-8")
    hub = Hub.open(root, str(tmp_path / "hub.sqlite3"))
    token = hub.reps.add("alice")
    home = str(tmp_path / "home")
    with HubServer(hub) as server:
        assert run(capsys, "--home", home, "connect", server.url, "--token", token)[0] == 0

        code, out, err = run(capsys, "--home", home, "doctor", "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["ok"] is True
        statuses = {check["name"]: check["status"] for check in report["checks"]}
        assert statuses["hub"] == "ok" and statuses["token"] == "ok"
        assert statuses["keyring"] == "warn"  # no system keyring in tests: the private file

        code, out, _ = run(capsys, "--home", home, "doctor")
        assert code == 0
        assert out.startswith("fieldkit doctor: 1 warning\n")
        assert "  ok    Hub token        The hub accepts this laptop's token." in out

        hub.reps.revoke("alice")
        code, out, _ = run(capsys, "--home", home, "doctor")
    assert code == 1
    assert out.startswith("fieldkit doctor: 1 problem and 1 warning\n")
    assert "fail  Hub token" in out and "→ Ask marketing for a new token, then run: " in out


def test_hub_check_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "approved"
    root.mkdir()
    db = str(tmp_path / "hub.sqlite3")
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = str(probe.getsockname()[1])

    code, out, _ = run(capsys, "hub", "check", "--root", str(root), "--db", db, "--port", port)
    assert code == 1
    assert "fail  Database" in out and "fieldkit hub add-rep NAME" in out

    assert run(capsys, "hub", "add-rep", "alice", "--db", db)[0] == 0
    engine_hub = Hub.open(root, db)
    AdminAccess(engine_hub.engine).set_password("correct horse battery")
    engine_hub.close()

    code, out, _ = run(
        capsys, "hub", "check", "--root", str(root), "--db", db, "--port", port, "--json"
    )
    assert code == 0
    report = json.loads(out)
    assert report == {**report, "ok": True, "status": "ok"}
    assert [c["name"] for c in report["checks"]] == [
        "root", "database", "reps", "admin", "tls", "port", "sidecars",
    ]

    code, out, _ = run(
        capsys, "hub", "check", "--root", str(root), "--db", db, "--port", port,
        "--ssl-certfile", str(tmp_path / "missing.crt"),
    )
    assert code == 1 and "missing.crt can't be read" in out
