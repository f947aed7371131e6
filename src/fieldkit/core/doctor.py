"""``fieldkit doctor``: is this laptop's fieldkit in working order, and if not, what to do.

Each check ends ``ok``, ``warn`` (works, but something needs attention) or ``fail`` (something a
rep relies on does not work), with a message a rep understands and, where there is one, what to
do. The CLI prints the report (or JSON) and the app's Diagnostics window shows the same report.
The checks only read: nothing is synced, indexed or repaired here.

The same :class:`Check` and :class:`CheckReport` carry ``fieldkit hub check``'s findings.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import shutil
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import keyring.backend
import keyring.errors
from sqlalchemy import func, or_, select

from fieldkit import __version__
from fieldkit.core.catalog import CATALOG_SCHEMA_VERSION, KeyValue, MirrorEntry
from fieldkit.core.client import Client
from fieldkit.core.credentials import SERVICE, TokenStore, usable_keyring
from fieldkit.core.errors import AuthError, FieldkitError
from fieldkit.core.index import SearchIndex
from fieldkit.core.logs import LOG_FILE_NAME, default_log_dir
from fieldkit.core.source import HubSource, SourceUnreachable
from fieldkit.core.sync import MANIFEST_KEY, sync_status

log = logging.getLogger(__name__)

OK: Final = "ok"
WARN: Final = "warn"
FAIL: Final = "fail"
_RANK = {OK: 0, WARN: 1, FAIL: 2}

INOTIFY_WATCHES = Path("/proc/sys/fs/inotify/max_user_watches")
_MB = 1024 * 1024
_GB = 1024 * _MB


@dataclass(frozen=True)
class Check:
    """One finding: ``name`` is a stable key for scripts, ``label`` what a person reads."""

    name: str
    label: str
    status: str
    message: str
    action: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "status": self.status,
            "message": self.message,
            "action": self.action,
        }


@dataclass(frozen=True)
class CheckReport:
    title: str
    checks: tuple[Check, ...]

    @property
    def status(self) -> str:
        """The worst status of any check."""
        return max((c.status for c in self.checks), key=_RANK.__getitem__, default=OK)

    @property
    def ok(self) -> bool:
        """No check failed (warnings allowed)."""
        return self.status != FAIL

    def count(self, status: str) -> int:
        return sum(1 for c in self.checks if c.status == status)

    def summary(self) -> str:
        failed, warned = self.count(FAIL), self.count(WARN)
        if not failed and not warned:
            return "everything is in order"
        parts = []
        if failed:
            parts.append(f"{failed} problem{'s' if failed != 1 else ''}")
        if warned:
            parts.append(f"{warned} warning{'s' if warned != 1 else ''}")
        return " and ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "status": self.status,
            "checks": [check.to_json() for check in self.checks],
        }

    def to_text(self) -> str:
        """The report as plain text: what the CLI prints and "Copy report" copies."""
        width = max((len(c.label) for c in self.checks), default=0)
        lines = [f"{self.title}: {self.summary()}", ""]
        for check in self.checks:
            lines.append(f"  {check.status:<4}  {check.label:<{width}}  {check.message}")
            if check.action:
                lines.append(f"  {'':<4}  {'':<{width}}  → {check.action}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class DoctorOptions:
    """Thresholds and places the checks use; tests point them at their own."""

    fail_free_bytes: int = 200 * _MB  # less free space than this (plus pending downloads): fail
    warn_free_bytes: int = 2 * _GB  # less than this: warn
    inotify_limit_file: Path = INOTIFY_WATCHES
    hub_timeout_s: float = 5.0
    log_file: Path = field(default_factory=lambda: default_log_dir() / LOG_FILE_NAME)


def run_doctor(
    client: Client,
    tokens: TokenStore,
    keyring_backend: keyring.backend.KeyringBackend,
    options: DoctorOptions | None = None,
) -> CheckReport:
    """Every check of this laptop's fieldkit, in the order a rep reads them."""
    options = options or DoctorOptions()
    hub, token = _hub_and_token(client, tokens, options.hub_timeout_s)
    checks = (
        _versions(),
        hub,
        token,
        _disk_space(client, options),
        _index_health(client),
        _watch_limits(client, options.inotify_limit_file),
        _keyring(keyring_backend, tokens),
        _log_file(options.log_file),
    )
    return CheckReport("fieldkit doctor", checks)


# -- the checks --------------------------------------------------------------------------------


def _versions() -> Check:
    parts = [
        f"fieldkit {__version__}",
        f"Python {platform.python_version()}",
    ]
    qt = _qt_version()
    if qt:
        parts.append(f"Qt {qt}")
    parts += [
        f"SQLite {sqlite3.sqlite_version}",
        f"catalog schema {CATALOG_SCHEMA_VERSION}",
        f"index schema {SearchIndex.SCHEMA_VERSION}",
        f"{platform.system()} {platform.release()} ({platform.machine()})",
    ]
    return Check("versions", "Versions", OK, ", ".join(parts))


