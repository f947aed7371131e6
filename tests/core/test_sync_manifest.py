"""Manifest checks: every entry that could write outside the mirror, or collide, is refused."""

from __future__ import annotations

from typing import Any

import pytest

from fieldkit.core.manifest import (
    MAX_COMPONENT_BYTES,
    MAX_PATH_CHARS,
    ManifestError,
    check_rel_path,
    parse_manifest,
)

SHA = "a" * 64


def entry(doc_id: str, path: Any, **extra: Any) -> dict[str, Any]:
    return {"id": doc_id, "path": path, "version": 1, "sha256": SHA, "size": 3, **extra}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("../escape.txt", "'..'"),
        ("Decks/../../escape.txt", "'..'"),
        ("./a.txt", "'.'"),
        ("/etc/passwd", "absolute"),
        ("\\\\server\\share\\a.txt", "absolute"),
        ("C:/Windows/a.txt", "absolute"),
        ("c:a.txt", "absolute"),
        ("a\0b.txt", "NUL"),
        ("a\nb.txt", "control"),
        ("Decks\\a.txt", "backslash"),
        ("Decks//a.txt", "empty"),
        ("Decks/", "empty"),
        ("", "empty"),
        (".hidden/a.txt", "hidden"),
        ("Decks/.fieldkit", "hidden"),
        ("x" * (MAX_COMPONENT_BYTES + 1), "longer than"),
        ("é" * (MAX_COMPONENT_BYTES // 2 + 1), "longer than"),
        ("/".join(["d" * 100] * 11), "longer than"),
        ("Decks/~$lock.pptx", "lock"),
        ("Decks/a.pptx.part", "partial"),
        ("Decks/a.pptx.meta.toml", "sidecar"),
        (5, "not text"),
    ],
)
def test_unsafe_paths_are_refused_with_a_reason(path: Any, reason: str) -> None:
    found = check_rel_path(path)
    assert found is not None
    assert reason in found


@pytest.mark.parametrize(
    "path",
    ["a.txt", "Decks/Product Overview.pptx", "Ünïcode/Präsentation 2026.pptx", "a/b/c/d.pdf",
     "Q3: Results.pptx", "x" * MAX_COMPONENT_BYTES],
)
def test_ordinary_paths_pass(path: str) -> None:
    assert check_rel_path(path) is None
    assert len(path) <= MAX_PATH_CHARS


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("Q3: Results.pptx", "Windows"),
        ("Decks/what?.pdf", "Windows"),
        ("Decks./a.pdf", "ends with"),
        ("Decks/a.pdf ", "ends with"),
        ("CON.txt", "reserved device"),
        ("Decks/lpt1", "reserved device"),
    ],
)
def test_windows_rules_apply_on_windows(path: str, reason: str) -> None:
    assert check_rel_path(path) is None
    found = check_rel_path(path, windows=True)
    assert found is not None and reason in found


def test_bad_entries_are_refused_one_by_one_and_the_rest_is_used() -> None:
    manifest = parse_manifest(
        {
            "generation": 7,
            "generated_at": "2026-11-27T12:00:00Z",
            "documents": [
                entry("d_ok", "Decks/Overview.pptx", title="Overview", tags=["pricing"]),
                entry("d_up", "../up.txt"),
                entry("d_dup", "decks/overview.PPTX"),
                entry("d_ok", "Other.pptx"),
                entry("d_file", "Decks"),
                entry("d_under", "Decks/Overview.pptx/inner.txt"),
                entry("d_badsha", "x.txt", sha256="nothex"),
                entry("d_neg", "y.txt", size=-1),
                entry("../id", "z.txt"),
                entry("d_tags", "t.txt", tags="pricing"),
                "not an object",
                entry("d_last", "Zeta/Final.pdf", withdrawn=True, history=[
                    {"version": 1, "sha256": SHA, "size": 3, "published_at": None, "notes": "n"}
                ]),
            ],
        }
    )
    assert manifest.generation == 7
    assert [d.id for d in manifest.documents] == ["d_ok", "d_last"]
    assert manifest.documents[0].title == "Overview"
    assert manifest.documents[0].tags == ("pricing",)
    assert manifest.documents[1].withdrawn
    assert manifest.documents[1].history[0].notes == "n"
    reasons = {r.doc_id: r.reason for r in manifest.refused}
    assert "'..'" in reasons["d_up"]
    assert "same path" in reasons["d_dup"]
    assert "same id" in reasons["d_ok"]
    assert "used as a folder" in reasons["d_file"]
    assert "is also a document" in reasons["d_under"]
    assert "checksum" in reasons["d_badsha"]
    assert "size" in reasons["d_neg"]
    assert "id" in reasons["../id"]
    assert "tags" in reasons["d_tags"]
    assert "not a JSON object" in reasons["entry #11"]


def test_unicode_forms_of_one_name_collide() -> None:
    composed = "Caf\u00e9.pdf"
    decomposed = "Cafe\u0301.pdf"
    manifest = parse_manifest(
        {"generation": 1, "documents": [entry("d_1", composed), entry("d_2", decomposed)]}
    )
    assert [d.id for d in manifest.documents] == ["d_1"]
    assert manifest.refused[0].doc_id == "d_2"


@pytest.mark.parametrize(
    "data",
    [[], {"documents": []}, {"generation": "7", "documents": []}, {"generation": 1}],
)
def test_a_manifest_without_its_frame_is_an_error(data: Any) -> None:
    with pytest.raises(ManifestError):
        parse_manifest(data)
