"""The demo library in resources/ is what resources/make_sample_library.py generates.

The generator runs into tmp_path and every file must match the committed one byte for byte, so
the committed library can always be rebuilt from the script. The sidecars must use only the
keys documented for the hub, and the library must show every freshness state on 2026-11-27.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tomllib
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
SCRIPT = RESOURCES / "make_sample_library.py"
LIBRARY = RESOURCES / "sample-library"
HISTORY = RESOURCES / "sample-history"
SIDECAR = ".meta.toml"
TODAY = date(2026, 11, 27)
DOCUMENT_SUFFIXES = {".pptx", ".pdf", ".docx", ".xlsx", ".md", ".html"}
SIDECAR_TYPES: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "tags": list,
    "audience": list,
    "released": date,
    "expires": date,
    "withdrawn": (bool, str),
    "superseded_by": str,
    "notes": str,
}


def _digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _sidecars(root: Path) -> dict[str, dict[str, Any]]:
    """Parsed sidecars keyed by the relative path of the document they describe."""
    return {
        path.relative_to(root).as_posix().removesuffix(SIDECAR): tomllib.loads(
            path.read_text(encoding="utf-8")
        )
        for path in sorted(root.rglob(f"*{SIDECAR}"))
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        check=True, capture_output=True, timeout=120,
    )
    return out


@pytest.mark.parametrize("folder", ["sample-library", "sample-history"])
def test_generator_reproduces_the_committed_files_byte_for_byte(
    generated: Path, folder: str
) -> None:
    committed = _digests(RESOURCES / folder)
    assert committed, f"resources/{folder} is empty"
    assert _digests(generated / folder) == committed, (
        "the committed demo library differs from the generator's output: run "
        "`.venv/bin/python resources/make_sample_library.py` and commit the result"
    )


def test_a_second_run_over_existing_output_gives_the_same_files(
    generated: Path, tmp_path: Path
) -> None:
    stale = tmp_path / "sample-library" / "Decks" / "Old deck.pptx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"left over from an earlier run")
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        check=True, capture_output=True, timeout=120,
    )
    assert _digests(tmp_path / "sample-library") == _digests(generated / "sample-library")


@pytest.mark.parametrize("root", [LIBRARY, HISTORY], ids=["library", "history"])
def test_every_sidecar_parses_and_uses_only_documented_keys(root: Path) -> None:
    sidecars = _sidecars(root)
    assert sidecars
    for document, meta in sidecars.items():
        assert (root / document).is_file(), f"{document}{SIDECAR} describes no document"
        assert set(meta) <= set(SIDECAR_TYPES), f"{document}: {set(meta) - set(SIDECAR_TYPES)}"
        for key, value in meta.items():
            assert isinstance(value, SIDECAR_TYPES[key]), f"{document}: {key} = {value!r}"
        for key in ("tags", "audience"):
            assert all(isinstance(item, str) for item in meta.get(key, [])), document


def test_library_holds_only_documents_and_their_sidecars() -> None:
    for path in LIBRARY.rglob("*"):
        if path.is_dir():
            continue
        name = path.name
        assert not name.startswith((".", "~$")), name
        assert name.endswith(SIDECAR) or path.suffix in DOCUMENT_SUFFIXES, name
    documents = [p for p in LIBRARY.rglob("*") if p.is_file() and not p.name.endswith(SIDECAR)]
    assert 15 <= len(documents) <= 25
    assert {p.suffix for p in documents} == DOCUMENT_SUFFIXES
    total = sum(p.stat().st_size for p in [*LIBRARY.rglob("*"), *HISTORY.rglob("*")])
    assert total < 2 * 1024 * 1024


def test_library_shows_every_freshness_state_on_the_demo_day() -> None:
    meta = _sidecars(LIBRARY)
    expired = {doc for doc, m in meta.items() if "expires" in m and m["expires"] < TODAY}
    expiring = {
        doc for doc, m in meta.items()
        if "expires" in m and TODAY <= m["expires"] <= TODAY + timedelta(days=14)
    }
    withdrawn = {doc for doc, m in meta.items() if isinstance(m.get("withdrawn"), str)}
    superseded = {doc: m["superseded_by"] for doc, m in meta.items() if "superseded_by" in m}

    assert expired == {"Pricing/Price Sheet H1 2026.xlsx"}
    assert expiring == {"One-pagers/Year-End Upgrade Offer.pdf"}
    assert withdrawn == {"One-pagers/Legacy Connector Bundle.pdf"}
    assert superseded == {
        "Case studies/Harborline Grocers Pilot 2025.docx":
            "Case studies/Harborline Grocers 2026.docx",
    }
    assert all((LIBRARY / target).is_file() for target in superseded.values())
    current_price = meta["Pricing/Price Sheet H2 2026.xlsx"]
    assert current_price["expires"] > TODAY + timedelta(days=14)
    assert sum(1 for m in meta.values() if m.get("notes")) >= 5
    assert {"pricing", "security", "healthcare", "retail", "competitive"} <= {
        tag for m in meta.values() for tag in m.get("tags", [])
    }


def test_history_holds_older_versions_of_library_documents() -> None:
    history = _digests(HISTORY)
    library = _digests(LIBRARY)
    older = {path for path in history if not path.endswith(SIDECAR)}
    assert "Decks/Halyard Platform Overview.pptx" in older
    for path in older:
        assert path in library, f"{path} has no newer version in the library"
        assert history[path] != library[path], f"{path} is identical in both folders"
    for path in older:
        released_then = _sidecars(HISTORY)[path]["released"]
        assert released_then < _sidecars(LIBRARY)[path]["released"]


def _pptx_slides(path: Path) -> tuple[int, int]:
    with zipfile.ZipFile(path) as package:
        names = package.namelist()
    slides = sum(1 for n in names if re.fullmatch(r"ppt/slides/slide\d+\.xml", n))
    notes = sum(1 for n in names if re.fullmatch(r"ppt/notesSlides/notesSlide\d+\.xml", n))
    return slides, notes


def test_decks_have_six_to_twelve_slides_a_table_and_speaker_notes() -> None:
    decks = sorted([*LIBRARY.rglob("*.pptx"), *HISTORY.rglob("*.pptx")])
    assert len(decks) >= 4
    for deck in decks:
        slides, notes = _pptx_slides(deck)
        assert 6 <= slides <= 12, deck.name
        assert notes >= 1, deck.name
        with zipfile.ZipFile(deck) as package:
            xml = b"".join(package.read(n) for n in package.namelist() if "slides/slide" in n)
        assert b"<a:tbl>" in xml, deck.name


def test_pdfs_have_a_title_and_one_to_three_pages() -> None:
    pdfs = sorted([*LIBRARY.rglob("*.pdf"), *HISTORY.rglob("*.pdf")])
    assert len(pdfs) >= 6
    for path in pdfs:
        pdf = pdfium.PdfDocument(path)
        try:
            assert 1 <= len(pdf) <= 3, path.name
            assert pdf.get_metadata_dict()["Title"], path.name
        finally:
            pdf.close()


def test_a_term_appears_on_one_page_only() -> None:
    pdf = pdfium.PdfDocument(LIBRARY / "Data sheets" / "Halyard Sentinel Data Sheet.pdf")
    try:
        pages = []
        for page in pdf:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_bounded())
            textpage.close()
            page.close()
    finally:
        pdf.close()
    assert [i for i, text in enumerate(pages) if "FIPS 140-3" in text] == [2]
