"""The freshness commands against a real hub on 127.0.0.1: watch, outdated, replace-copy, open,
whats-new and kit — JSON shapes, exit codes, warnings on stderr."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldkit.cli import main
from fieldkit.hub import Hub, HubServer

PRICES_V1 = b"price list v1"
PRICES_V2 = b"price list v2, with the enterprise tier"


class Marketing:
    """The hub folder, its hub served on a free port, and one rep's token."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "approved"
        self.root.mkdir()
        self.hub = Hub.open(self.root, str(tmp_path / "hub.sqlite3"))
        self.token = self.hub.reps.add("alice")
        self.server: HubServer | None = HubServer(self.hub).start()
        self.url = self.server.url

    def publish(self, rel: str, content: bytes, meta: str | None = None) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        if meta is not None:
            path.with_name(path.name + ".meta.toml").write_text(meta, encoding="utf-8")
        self.hub.rescan()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture
def marketing(tmp_path: Path) -> Iterator[Marketing]:
    running = Marketing(tmp_path)
    running.publish("Pricing/Prices.xlsx", PRICES_V1, 'title = "Prices"\n')
    running.publish("Decks/Overview.md", b"# Overview\n\nThe product in one page.\n")
    yield running
    running.stop()


@pytest.fixture
def home(tmp_path: Path, marketing: Marketing, capsys: pytest.CaptureFixture[str]) -> Path:
    """A laptop connected to the hub and synced once."""
    home = tmp_path / "home"
    run_ok(capsys, "--home", str(home), "connect", marketing.url, f"--token={marketing.token}")
    run_ok(capsys, "--home", str(home), "sync", "--json")
    return home


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return out


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    return json.loads(run_ok(capsys, *argv, "--json"))


def doc_ids(capsys: pytest.CaptureFixture[str], home: Path) -> dict[str, str]:
    """Document ids by title (from `whats-new --keep`, which lists every new document)."""
    news = run_json(capsys, "--home", str(home), "whats-new", "--keep")
    return {d["title"]: d["doc_id"] for d in news["documents"]}


def test_watch_add_list_remove(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path
) -> None:
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    out = run_ok(capsys, "--home", str(home), "watch", "add", str(downloads))
    assert str(downloads) in out
    listed = run_json(capsys, "--home", str(home), "watch", "list")
    assert listed["folders"] == [str(downloads)]
    assert isinstance(listed["suggested"], list)
    code, _, err = run(capsys, "--home", str(home), "watch", "add", str(downloads))
    assert code == 2 and "already watched" in err
    run_ok(capsys, "--home", str(home), "watch", "remove", str(downloads))
    assert run_json(capsys, "--home", str(home), "watch", "list")["folders"] == []


def test_outdated_lists_documents_and_stale_copies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path, marketing: Marketing
) -> None:
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    (downloads / "Prices from mail.xlsx").write_bytes(PRICES_V1)
    run_ok(capsys, "--home", str(home), "watch", "add", str(downloads))
    marketing.publish("Pricing/Prices.xlsx", PRICES_V2, 'title = "Prices"\nnotes = "New tier"\n')
    run_ok(capsys, "--home", str(home), "sync", "--metered", "--json")

    report = run_json(capsys, "--home", str(home), "outdated")
    assert set(report) >= {"checked_at", "documents", "stale_copies"}
    assert report["checked_at"].endswith("Z")
    [doc] = report["documents"]
    assert {k: doc[k] for k in ("title", "state", "local_version", "latest_version", "reason")} == {
        "title": "Prices",
        "state": "outdated",
        "local_version": 1,
        "latest_version": 2,
        "reason": "You have v1; v2 is available.",
    }
    assert doc["details"].endswith(": New tier")
    [copy] = report["stale_copies"]
    assert {k: copy[k] for k in ("path", "doc_id", "copy_version", "latest_version")} == {
        "path": str(downloads / "Prices from mail.xlsx"),
        "doc_id": doc["doc_id"],
        "copy_version": 1,
        "latest_version": 2,
    }
    text = run_ok(capsys, "--home", str(home), "outdated")
    assert "[outdated] Prices — You have v1; v2 is available." in text
    assert "Old copy of Prices (v1) in Downloads — latest is v2." in text


def test_replace_copy_sends_the_old_one_to_the_trash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path, marketing: Marketing
) -> None:
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    old = downloads / "Prices.xlsx"
    old.write_bytes(PRICES_V1)
    run_ok(capsys, "--home", str(home), "watch", "add", str(downloads))
    marketing.publish("Pricing/Prices.xlsx", PRICES_V2, 'title = "Prices"\n')
    run_ok(capsys, "--home", str(home), "sync", "--json")
    assert len(run_json(capsys, "--home", str(home), "outdated")["stale_copies"]) == 1

    # A fresh process, so send2trash reads this XDG_DATA_HOME (it does so when imported).
    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(home), "replace-copy", str(old)],
        env={**os.environ, "XDG_DATA_HOME": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "to the trash" in done.stdout
    assert old.read_bytes() == PRICES_V2
    assert (data / "Trash" / "files" / "Prices.xlsx").read_bytes() == PRICES_V1
    assert run_json(capsys, "--home", str(home), "outdated")["stale_copies"] == []


def test_open_fetches_the_newest_when_the_hub_answers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path, marketing: Marketing
) -> None:
    prices = doc_ids(capsys, home)["Prices"]
    marketing.publish("Pricing/Prices.xlsx", PRICES_V2, 'title = "Prices"\n')
    code, out, err = run(capsys, "--home", str(home), "open", prices, "--print-path")
    assert code == 0, err
    path = Path(out.strip())
    assert path == home / "Approved content" / "Pricing" / "Prices.xlsx"
    assert path.read_bytes() == PRICES_V2
    assert "Fetched v2 of “Prices”." in err
    assert "warning" not in err


