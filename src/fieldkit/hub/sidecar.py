"""Marketing's metadata: a ``<file name>.meta.toml`` sidecar next to each document.

Example, for ``Pricing 2026.xlsx`` the file ``Pricing 2026.xlsx.meta.toml``::

    title = "Price sheet 2026"
    tags = ["pricing", "emea"]
    audience = ["enterprise"]
    released = 2026-01-15          # TOML date or "YYYY-MM-DD"
    expires = 2026-06-30
    withdrawn = false              # or a string: the reason
    superseded_by = "Case Studies/Acme 2026.docx"   # path of the replacement, relative to root
    notes = "Q4 prices; new enterprise tier"        # version notes for the current version

A sidecar that cannot be read, an unknown key or a bad value is reported as a problem naming the
file and the key; every key that could not be used takes its default.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fieldkit.hub.paths import SIDECAR_SUFFIX, normalize_rel_path

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Metadata:
    """A document's metadata; the defaults are what a file without a sidecar gets."""

    title: str | None = None
    tags: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    released: str | None = None
    expires: str | None = None
    withdrawn: bool = False
    withdrawn_reason: str | None = None
    superseded_by: str | None = None
    notes: str | None = None


def metadata_digest(metadata: Metadata) -> str:
    """A short digest of ``metadata``: equal digests mean equal metadata."""
    text = json.dumps(dataclasses.astuple(metadata), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


DEFAULT_METADATA = Metadata()
DEFAULT_DIGEST = metadata_digest(DEFAULT_METADATA)


@dataclass(frozen=True)
class SidecarResult:
    metadata: Metadata
    problems: tuple[str, ...] = field(default=())


def sidecar_path_for(document: Path) -> Path:
    return document.with_name(document.name + SIDECAR_SUFFIX)


def read_sidecar(sidecar: Path, label: str) -> SidecarResult:
    """Read the sidecar at ``sidecar`` (``label`` names it in messages). Missing → defaults."""
    try:
        raw = sidecar.read_bytes()
    except FileNotFoundError:
        return SidecarResult(Metadata())
    except OSError as exc:
        return SidecarResult(Metadata(), (f"{label}: cannot be read ({exc.strerror}); "
                                          "using default metadata",))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return SidecarResult(
            Metadata(), (f"{label}: is not UTF-8 text; save it as UTF-8. Using default metadata",)
        )
    return parse_sidecar(text, label)


def parse_sidecar(text: str, label: str) -> SidecarResult:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return SidecarResult(
            Metadata(), (f"{label}: not valid TOML ({exc}); using default metadata",)
        )
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, raw in data.items():
        parser = _PARSERS.get(key)
        if parser is None:
            known = ", ".join(sorted(_PARSERS))
            problems.append(f"{label}: unknown key {key!r} ignored (known keys: {known})")
            continue
        try:
            values.update(parser(raw))
        except ValueError as exc:
            problems.append(f"{label}: key {key!r} {exc}; using the default")
    return SidecarResult(Metadata(**values), tuple(problems))


def _text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"must be text in quotes (got {raw!r})")
    return raw.strip()


def _title(raw: Any) -> dict[str, Any]:
    return {"title": _text(raw) or None}


def _notes(raw: Any) -> dict[str, Any]:
    return {"notes": _text(raw) or None}


def _words(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ValueError(f'must be a list of words like ["pricing", "emea"] (got {raw!r})')
    return tuple(dict.fromkeys(item.strip() for item in raw if item.strip()))


def _tags(raw: Any) -> dict[str, Any]:
    return {"tags": _words(raw)}


def _audience(raw: Any) -> dict[str, Any]:
    return {"audience": _words(raw)}


def _date(raw: Any) -> str:
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw.strip()):
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            pass
    raise ValueError(f"must be a date like 2026-01-15 (got {raw!r})")


def _released(raw: Any) -> dict[str, Any]:
    return {"released": _date(raw)}


def _expires(raw: Any) -> dict[str, Any]:
    return {"expires": _date(raw)}


def _withdrawn(raw: Any) -> dict[str, Any]:
    if isinstance(raw, bool):
        return {"withdrawn": raw}
    if isinstance(raw, str):
        reason = raw.strip()
        return {"withdrawn": True, "withdrawn_reason": reason or None}
    raise ValueError(f'must be true, false or the reason in quotes (got {raw!r})')


def _superseded_by(raw: Any) -> dict[str, Any]:
    path = normalize_rel_path(_text(raw))
    if path is None:
        raise ValueError(
            f"must be the path of the replacement inside the folder, like "
            f'"Case Studies/Acme 2026.docx" (got {raw!r})'
        )
    return {"superseded_by": path}


_PARSERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "title": _title,
    "tags": _tags,
    "audience": _audience,
    "released": _released,
    "expires": _expires,
    "withdrawn": _withdrawn,
    "superseded_by": _superseded_by,
    "notes": _notes,
}
