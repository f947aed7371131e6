"""`fieldkit hub ...` through the real command line entry point."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from fieldkit.cli import main
from fieldkit.hub.store import open_database, resolve_db_url
from fieldkit.hub.tokens import RepTokens


def authenticates(db: str, token: str) -> bool:
    engine = open_database(resolve_db_url(db))
    try:
        return RepTokens(engine).authenticate(token) is not None
    finally:
        engine.dispose()


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_add_revoke_and_list_reps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "hub.sqlite3")

    added = run_json(capsys, "hub", "add-rep", "Alice Martin", "--json", "--db", db)
    assert isinstance(added, dict) and added["name"] == "Alice Martin"
    token = added["token"]
    assert authenticates(db, token)

    assert main(["hub", "add-rep", "bob", "--db", db]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "shown only now" in out[0]
    assert authenticates(db, out[1])

    reps = run_json(capsys, "hub", "reps", "--json", "--db", db)
    assert [(r["name"], r["active"]) for r in reps] == [("Alice Martin", True), ("bob", True)]

    assert main(["hub", "revoke-rep", "Alice Martin", "--db", db]) == 0
    assert "Revoked Alice Martin" in capsys.readouterr().out
    assert not authenticates(db, token)

    reps = run_json(capsys, "hub", "reps", "--json", "--db", db)
    alice = reps[0]
    assert (alice["name"], alice["active"]) == ("Alice Martin", False)
    assert alice["revoked_at"]

    assert main(["hub", "reps", "--db", db]) == 0
    table = capsys.readouterr().out
    assert "revoked" in table and "bob" in table and token not in table


def test_bad_requests_exit_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "hub.sqlite3")
    assert main(["hub", "add-rep", "alice", "--db", db]) == 0
    capsys.readouterr()

    assert main(["hub", "add-rep", "alice", "--db", db]) == 2
    assert "already has a token" in capsys.readouterr().err
    assert main(["hub", "revoke-rep", "nobody", "--db", db]) == 2
    assert "no rep called 'nobody'" in capsys.readouterr().err
    assert main(["hub", "serve", "--root", str(tmp_path / "missing"), "--db", db]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["hub"]) == 2
    assert main(["hub", "reps", "--db", "mysql://rep:secret@db/hub"]) == 2
    message = capsys.readouterr().err
    assert "Not a database fieldkit can use" in message and "secret" not in message


def test_unreachable_database_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    assert main(["hub", "reps", "--db", f"postgresql://u:p@127.0.0.1:{port}/hub"]) == 1
    assert "Cannot open the database" in capsys.readouterr().err


def test_database_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("FIELDKIT_HUB_DB", str(db))

    assert main(["hub", "add-rep", "alice"]) == 0
    capsys.readouterr()

    assert db.exists()
    assert run_json(capsys, "hub", "reps", "--json", "--db", str(db))[0]["name"] == "alice"


def read_line_with(stream: object, needle: str, timeout: float) -> str:
    """The first line of ``stream`` containing ``needle``, read on a helper thread."""
    found: list[str] = []
    seen: list[str] = []
    done = threading.Event()

    def reader() -> None:
        for line in stream:
            seen.append(line)
            if needle in line:
                found.append(line)
                break
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    if not done.wait(timeout) or not found:
        pytest.fail(f"no line with {needle!r} within {timeout} s; got: {''.join(seen)}")
    return found[0]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["int", "term"])
def test_serve_announces_serves_and_stops_on_a_signal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stop_signal: signal.Signals
) -> None:
    root = tmp_path / "approved"
    (root / "Decks").mkdir(parents=True)
    (root / "Decks" / "deck.pdf").write_bytes(b"deck")
    db = str(tmp_path / "hub.sqlite3")
    token = run_json(capsys, "hub", "add-rep", "alice", "--json", "--db", db)["token"]

    process = subprocess.Popen(
        [sys.executable, "-m", "fieldkit", "hub", "serve", "--root", str(root), "--port", "0",
         "--db", db],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stderr is not None
        line = read_line_with(process.stderr, "fieldkit hub serving", timeout=60)
        assert f"fieldkit hub serving {root.resolve()} on http://127.0.0.1:" in line
        url = line.rsplit(" on ", 1)[1].strip()

        response = httpx.get(
            f"{url}/api/v1/manifest", headers={"Authorization": f"Bearer {token}"}
        )
        assert [d["path"] for d in response.json()["documents"]] == ["Decks/deck.pdf"]

        process.send_signal(stop_signal)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