def test_open_offline_warns_and_opens_the_local_copy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path, marketing: Marketing
) -> None:
    marketing.publish("Pricing/Prices.xlsx", PRICES_V2, 'title = "Prices"\n')
    run_ok(capsys, "--home", str(home), "sync", "--metered", "--json")
    marketing.stop()
    code, out, err = run(
        capsys, "--home", str(home), "open", "Pricing/Prices.xlsx", "--print-path"
    )
    assert code == 0, err
    assert Path(out.strip()).read_bytes() == PRICES_V1
    assert (
        "fieldkit: warning: Opening the copy on this laptop: the hub can't be reached right now."
        " “Prices”: You have v1 (" in err
    )


def test_whats_new_marks_documents_seen(
    capsys: pytest.CaptureFixture[str], home: Path, marketing: Marketing
) -> None:
    first = run_json(capsys, "--home", str(home), "whats-new")
    assert first["since"] is None
    assert {(d["title"], d["change"]) for d in first["documents"]} == {
        ("Prices", "added"), ("Overview", "added"),
    }
    assert run_json(capsys, "--home", str(home), "whats-new")["documents"] == []
    marketing.publish("Pricing/Prices.xlsx", PRICES_V2, 'title = "Prices"\nnotes = "New tier"\n')
    run_ok(capsys, "--home", str(home), "sync", "--json")
    out = run_ok(capsys, "--home", str(home), "whats-new")
    assert "Prices (v1 → v2): New tier" in out


def test_kit_commands(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, home: Path, marketing: Marketing
) -> None:
    ids = doc_ids(capsys, home)
    h = ("--home", str(home))
    run_ok(capsys, *h, "kit", "new", "ACME pitch", "--date", "2031-03-04 10:00",
           "--customer", "ACME")
    out = run_ok(capsys, *h, "kit", "add", "ACME pitch", ids["Prices"], "Decks/Overview.md")
    assert "2 documents" in out
    listed = run_json(capsys, *h, "kit", "list")
    assert listed["kits"] == [{
        "name": "ACME pitch", "customer": "ACME", "meeting": "2031-03-04T10:00",
        "doc_ids": [ids["Prices"], ids["Overview"]],
    }]
    check = run_json(capsys, *h, "kit", "check", "ACME pitch")
    assert check["ready"] is True
    assert check["message"] == "Ready for Tue 4 Mar 2031 10:00 ACME"

    marketing.publish("Pricing/Prices.xlsx", PRICES_V2, 'title = "Prices"\n')
    marketing.publish("Decks/Overview.md", b"# Overview\n\nThe product in one page.\n",
                      'withdrawn = "Old positioning"\n')
    run_ok(capsys, *h, "sync", "--metered", "--json")  # pinned: Prices v2 comes anyway
    code, out, _ = run(capsys, *h, "kit", "check", "ACME pitch", "--json")
    assert code == 1
    flipped = json.loads(out)
    assert (flipped["ready"], flipped["message"]) == (False, "1 item withdrawn")
    assert [(i["title"], i["problem"], i["local_version"]) for i in flipped["items"]] == [
        ("Prices", None, 2), ("Overview", "withdrawn", 1),
    ]
    code, out, _ = run(capsys, *h, "kit", "export", "ACME pitch", str(tmp_path / "no"))
    assert code == 1 and not (tmp_path / "no").exists()
    run_ok(capsys, *h, "kit", "remove", "ACME pitch", ids["Overview"])
    assert run_json(capsys, *h, "kit", "check", "ACME pitch")["ready"] is True

    code, out, _ = run(capsys, *h, "kit", "check", "Nope")
    assert code == 2

    dest = tmp_path / "out" / "ACME"
    out = run_ok(capsys, *h, "kit", "export", "ACME pitch", str(dest), "--zip")
    archive = dest.with_name("ACME.zip")
    assert str(archive) in out
    with zipfile.ZipFile(archive) as opened:
        stamp = opened.read("manifest.txt").decode()
    assert f"Prices\tv2\t{hashlib.sha256(PRICES_V2).hexdigest()}\tPrices.xlsx" in stamp
    run_ok(capsys, *h, "kit", "delete", "ACME pitch")
    assert run_json(capsys, *h, "kit", "list")["kits"] == []
