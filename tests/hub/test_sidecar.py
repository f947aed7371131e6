from __future__ import annotations

from pathlib import Path

from fieldkit.hub.sidecar import Metadata, parse_sidecar, read_sidecar, sidecar_path_for

LABEL = "Decks/Pricing.xlsx.meta.toml"


def test_full_sidecar_is_read() -> None:
    result = parse_sidecar(
        """
title = "Price sheet 2026"
tags = ["pricing", "emea", "pricing"]
audience = ["enterprise"]
released = 2026-01-15
expires = "2026-06-30"
withdrawn = false
superseded_by = 'Case Studies\\Acme 2026.docx'
notes = "Q4 prices; new enterprise tier"
""",
        LABEL,
    )
    assert result.problems == ()
    assert result.metadata == Metadata(
        title="Price sheet 2026",
        tags=("pricing", "emea"),
        audience=("enterprise",),
        released="2026-01-15",
        expires="2026-06-30",
        withdrawn=False,
        superseded_by="Case Studies/Acme 2026.docx",
        notes="Q4 prices; new enterprise tier",
    )


def test_withdrawn_with_a_reason() -> None:
    result = parse_sidecar('withdrawn = "Replaced by the new positioning"', LABEL)
    assert result.metadata.withdrawn
    assert result.metadata.withdrawn_reason == "Replaced by the new positioning"


def test_a_single_tag_may_be_a_string_and_a_datetime_counts_as_its_date() -> None:
    result = parse_sidecar('tags = "pricing"\nreleased = 2026-01-15T09:00:00Z', LABEL)
    assert result.problems == ()
    assert result.metadata.tags == ("pricing",)
    assert result.metadata.released == "2026-01-15"


def test_bad_values_name_the_file_and_key_and_fall_back_to_defaults() -> None:
    result = parse_sidecar(
        """
title = 42
tags = [1, 2]
released = "soon"
expires = "2026-02-30"
withdrawn = 3
superseded_by = "../outside.docx"
colour = "blue"
notes = "kept"
""",
        LABEL,
    )
    assert result.metadata == Metadata(notes="kept")
    keys = ["title", "tags", "released", "expires", "withdrawn", "superseded_by", "colour"]
    assert len(result.problems) == len(keys)
    for key, problem in zip(keys, result.problems, strict=True):
        assert problem.startswith(LABEL + ":")
        assert repr(key) in problem


def test_invalid_toml_gives_defaults_and_one_problem() -> None:
    result = parse_sidecar('title = "unterminated', LABEL)
    assert result.metadata == Metadata()
    assert len(result.problems) == 1
    assert "not valid TOML" in result.problems[0]
    assert LABEL in result.problems[0]


def test_missing_sidecar_means_defaults(tmp_path: Path) -> None:
    sidecar = sidecar_path_for(tmp_path / "Deck.pptx")
    assert sidecar.name == "Deck.pptx.meta.toml"
    assert read_sidecar(sidecar, "Deck.pptx.meta.toml").metadata == Metadata()


def test_sidecar_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    sidecar = tmp_path / "Deck.pptx.meta.toml"
    sidecar.write_bytes('title = "Überblick"'.encode("latin-1"))
    result = read_sidecar(sidecar, "Deck.pptx.meta.toml")
    assert result.metadata == Metadata()
    assert "UTF-8" in result.problems[0]


def test_utf8_with_bom_is_read(tmp_path: Path) -> None:
    sidecar = tmp_path / "Deck.pptx.meta.toml"
    sidecar.write_bytes('title = "Überblick"'.encode("utf-8-sig"))
    assert read_sidecar(sidecar, "Deck.pptx.meta.toml").metadata.title == "Überblick"
