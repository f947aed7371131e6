"""The hub's manifest, parsed and checked before anything reaches the disk.

A manifest comes from a machine the laptop does not control, so every entry is checked on its own:
an entry with a path that could leave the mirror (``..``, absolute, NUL), an overlong path, a name
the local system cannot hold, a path that collides with another entry (compared without case, as
Windows and macOS do), or malformed fields is *refused* with a reason and never written. The rest
of the manifest is used as usual.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fieldkit.core.errors import FieldkitError

# Longest relative path (characters) and path component (UTF-8 bytes) a mirror accepts.
MAX_PATH_CHARS = 1024
MAX_COMPONENT_BYTES = 255

_DOC_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"[A-Za-z]:")
_WINDOWS_FORBIDDEN = set('<>:"|?*')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{stem}{n}" for stem in ("COM", "LPT") for n in range(1, 10)
}
_NOT_DOCUMENT_SUFFIXES = (".tmp", ".part", ".meta.toml")


class ManifestError(FieldkitError):
    """The manifest as a whole cannot be used (not JSON, wrong shape)."""


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    sha256: str
    size: int
    published_at: str | None
    notes: str | None


@dataclass(frozen=True)
class ManifestDocument:
    id: str
    path: str
    version: int
    sha256: str
    size: int
    modified: str | None = None
    title: str | None = None
    tags: tuple[str, ...] = ()
    audience: tuple[str, ...] = ()
    released: str | None = None
    expires: str | None = None
    withdrawn: bool = False
    withdrawn_reason: str | None = None
    superseded_by: str | None = None
    notes: str | None = None
    history: tuple[HistoryEntry, ...] = ()


@dataclass(frozen=True)
class Refusal:
    """A manifest entry that was not used, and why (shown to the rep as a failed document)."""

    doc_id: str
    reason: str


@dataclass(frozen=True)
class Manifest:
    generation: int
    generated_at: str | None
    documents: tuple[ManifestDocument, ...]
    refused: tuple[Refusal, ...] = ()


def path_key(path: str) -> str:
    """How two paths compare on a case-insensitive file system (Windows, macOS)."""
    return unicodedata.normalize("NFC", path).casefold()


def check_rel_path(path: object, *, windows: bool = False) -> str | None:
    """Why ``path`` may not be used as a location inside the mirror, or None when it may.

    ``windows`` adds the rules of Windows file names (forbidden characters, device names,
    trailing dots and spaces).
    """
    if not isinstance(path, str) or not path:
        return "the path is empty or not text"
    if "\0" in path:
        return "the path contains a NUL character"
    if _CONTROL_CHARACTER.search(path):
        return "the path contains control characters"
    if path.startswith(("/", "\\")) or _DRIVE.match(path):
        return "the path is absolute"
    if "\\" in path:
        return "the path contains a backslash"
    if len(path) > MAX_PATH_CHARS:
        return f"the path is longer than {MAX_PATH_CHARS} characters"
    parts = path.split("/")
    for part in parts:
        reason = _check_component(part, windows=windows)
        if reason is not None:
            return reason
    name = parts[-1]
    if name.startswith("~$") or name.lower().endswith(_NOT_DOCUMENT_SUFFIXES):
        return "the name is a lock, partial or sidecar file, not a document"
    return None


def _check_component(part: str, *, windows: bool) -> str | None:
    if part in ("", ".", ".."):
        return "the path has an empty, '.' or '..' part (it could leave the mirror)"
    if part.startswith("."):
        return "the path uses a hidden (reserved) name"
    if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
        return f"a file or folder name is longer than {MAX_COMPONENT_BYTES} bytes"
    if windows:
        if _WINDOWS_FORBIDDEN.intersection(part):
            return 'a name contains one of < > : " | ? *, which Windows does not allow'
        if part.endswith((" ", ".")):
            return "a name ends with a space or a dot, which Windows does not allow"
        if part.split(".")[0].upper() in _WINDOWS_RESERVED:
            return f"'{part}' is a reserved device name on Windows"
    return None


def parse_manifest(data: object, *, windows: bool = False) -> Manifest:
    """Check a decoded manifest document; unusable entries are refused one by one."""
    if not isinstance(data, dict):
        raise ManifestError("The hub sent a manifest that is not a JSON object.")
    generation = data.get("generation")
    entries = data.get("documents")
    if not isinstance(generation, int) or isinstance(generation, bool):
        raise ManifestError("The hub sent a manifest without a generation number.")
    if not isinstance(entries, list):
        raise ManifestError("The hub sent a manifest without a document list.")
    generated_at = data.get("generated_at")
    documents, refused = check_documents(entries, windows=windows)
    return Manifest(
        generation=generation,
        generated_at=generated_at if isinstance(generated_at, str) else None,
        documents=documents,
        refused=refused,
    )


def check_documents(
    entries: Iterable[object], *, windows: bool = False
) -> tuple[tuple[ManifestDocument, ...], tuple[Refusal, ...]]:
    """Parse entries in order; an entry that collides with an earlier accepted one is refused."""
    accepted: list[ManifestDocument] = []
    refused: list[Refusal] = []
    ids: set[str] = set()
    file_keys: set[str] = set()
    dir_keys: set[str] = set()
    for index, entry in enumerate(entries):
        raw_id = entry.get("id") if isinstance(entry, dict) else None
        label = raw_id if isinstance(raw_id, str) and raw_id else f"entry #{index + 1}"
        try:
            document = _parse_document(entry, windows=windows)
        except ValueError as exc:
            refused.append(Refusal(label, str(exc)))
            continue
        key = path_key(document.path)
        prefixes = _dir_prefixes(key)
        reason = None
        if document.id in ids:
            reason = "another document in the manifest has the same id"
        elif key in file_keys:
            reason = "another document in the manifest has the same path (ignoring case)"
        elif key in dir_keys:
            reason = "the path is also used as a folder by another document"
        elif file_keys.intersection(prefixes):
            reason = "a folder in the path is also a document of the manifest"
        if reason is not None:
            refused.append(Refusal(document.id, f"{reason}: {document.path!r}"))
            continue
        ids.add(document.id)
        file_keys.add(key)
        dir_keys.update(prefixes)
        accepted.append(document)
    return tuple(accepted), tuple(refused)


def _dir_prefixes(key: str) -> list[str]:
    parts = key.split("/")
    return ["/".join(parts[:n]) for n in range(1, len(parts))]


def _parse_document(entry: object, *, windows: bool) -> ManifestDocument:
    if not isinstance(entry, dict):
        raise ValueError("the entry is not a JSON object")
    doc_id = entry.get("id")
    if not isinstance(doc_id, str) or not _DOC_ID.fullmatch(doc_id):
        raise ValueError("the document id is missing or not a safe name")
    path = entry.get("path")
    reason = check_rel_path(path, windows=windows)
    if reason is not None or not isinstance(path, str):
        raise ValueError(f"{reason}: {path!r}"[:400])
    sha256 = entry.get("sha256")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError("the checksum (sha256) is missing or malformed")
    return ManifestDocument(
        id=doc_id,
        path=path,
        version=_count(entry.get("version"), "version", minimum=1),
        sha256=sha256,
        size=_count(entry.get("size"), "size", minimum=0),
        modified=_optional_text(entry.get("modified"), "modified"),
        title=_optional_text(entry.get("title"), "title"),
        tags=_words(entry.get("tags"), "tags"),
        audience=_words(entry.get("audience"), "audience"),
        released=_optional_text(entry.get("released"), "released"),
        expires=_optional_text(entry.get("expires"), "expires"),
        withdrawn=_flag(entry.get("withdrawn"), "withdrawn"),
        withdrawn_reason=_optional_text(entry.get("withdrawn_reason"), "withdrawn_reason"),
        superseded_by=_optional_text(entry.get("superseded_by"), "superseded_by"),
        notes=_optional_text(entry.get("notes"), "notes"),
        history=_history(entry.get("history")),
    )


def _count(raw: Any, name: str, *, minimum: int) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < minimum:
        raise ValueError(f"the {name} is missing or not a whole number ≥ {minimum}")
    return raw


def _optional_text(raw: Any, name: str) -> str | None:
    if raw is None or isinstance(raw, str):
        return raw
    raise ValueError(f"the {name} is not text")


def _flag(raw: Any, name: str) -> bool:
    if raw is None:
        return False
    if not isinstance(raw, bool):
        raise ValueError(f"{name} is not true or false")
    return raw


def _words(raw: Any, name: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise ValueError(f"the {name} are not a list of words")
    return tuple(raw)


def _history(raw: Any) -> tuple[HistoryEntry, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError("the version history is not a list")
    result = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError("a version history entry is not a JSON object")
        sha256 = item.get("sha256")
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise ValueError("a version history entry has a malformed checksum")
        result.append(
            HistoryEntry(
                version=_count(item.get("version"), "history version", minimum=1),
                sha256=sha256,
                size=_count(item.get("size"), "history size", minimum=0),
                published_at=_optional_text(item.get("published_at"), "published_at"),
                notes=_optional_text(item.get("notes"), "history notes"),
            )
        )
    return tuple(result)
