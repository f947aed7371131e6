"""`fieldkit connect / sync / pin / unpin` through the real entry point, against a real hub."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail

from fieldkit.cli import main
from fieldkit.cli.sync import ProgressBar
from fieldkit.core.sync import SyncProgress
from fieldkit.hub import Hub, HubServer


def write(root: Path, rel: str, content: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


@pytest.fixture(autouse=True)
def no_system_keyring() -> Iterator[None]:
    """Tokens go to the home folder's private file, never to the developer's real keyring."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def approved(tmp_path: Path) -> Path:
    root = tmp_path / "approved"
    write(root, "Decks/Overview.txt", b"An overview of the Halyard platform.")
    write(root, "Prices.txt", b"List prices for the enterprise tier.")
    return root


@pytest.fixture
def hub(approved: Path, tmp_path: Path) -> Iterator[tuple[HubServer, str]]:
    opened = Hub.open(approved, str(tmp_path / "hub.sqlite3"))
    token = opened.reps.add("alice")
    server = HubServer(opened).start()
    yield server, token
    server.stop()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_connect_then_sync(
    hub: tuple[HubServer, str], tmp_path: Path, approved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, token = hub
    home = str(tmp_path / "home")
    code, out, _ = run(capsys, "--home", home, "connect", server.url, "--token", token)
    assert code == 0
    assert f"Connected to the hub at {server.url}: 2 documents." in out
    assert "hub-token.json" in out and "readable only by you" in out

    code, out, _ = run(capsys, "--home", home, "sync", "--json")
    assert code == 0
    result: dict[str, Any] = json.loads(out)
    assert (result["downloaded"], result["failed"], result["offline"]) == (2, [], False)
    assert files(tmp_path / "home" / "Approved content") == files(approved)
    assert result["indexed"] == 2  # the new files reached the search index

    code, out, _ = run(capsys, "--home", home, "search", "halyard", "--json")
    assert [hit["path"].endswith("Overview.txt") for hit in json.loads(out)["hits"]] == [True]

    code, out, _ = run(capsys, "--home", home, "sync")
    assert code == 0
    assert out.strip() == f"Up to date with the hub at {server.url}: 2 documents."


def test_a_bad_token_is_refused_and_not_kept(
    hub: tuple[HubServer, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, _token = hub
    home = tmp_path / "home"
    code, _, err = run(capsys, "--home", str(home), "connect", server.url, "--token", "nope")
    assert code == 1
    assert "refused this laptop's token" in err
    assert not (home / "hub-token.json").exists()
    code, _, err = run(capsys, "--home", str(home), "sync")
    assert code == 2 and "Not connected yet" in err


def test_connect_arguments_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    code, _, err = run(capsys, "--home", home, "connect", "http://127.0.0.1:9")
    assert code == 2 and "needs your token" in err
    code, _, err = run(capsys, "--home", home, "connect", str(tmp_path), "--token", "t")
    assert code == 2 and "--token is for a hub" in err
    code, _, err = run(capsys, "--home", home, "connect", str(tmp_path / "absent"))
    assert code == 2 and "is not a folder" in err


def test_offline_sync_fails_clearly_and_keeps_the_mirror(
    hub: tuple[HubServer, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, token = hub
    home = str(tmp_path / "home")
    run(capsys, "--home", home, "connect", server.url, "--token", token)
    run(capsys, "--home", home, "sync")
    server.stop()
    code, out, err = run(capsys, "--home", home, "sync", "--json")
    assert code == 1
    assert json.loads(out)["offline"] is True
    assert f"The hub at {server.url} can't be reached" in err
    assert "last good sync: 20" in err
    assert len(files(tmp_path / "home" / "Approved content")) == 2


def test_pin_and_metered_sync(
    hub: tuple[HubServer, str], tmp_path: Path, approved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server, token = hub
    home = str(tmp_path / "home")
    run(capsys, "--home", home, "connect", server.url, "--token", token)
    code, out, _ = run(capsys, "--home", home, "sync", "--metered")
    assert code == 0 and "2 documents wait for a connection that is not metered" in out
    code, out, _ = run(capsys, "--home", home, "pin", "Prices.txt")
    assert code == 0 and "Pinned Prices.txt" in out
    code, out, _ = run(capsys, "--home", home, "sync", "--metered", "--json")
    assert (json.loads(out)["downloaded"], json.loads(out)["pending"]) == (1, 1)
    mirror = files(tmp_path / "home" / "Approved content")
    assert mirror == {"Prices.txt": b"List prices for the enterprise tier."}
    code, out, _ = run(capsys, "--home", home, "unpin", "Prices.txt")
    assert code == 0 and "Unpinned Prices.txt" in out
    code, _, err = run(capsys, "--home", home, "pin", "Nothing.pdf")
    assert code == 2 and "No document 'Nothing.pdf'" in err


def test_connect_a_folder_and_sync(
    tmp_path: Path, approved: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    code, out, _ = run(capsys, "--home", home, "connect", str(approved), "--poll", "--json")
    assert code == 0
    assert json.loads(out)["kind"] == "folder" and json.loads(out)["documents"] == 2
    code, out, _ = run(capsys, "--home", home, "sync", "--jobs", "2")
    assert code == 0 and "2 new" in out
    assert files(tmp_path / "home" / "Approved content") == files(approved)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_only_on_a_terminal() -> None:
    progress = SyncProgress(3, 10, 2_500_000, 10_000_000, 1_250_000.0, 6.0, "Decks/Overview.pptx")
    terminal = Terminal()
    bar = ProgressBar(terminal)
    bar.update(progress)
    line = terminal.getvalue()
    assert line.startswith("\rSyncing [#####---------------] 3/10 files")
    assert "2.5 MB of 10.0 MB · 1.2 MB/s · 7 s left · Decks/Overview.pptx" in line
    bar.finish()
    assert terminal.getvalue().endswith("\r")
    piped = io.StringIO()
    ProgressBar(piped).update(progress)
    quiet = Terminal()
    ProgressBar(quiet, enabled=False).update(progress)
    assert piped.getvalue() == quiet.getvalue() == ""
