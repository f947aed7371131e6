"""`fieldkit request new / feedback / outbox [send] / requests` and `fieldkit hub requests /
respond / set-admin-password`, through the real entry point, against a real hub."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from fieldkit.cli import main
from fieldkit.hub import Hub, HubServer
from fieldkit.hub.inbox import AdminAccess
from fieldkit.hub.store import open_database, resolve_db_url


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    """Tokens go to the home folder's private file, never to the developer's real keyring."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "approved"
        (self.root / "Decks").mkdir(parents=True)
        (self.root / "Decks" / "Overview.pptx").write_bytes(b"overview deck")
        self.db = str(tmp_path / "hub.sqlite3")
        self.home = str(tmp_path / "home")
        self.hub = Hub.open(self.root, self.db)
        self.token = self.hub.reps.add("alice")
        self.server = HubServer(self.hub).start()
        self.url = self.server.url

    def doc_id(self) -> str:
        return self.hub.store.live_documents()[0].id


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    running = Setup(tmp_path)
    yield running
    running.server.stop()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


def connected(setup: Setup, capsys: pytest.CaptureFixture[str]) -> str:
    """``fieldkit connect`` and ``sync``, as a rep does once; returns the home."""
    assert run(capsys, "--home", setup.home, "connect", setup.url, "--token", setup.token)[0] == 0
    assert run(capsys, "--home", setup.home, "sync")[0] == 0
    return setup.home


def test_request_feedback_outbox_and_send(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    home = connected(setup, capsys)
    doc = setup.doc_id()
    needed_by = (date.today() + timedelta(days=10)).isoformat()

    code, out, _ = run(
        capsys, "--home", home, "request", "new", "--title", "Overview deck in Spanish",
        "--customer", "Acme", "--needed-by", needed_by, "--urgency", "high", "--doc", doc,
    )
    assert code == 0
    assert "Queued request #1: “Overview deck in Spanish”." in out
    feedback = run_json(
        capsys, "--home", home, "feedback", doc, "--page", "3", "--kind", "outdated",
        "--comment", "Old prices on slide 3", "--json",
    )
    assert (feedback["kind"], feedback["state"]) == ("feedback", "queued")
    assert feedback["payload"]["page"] == 3

    listing = run_json(capsys, "--home", home, "outbox", "--json")
    assert [
        {k: item[k] for k in ("id", "kind", "state", "attempts", "last_error")}
        for item in listing["items"]
    ] == [
        {"id": 1, "kind": "request", "state": "queued", "attempts": 0, "last_error": None},
        {"id": 2, "kind": "feedback", "state": "queued", "attempts": 0, "last_error": None},
    ]
    assert all(item["created_at"] for item in listing["items"])
    assert "payload" not in listing["items"][0]
    shown = run_json(capsys, "--home", home, "outbox", "--json", "--payloads")
    assert shown["items"][0]["payload"]["customer"] == "Acme"
    assert shown["items"][0]["payload"]["needed_by"] == needed_by

    code, out, _ = run(capsys, "--home", home, "outbox", "send")
    assert (code, out.splitlines()[0]) == (0, "Sent 2.")
    states = [i["state"] for i in run_json(capsys, "--home", home, "outbox", "--json")["items"]]
    assert states == ["sent", "sent"]

    code, out, _ = run(capsys, "--home", home, "outbox")
    assert "#1     request  sent      Overview deck in Spanish" in out


def test_marketing_answers_and_the_rep_sees_it(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    home = connected(setup, capsys)
    doc = setup.doc_id()
    run(capsys, "--home", home, "request", "new", "--title", "Overview deck")
    run(capsys, "--home", home, "outbox", "send")

    on_hub = run_json(capsys, "hub", "requests", "--db", setup.db, "--json")["requests"]
    assert [(r["title"], r["rep"], r["status"]) for r in on_hub] == [
        ("Overview deck", "alice", "new")
    ]
    code, out, _ = run(
        capsys, "hub", "respond", str(on_hub[0]["id"]), "--status", "fulfilled", "--doc", doc,
        "--note", "Use this one", "--db", setup.db,
    )
    assert code == 0 and "is now Fulfilled" in out
    code, _, err = run(capsys, "hub", "respond", "999", "--status", "acknowledged",
                       "--db", setup.db)
    assert code == 2 and "no request #999" in err
    code, _, err = run(capsys, "hub", "respond", str(on_hub[0]["id"]), "--status", "declined",
                       "--db", setup.db)
    assert code == 2 and "why" in err

    mine = run_json(capsys, "--home", home, "requests", "--refresh", "--json")["requests"]
    assert [(r["title"], r["state"], r["status"], r["note"], r["answer_doc_id"]) for r in mine] == [
        ("Overview deck", "sent", "fulfilled", "Use this one", doc)
    ]
    assert mine[0]["answer_path"] == str(Path(home) / "Approved content" / "Decks/Overview.pptx")
    code, out, _ = run(capsys, "--home", home, "requests")
    assert "Fulfilled" in out and "marketing says: Use this one" in out


def test_offline_send_keeps_items_and_says_why(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    home = connected(setup, capsys)
    run(capsys, "--home", home, "request", "new", "--title", "While on the train")
    setup.server.stop()

    code, out, _ = run(capsys, "--home", home, "outbox", "send", "--budget", "0")

    assert code == 1
    assert "1 still queued" in out and "could not be reached" in out
    items = run_json(capsys, "--home", home, "outbox", "--json")["items"]
    assert [(i["state"], i["attempts"]) for i in items] == [("queued", 1)]
    assert "could not be reached" in items[0]["last_error"]


def test_bad_input_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    code, _, err = run(capsys, "--home", home, "request", "new", "--title", "x", "--doc", "d_nope")
    assert code == 2 and "No approved document has the id 'd_nope'" in err
    code, _, err = run(capsys, "--home", home, "request", "new", "--title", "x",
                       "--needed-by", "2001-01-01")
    assert code == 2 and "in the past" in err
    with pytest.raises(SystemExit) as bad_date:
        main(["--home", home, "request", "new", "--title", "x", "--needed-by", "tomorrow"])
    assert bad_date.value.code == 2
    assert "not a date like 2026-12-31" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--home", home, "feedback", "d_1", "--kind", "great"])
    assert run_json(capsys, "--home", home, "outbox", "--json")["items"] == []

    code, out, _ = run(capsys, "--home", home, "outbox", "send")
    assert code == 1 and "Not connected to a hub" in out


def test_admin_password_from_stdin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "hub.sqlite3")
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    code, out, _ = run(capsys, "hub", "set-admin-password", "--stdin", "--db", db)
    assert code == 0 and "Admin password set" in out

    engine = open_database(resolve_db_url(db))
    try:
        assert AdminAccess(engine).check("a long enough password")
    finally:
        engine.dispose()

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run(capsys, "hub", "set-admin-password", "--stdin", "--db", db)
    assert code == 2 and "at least 10 characters" in err
