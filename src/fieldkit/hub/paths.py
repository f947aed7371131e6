"""Which files under the root are documents, and safe relative paths inside the root."""

from __future__ import annotations

import os
import stat
from pathlib import Path

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
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":"):
        return None
    # Strings, not PurePosixPath: the hub checks every file of every download request.
    parts = [part for part in posix.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def resolve_inside(
    root: Path, rel_path: str, folders: dict[str, str | None] | None = None
) -> Path | None:
    """The real path of ``rel_path`` under ``root`` if it is a regular file that stays inside.

    ``root`` must already be resolved. Symlinks are followed and the target must still be
    inside the root; anything else (escape, missing, not a regular file) gives None.
    ``folders`` keeps the folders resolved so far for the next calls of one request (a request
    for many files resolves each of their folders once); a folder swapped for a symlink
    afterwards is seen by the next request.
    """
    found = locate_inside(root, rel_path, folders)
    return found[0] if found is not None else None


def locate_inside(
    root: Path, rel_path: str, folders: dict[str, str | None] | None = None
) -> tuple[Path, os.stat_result] | None:
    """:func:`resolve_inside`, and the file's stat from the same look-up."""
    clean = normalize_rel_path(rel_path)
    if clean is None or clean != rel_path:
        return None
    *dirs, name = clean.split("/")
    if not is_document_name(name) or not all(is_visible_dir_name(part) for part in dirs):
        return None
    folder = "/".join(dirs)
    if folders is not None and folder in folders:
        real_folder = folders[folder]
    else:
        real_folder = _real_folder(root, dirs)
        if folders is not None:
            folders[folder] = real_folder
    if real_folder is None:
        return None
    path = os.path.join(real_folder, name)
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISREG(info.st_mode):
        return Path(path), info
    if not stat.S_ISLNK(info.st_mode):
        return None
    try:
        real = Path(path).resolve(strict=True)
        info = real.stat()
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root) or not stat.S_ISREG(info.st_mode):
        return None
    return real, info


def _real_folder(root: Path, dirs: list[str]) -> str | None:
    """The real path of the folder ``dirs`` under ``root`` if it is one inside the root."""
    try:
        real = root.joinpath(*dirs).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root) or not real.is_dir():
        return None
    return str(real)
