"""The CLI contract scripts rely on: JSON shapes, exit codes, messages on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldkit.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, Path]:
    home = tmp_path / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pricing.md").write_text(
        "# Price list\n\nThe enterprise tier includes premium support and analytics.\n"
    )
    (docs / "notes.txt").write_text("Dashboards for retail and grocery chains.\n")
    (docs / "broken.docx").write_bytes(b"PK\x03\x04 this zip stops here")
    return home, docs


def test_add_folder_index_search_status(
    capsys: pytest.CaptureFixture[str], library: tuple[Path, Path]
) -> None:
    home, docs = library
    code, out, _ = run(capsys, "--home", str(home), "add-folder", str(docs), "--no-index")
    assert code == 0 and "Added" in out

    report = run_json(capsys, "--home", str(home), "index", "--json")
    assert {k: report[k] for k in ("indexed", "unchanged", "removed", "failed")} == {
        "indexed": 2, "unchanged": 0, "removed": 0, "failed": 1,
    }
    assert report["failures"] == [{"path": str(docs / "broken.docx"), "reason": "damaged file"}]

    again = run_json(capsys, "--home", str(home), "index", "--json")
    assert (again["indexed"], again["unchanged"]) == (0, 3)

    found = run_json(capsys, "--home", str(home), "search", "enterprise tier", "--json")
    assert found["query"] == "enterprise tier"
    assert found["total"] == 1
    assert found["corrected"] is None
    hit = found["hits"][0]
    assert set(hit) >= {
        "doc_id", "path", "title", "format", "score", "location", "also", "snippet", "status",
        "version",
    }
    assert hit["path"] == str(docs / "pricing.md")
    assert hit["title"] == "Price list"
    assert hit["format"] == "md"
    assert hit["location"] == {"kind": None, "number": None}
    assert "<b>enterprise</b>" in hit["snippet"]

    status = run_json(capsys, "--home", str(home), "status", "--json")
    assert {k: status[k] for k in ("documents", "indexed", "failed", "index_ok")} == {
        "documents": 3, "indexed": 2, "failed": 1, "index_ok": True,
    }
    assert status["mirror"] == str(home.resolve() / "Approved content")
    assert status["hub"] is None and status["last_sync"] is None


def test_typo_is_corrected(capsys: pytest.CaptureFixture[str], library: tuple[Path, Path]) -> None:
    home, docs = library
    run(capsys, "--home", str(home), "add-folder", str(docs))
    found = run_json(capsys, "--home", str(home), "search", "dashbaords", "--json")
    assert found["corrected"] == "dashboards"
    assert [Path(h["path"]).name for h in found["hits"]] == ["notes.txt"]


def test_queries_file_gives_one_json_per_line(
    capsys: pytest.CaptureFixture[str], library: tuple[Path, Path], tmp_path: Path
) -> None:
    home, docs = library
    run(capsys, "--home", str(home), "add-folder", str(docs))
    queries = tmp_path / "queries.txt"
    queries.write_text("premium\nretail\nnothing-matches-this\n")
    code, out, err = run(
        capsys, "--home", str(home), "search", "--queries", str(queries), "--json", "--limit", "5"
    )
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [doc["query"] for doc in lines] == ["premium", "retail", "nothing-matches-this"]
    assert [doc["total"] for doc in lines] == [1, 1, 0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add-folder", "/no/such/folder"], "No such folder"),
        (["search"], "Give either a QUERY or --queries FILE"),
        (["search", "--queries", "/no/such/file", "--json"], "Cannot read"),
        (["remove-folder", "/not/added"], "not one of your personal folders"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nonzero_exit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--home", str(tmp_path / "home"), *argv)
    assert code != 0
    assert out == ""
    assert message in err


def test_console_script_runs_as_a_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fieldkit", "--home", str(tmp_path), "status", "--json"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["documents"] == 0


def test_a_search_is_recorded_for_marketing_unless_switched_off(
    capsys: pytest.CaptureFixture[str], library: tuple[Path, Path]
) -> None:
    from fieldkit.core.client import open_client
    from fieldkit.core.home import HomePaths

    home, docs = library
    run(capsys, "--home", str(home), "add-folder", str(docs))
    run_json(capsys, "--home", str(home), "search", "warehouse robots", "--json")
    with open_client(HomePaths(home.resolve())) as client:
        signals = client.outbox.pending_signals()
        assert [(s["query"], s["results"]) for s in signals] == [("warehouse robots", 0)]
        client.save_settings(client.settings.with_value("usage_signals", "off"))
    run_json(capsys, "--home", str(home), "search", "premium", "--json")
    with open_client(HomePaths(home.resolve())) as client:
        assert [s["query"] for s in client.outbox.pending_signals()] == ["warehouse robots"]