def _qt_version() -> str | None:
    # Never import Qt from the core: ask the loaded module (in the app) or the installed package.
    loaded = sys.modules.get("PySide6")
    if loaded is not None:
        return str(getattr(loaded, "__version__", "")) or None
    for dist in ("PySide6-Essentials", "PySide6"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def _hub_and_token(client: Client, tokens: TokenStore, timeout_s: float) -> tuple[Check, Check]:
    status = sync_status(client.home, client.sessions)
    last = f" The last good sync was {status.last_sync_at}." if status.last_sync_at else ""
    if status.source_kind is None or status.source is None:
        return (
            Check(
                "hub",
                "Hub",
                WARN,
                "Not connected to a hub: only your own folders are searchable.",
                "Ask marketing for the hub's address and your token, then run: "
                "fieldkit connect URL --token TOKEN",
            ),
            Check("token", "Hub token", OK, "No hub is connected, so no token is needed."),
        )
    if status.source_kind == "folder":
        folder = Path(status.source)
        no_token = Check("token", "Hub token", OK, "A shared folder needs no token.")
        if folder.is_dir() and os.access(folder, os.R_OK | os.X_OK):
            source = f"Approved content comes from the folder {folder}."
            return Check("hub", "Hub", OK, source), no_token
        return (
            Check(
                "hub",
                "Hub",
                WARN,
                f"The shared folder {folder} can't be reached (not mounted, or no network). "
                f"Everything already on this laptop keeps working.{last}",
                "Connect to the company network or VPN, or mount the share, then sync again.",
            ),
            no_token,
        )
    url = status.source
    token = tokens.load(url)
    # The health check needs no token; an empty one would not even make a valid header.
    placeholder = token or "none"
    with HubSource(url, placeholder, connect_timeout_s=timeout_s, read_timeout_s=timeout_s) as hub:
        try:
            health = hub.health()
        except SourceUnreachable as exc:
            return _unreachable(url, exc, last), Check(
                "token",
                "Hub token",
                FAIL if token is None else WARN,
                _no_token_message(url) if token is None else
                "The token could not be checked: the hub can't be reached.",
                _reconnect(url) if token is None else None,
            )
        except FieldkitError as exc:
            return Check("hub", "Hub", FAIL, str(exc), _check_address(url)), Check(
                "token", "Hub token", WARN, "The token could not be checked.", None
            )
        version = health.get("version")
        hub_check = Check(
            "hub",
            "Hub",
            OK,
            f"The hub at {url} answers"
            + (f" (fieldkit {version} there)." if isinstance(version, str) else "."),
        )
        if token is None:
            return hub_check, Check(
                "token", "Hub token", FAIL, _no_token_message(url), _reconnect(url)
            )
        return hub_check, _token_accepted(client, hub, url)


def _token_accepted(client: Client, hub: HubSource, url: str) -> Check:
    with client.sessions.begin() as session:
        row = session.get(KeyValue, MANIFEST_KEY)
        state = dict(row.value) if row is not None else {}
    etag = state.get("etag") if state.get("source") == url else None
    try:
        # With the last manifest's tag this is one small "not modified" answer.
        hub.fetch_manifest(etag if isinstance(etag, str) else None)
    except AuthError:
        return Check(
            "token",
            "Hub token",
            FAIL,
            f"The hub at {url} refused this laptop's token (revoked or mistyped).",
            "Ask marketing for a new token, then run: " + _reconnect(url),
        )
    except FieldkitError as exc:
        return Check("token", "Hub token", WARN, f"The token could not be checked: {exc}")
    return Check("token", "Hub token", OK, "The hub accepts this laptop's token.")


def _unreachable(url: str, exc: SourceUnreachable, last: str) -> Check:
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(cause):
        return Check(
            "hub",
            "Hub",
            FAIL,
            f"The hub at {url} answers, but this laptop does not trust its certificate.",
            "Ask your administrator: the hub needs a certificate from an authority this laptop "
            "trusts (see the admin guide, 'TLS').",
        )
    return Check(
        "hub",
        "Hub",
        WARN,
        f"{exc}{last}",
        "Check your network or VPN. If other sites work, ask your administrator whether the "
        "hub is running (fieldkit hub check on the hub's server).",
    )


def _no_token_message(url: str) -> str:
    return f"No token is saved for the hub at {url}."


def _reconnect(url: str) -> str:
    return f"fieldkit connect {url} --token TOKEN"


def _check_address(url: str) -> str:
    return f"Check the hub's address with marketing, then run: {_reconnect(url)}"


def _disk_space(client: Client, options: DoctorOptions) -> Check:
    folder = client.home.root
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        return Check(
            "disk", "Disk space", FAIL, f"The free space of {folder} can't be read ({exc})."
        )
    with client.sessions.begin() as session:
        pending = int(
            session.scalar(
                select(func.coalesce(func.sum(MirrorEntry.size), 0)).where(
                    MirrorEntry.withdrawn.is_(False),
                    or_(
                        MirrorEntry.local_version.is_(None),
                        MirrorEntry.local_version != MirrorEntry.version,
                    ),
                )
            )
            or 0
        )
    waiting = f"; the next sync downloads {_size(pending)}" if pending else ""
    message = f"{_size(free)} free on the disk that holds {folder}{waiting}."
    if free < pending + options.fail_free_bytes:
        return Check(
            "disk",
            "Disk space",
            FAIL,
            message + " That is not enough: syncs and the search index need room.",
            "Free some space on this disk (empty the trash, remove old downloads).",
        )
    if free < options.warn_free_bytes:
        return Check(
            "disk", "Disk space", WARN, message + " Space is getting low.",
            "Free some space on this disk soon.",
        )
    return Check("disk", "Disk space", OK, message)


def _index_health(client: Client) -> Check:
    status = client.library.status()
    if not status.index_ok:
        return Check(
            "index",
            "Search index",
            WARN,
            f"The search index needs a rebuild ({status.index_problem}). It rebuilds itself; "
            "search finds less until then.",
            "Open the app, or run: fieldkit index",
        )
    message = f"{status.indexed:,} documents searchable"
    if status.failed:
        message += f"; {status.failed:,} could not be read (fieldkit index --json lists why)"
    return Check("index", "Search index", OK, message + ".")


def _watch_limits(client: Client, limit_file: Path) -> Check:
    if not sys.platform.startswith("linux"):
        return Check(
            "watch", "Folder watching", OK, "This system sets no limit on watched folders."
        )
    folders = [Path(info.path) for info in client.library.folders()]
    directories, files = _count_tree(folders)
    try:
        limit = int(limit_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return Check(
            "watch",
            "Folder watching",
            WARN,
            f"The system's limit on watched folders ({limit_file}) can't be read; changes to "
            "your files may be noticed only at the next full scan.",
        )
    message = (
        f"Your library has {directories:,} folders ({files:,} files) to watch; this computer "
        f"allows {limit:,} watched folders for all programs."
    )
    action = (
        "Ask IT to raise the limit: echo fs.inotify.max_user_watches=524288 | "
        "sudo tee /etc/sysctl.d/60-fieldkit.conf && sudo sysctl --system"
    )
    if directories >= limit:
        return Check(
            "watch",
            "Folder watching",
            FAIL,
            message + " Changes to your files are noticed only at the next full scan.",
            action,
        )
    if directories * 2 > limit:
        return Check(
            "watch",
            "Folder watching",
            WARN,
            message + " Other programs need some too: this is close to the limit.",
            action,
        )
    return Check("watch", "Folder watching", OK, message)


def _count_tree(folders: Iterable[Path]) -> tuple[int, int]:
    directories = files = 0
    for folder in folders:
        for is_dir in _walk_kinds(folder):
            if is_dir:
                directories += 1
            else:
                files += 1
    return directories, files


def _walk_kinds(folder: Path) -> Iterator[bool]:
    """True for each folder (``folder`` included), False for each file, links not followed."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        yield True
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                else:
                    yield False
            except OSError:
                continue


def _keyring(backend: keyring.backend.KeyringBackend, tokens: TokenStore) -> Check:
    name = type(backend).__name__
    fallback = (
        f"The hub token is kept in {tokens.file}, a file only you can read (no system keyring "
        "here)."
    )
    if not usable_keyring(backend):
        return Check(
            "keyring",
            "Token storage",
            WARN,
            fallback,
            "On a Linux desktop, install and unlock GNOME Keyring or KWallet, then connect "
            "again to move the token there.",
        )
    try:
        backend.get_password(SERVICE, "fieldkit-doctor")
    except keyring.errors.KeyringError as exc:
        return Check(
            "keyring",
            "Token storage",
            WARN,
            f"The system keyring ({name}) did not answer ({exc}). " + fallback,
            "Unlock the system keyring (sign out and in again), then run fieldkit doctor again.",
        )
    return Check(
        "keyring", "Token storage", OK, f"Hub tokens are kept in the system keyring ({name})."
    )


def _log_file(path: Path) -> Check:
    folder = path.parent
    if path.exists():
        size = path.stat().st_size
        return Check(
            "logs",
            "Log file",
            OK,
            f"{path} ({_size(size)}). It holds no personal data: attach it to a support request.",
        )
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        return Check(
            "logs",
            "Log file",
            WARN,
            f"Logs can't be written to {folder} (no permission).",
            "Ask IT to give your account write access to that folder.",
        )
    return Check("logs", "Log file", OK, f"{path} (nothing logged yet).")


def _size(count: int) -> str:
    if count >= _GB:
        return f"{count / _GB:.1f} GB"
    if count >= _MB:
        return f"{count / _MB:.0f} MB"
    return f"{count / 1024:.0f} KB"
