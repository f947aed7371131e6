from __future__ import annotations

from pathlib import Path

import pytest

from fieldkit.hub.paths import (
    is_document_name,
    locate_inside,
    normalize_rel_path,
    resolve_inside,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Deck.pptx", True),
        (".hidden.pdf", False),
        ("~$Deck.pptx", False),
        ("download.part", False),
        ("save.TMP", False),
        ("Deck.pptx.meta.toml", False),
        ("notes.toml", True),
    ],
)
def test_which_names_are_documents(name: str, expected: bool) -> None:
    assert is_document_name(name) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Decks/Overview.pptx", "Decks/Overview.pptx"),
        ("./Decks//Overview.pptx", "Decks/Overview.pptx"),
        ("Decks\\Overview.pptx", "Decks/Overview.pptx"),
        ("../secret.txt", None),
        ("Decks/../../secret.txt", None),
        ("/etc/passwd", None),
        ("C:/Windows/win.ini", None),
        ("C:\\Windows\\win.ini", None),
        ("bad\0name", None),
        ("", None),
        (".", None),
        ("Decks/./Overview.pptx/", "Decks/Overview.pptx"),
        ("//server/share/a.pdf", None),
        ("\\\\server\\share\\a.pdf", None),
        ("Decks/..", None),
    ],
)
def test_relative_paths_are_normalized_or_refused(text: str, expected: str | None) -> None:
    assert normalize_rel_path(text) == expected


@pytest.mark.parametrize("one_request", [False, True])
def test_resolve_inside_refuses_escapes(tmp_path: Path, one_request: bool) -> None:
    root = tmp_path / "root"
    (root / "Decks").mkdir(parents=True)
    (root / "Decks" / "a.pdf").write_bytes(b"a")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_bytes(b"x")
    (root / "a.pdf.meta.toml").write_bytes(b"")
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"secret")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "b.pdf").write_bytes(b"secret")
    (root / "escape.txt").symlink_to(outside)
    (root / "inside-link.pdf").symlink_to(root / "Decks" / "a.pdf")
    (root / "Linked").symlink_to(tmp_path / "elsewhere")
    (root / "Shortcut").symlink_to(root / "Decks")
    root = root.resolve()
    # One request's calls share what they resolved; each call alone resolves everything.
    folders: dict[str, str | None] | None = {} if one_request else None

    for _ in range(2):
        assert resolve_inside(root, "Decks/a.pdf", folders) == root / "Decks" / "a.pdf"
        assert resolve_inside(root, "inside-link.pdf", folders) == root / "Decks" / "a.pdf"
        assert resolve_inside(root, "Shortcut/a.pdf", folders) == root / "Decks" / "a.pdf"
        # The stat comes with the look-up: the file's own, also through a symlink.
        for rel in ("Decks/a.pdf", "inside-link.pdf"):
            located = locate_inside(root, rel, folders)
            assert located is not None and located[1].st_size == 1
            assert located[1].st_ino == (root / "Decks" / "a.pdf").stat().st_ino
        for refused in [
            "escape.txt",
            "../outside.txt",
            "Decks/../../outside.txt",
            str(outside),
            ".git/config",
            "a.pdf.meta.toml",
            "Decks",
            "Decks/missing.pdf",
            "./Decks/a.pdf",
            "Linked/b.pdf",
            "Missing/a.pdf",
        ]:
            assert resolve_inside(root, refused, folders) is None, refused
