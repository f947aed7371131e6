"""Which files under the root are documents, and safe relative paths inside the root."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

SIDECAR_SUFFIX = ".meta.toml"
_SKIPPED_SUFFIXES = (".tmp", ".part", SIDECAR_SUFFIX)


def is_document_name(name: str) -> bool:
    """Hidden files, Office lock files (``~$*``), partial files and sidecars are not documents."""
    if name.startswith((".", "~$")):
        return False
    return not name.lower().endswith(_SKIPPED_SUFFIXES)


def is_visible_dir_name(name: str) -> bool:
    return not name.startswith(".")


def normalize_rel_path(text: str) -> str | None:
    """``text`` as a clean POSIX path relative to the root, or None when it could leave the root.

    Backslashes count as separators (marketing may type Windows paths); empty, absolute, ``..``,
    NUL-containing and drive-letter paths are refused.
    """
    if not text or "\0" in text:
        return None
    posix = text.replace("\\", "/")
    pure = PurePosixPath(posix)
    if pure.is_absolute() or (len(posix) > 1 and posix[1] == ":"):
        return None
    parts = [part for part in pure.parts if part != "."]
    if not parts or any(part == ".." for part in parts):
        return None
    return "/".join(parts)


def resolve_inside(root: Path, rel_path: str) -> Path | None:
    """The real path of ``rel_path`` under ``root`` if it is a regular file that stays inside.

    ``root`` must already be resolved. Symlinks are followed and the target must still be
    inside the root; anything else (escape, missing, not a regular file) gives None.
    """
    clean = normalize_rel_path(rel_path)
    if clean is None or clean != rel_path:
        return None
    *dirs, name = clean.split("/")
    if not is_document_name(name) or not all(is_visible_dir_name(part) for part in dirs):
        return None
    candidate = root.joinpath(*clean.split("/"))
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root) or not real.is_file():
        return None
    return real
