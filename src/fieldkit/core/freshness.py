"""Whether a mirrored document is current, evaluated offline from the last manifest.

:func:`evaluate` is the pure rule (one state and its reason). :func:`read_freshness` applies it to
every document of the last manifest, with what is on this laptop: which version, whether the rep
changed the file, and when the hub was last checked ("checked 3 h ago").
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, sessionmaker

# Imported for its side effect: the freshness tables join the catalog's metadata before any
# catalog is opened (the library, and so every client, imports this module).
from fieldkit.core import freshness_models  # noqa: F401
from fieldkit.core.catalog import KeyValue, MirrorEntry, MirrorFile
from fieldkit.core.home import HomePaths

log = logging.getLogger(__name__)

CURRENT = "current"
OUTDATED = "outdated"  # the hub has a newer version than the local copy ("update available")
EXPIRING = "expiring"
EXPIRED = "expired"
WITHDRAWN = "withdrawn"
SUPERSEDED = "superseded"
MODIFIED = "modified"  # the rep changed the local copy of an approved file
PERSONAL = "personal"
ARCHIVED = "archived"

# States a rep must act on, most serious first (the order of the banner's counts).
ATTENTION_STATES = (WITHDRAWN, SUPERSEDED, EXPIRED, MODIFIED, OUTDATED, EXPIRING)

LAST_SYNC_KEY = "last_sync"
_HASH_CHUNK = 1 << 20
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Freshness:
    state: str
    reason: str


def evaluate(
    *,
    version: int,
    local_version: int | None,
    expires: str | None,
    withdrawn: bool,
    superseded_by_title: str | None,
    today: date,
    expiring_days: int,
    modified: bool = False,
) -> Freshness:
    """The single most important state of a document, with a reason a rep understands.

    ``local_version`` is None when no copy is on this laptop (nothing to call outdated yet);
    ``modified`` says the local copy's bytes are no longer the approved ones.
    """
    if withdrawn:
        return Freshness(WITHDRAWN, "Withdrawn by marketing: do not use.")
    if superseded_by_title is not None:
        return Freshness(SUPERSEDED, f"Superseded by “{superseded_by_title}”.")
    expiry = _parse_date(expires)
    if expiry is not None and expiry < today:
        return Freshness(EXPIRED, f"Expired on {expiry.isoformat()}.")
    if modified:
        return Freshness(
            MODIFIED, "Changed on this laptop: it is not the approved copy any more."
        )
    if local_version is not None and local_version < version:
        return Freshness(OUTDATED, f"You have v{local_version}; v{version} is available.")
    if expiry is not None and expiry <= today + timedelta(days=expiring_days):
        return Freshness(EXPIRING, f"Expires on {expiry.isoformat()}.")
    return Freshness(CURRENT, "Current version.")


def checked_ago(checked_at: datetime | None, now: datetime) -> str:
    """When the hub was last checked, in words: "checked 3 h ago"."""
    if checked_at is None:
        return "never checked with the hub"
    seconds = (now - checked_at).total_seconds()
    if seconds < 60:
        return "checked just now"
    if seconds < 3600:
        return f"checked {int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"checked {int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "checked yesterday" if days == 1 else f"checked {days} days ago"


def short_date(moment: date, today: date) -> str:
    """``12 Oct``, with the year when it is not this year (``12 Oct 2025``)."""
    text = f"{moment.day} {_MONTHS[moment.month - 1]}"
    return text if moment.year == today.year else f"{text} {moment.year}"


def version_details(
    *,
    local_version: int | None,
    local_published: date | None,
    latest_version: int,
    latest_published: date | None,
    notes: str | None,
    today: date,
) -> str:
    """"You have v4 (12 Oct), latest v5 (20 Nov): <version notes>"."""

    def stamp(version: int, published: date | None) -> str:
        return f"v{version} ({short_date(published, today)})" if published else f"v{version}"

    latest = stamp(latest_version, latest_published)
    if local_version is None:
        text = f"Not on this laptop yet; latest {latest}"
    elif local_version == latest_version:
        text = f"You have the latest, {latest}"
    else:
        text = f"You have {stamp(local_version, local_published)}, latest {latest}"
    return f"{text}: {notes}" if notes else f"{text}."


# -- the library's documents -------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentFreshness:
    """One document of the last manifest as it stands on this laptop."""

    doc_id: str
    title: str
    rel_path: str
    local_path: Path | None  # the file on this laptop (mirror or archive), None when absent
    state: str
    reason: str
    details: str  # "You have v4 (12 Oct), latest v5 (20 Nov): <notes>"
    local_version: int | None
    latest_version: int
    expires: str | None
    superseded_by: str | None  # doc id of the replacement
    superseded_by_title: str | None
    pinned: bool

    @property
    def needs_attention(self) -> bool:
        return self.state in ATTENTION_STATES and self.local_version is not None


@dataclass(frozen=True)
class FreshnessReport:
    checked_at: datetime | None  # when the hub was last checked (the last good sync)
    checked: str  # "checked 3 h ago"
    documents: tuple[DocumentFreshness, ...]  # every document of the last manifest, by title

    def by_id(self) -> dict[str, DocumentFreshness]:
        return {d.doc_id: d for d in self.documents}

    def attention(self) -> tuple[DocumentFreshness, ...]:
        """Documents on this laptop that are not simply current: the "Outdated" view."""
        return tuple(d for d in self.documents if d.needs_attention)

    def counts(self) -> Mapping[str, int]:
        """How many documents on this laptop are in each attention state (the banner)."""
        found = [d.state for d in self.attention()]
        return {state: found.count(state) for state in ATTENTION_STATES if state in found}


def last_checked(sessions: sessionmaker[Session]) -> datetime | None:
    """When the hub last answered a sync (the "last_sync" record), or None."""
    with sessions.begin() as session:
        row = session.get(KeyValue, LAST_SYNC_KEY)
        value: dict[str, Any] = dict(row.value) if row is not None else {}
    return parse_utc(value.get("at"))


def read_freshness(
    home: HomePaths,
    sessions: sessionmaker[Session],
    *,
    expiring_days: int,
    now: datetime,
    only: Collection[str] | None = None,
) -> FreshnessReport:
    """Every document of the last manifest (or just the ids in ``only``) with its state,
    evaluated offline at ``now``.

    A local copy whose size or modification time differ from what the sync installed is hashed
    to tell a rep's edit from a harmless touch.
    """
    today = now.date()
    checked_at = last_checked(sessions)
    with sessions.begin() as session:
        query = select(*_ENTRY_COLUMNS)
        if only is not None:
            query = query.where(MirrorEntry.doc_id.in_(list(only)))
        entries = session.execute(query).all()
        wanted = {e.superseded_by for e in entries if e.superseded_by}
        names = session.execute(
            select(MirrorEntry.doc_id, MirrorEntry.title, MirrorEntry.rel_path).where(
                MirrorEntry.doc_id.in_(list(wanted))
            )
        ).all()
        files = select(*_FILE_COLUMNS)
        if only is not None:
            files = files.where(MirrorFile.doc_id.in_(list(only)))
        installed = {row.doc_id: _Installed(*row[1:]) for row in session.execute(files)}
    titles = {e.doc_id: display_title(e.title, e.rel_path) for e in (*entries, *names)}
    documents = []
    for entry in entries:
        copy = installed.get(entry.doc_id)
        local_path, modified = _local_copy(home, copy)
        local_version = copy.version if copy is not None and local_path is not None else None
        replacement = entry.superseded_by
        replacement_title = titles.get(replacement, replacement) if replacement else None
        fresh = evaluate(
            version=entry.version,
            local_version=local_version,
            expires=entry.expires,
            withdrawn=entry.withdrawn,
            superseded_by_title=replacement_title,
            today=today,
            expiring_days=expiring_days,
            modified=modified,
        )
        documents.append(
            DocumentFreshness(
                doc_id=entry.doc_id,
                title=titles[entry.doc_id],
                rel_path=entry.rel_path,
                local_path=local_path,
                state=fresh.state,
                reason=fresh.reason,
                details=version_details(
                    local_version=local_version,
                    local_published=_published(entry, local_version),
                    latest_version=entry.version,
                    latest_published=_as_date(entry.hub_modified),
                    notes=entry.notes,
                    today=today,
                ),
                local_version=local_version,
                latest_version=entry.version,
                expires=entry.expires,
                superseded_by=replacement,
                superseded_by_title=replacement_title,
                pinned=entry.pinned,
            )
        )
    documents.sort(key=lambda d: (d.title.casefold(), d.rel_path))
    return FreshnessReport(checked_at, checked_ago(checked_at, now), tuple(documents))


def display_title(title: str | None, rel_path: str) -> str:
    """A document's title, else its file name without the extension."""
    return title or PurePosixPath(rel_path).stem


def parse_utc(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# Plain column reads: building ORM objects for 10,000 documents costs more than the rest.
_ENTRY_COLUMNS = (
    MirrorEntry.doc_id,
    MirrorEntry.rel_path,
    MirrorEntry.title,
    MirrorEntry.version,
    MirrorEntry.expires,
    MirrorEntry.withdrawn,
    MirrorEntry.superseded_by,
    MirrorEntry.notes,
    MirrorEntry.hub_modified,
    MirrorEntry.history,
    MirrorEntry.pinned,
)
_FILE_COLUMNS = (
    MirrorFile.doc_id,
    MirrorFile.area,
    MirrorFile.rel_path,
    MirrorFile.version,
    MirrorFile.sha256,
    MirrorFile.size,
    MirrorFile.mtime_ns,
)


@dataclass(frozen=True)
class _Installed:
    area: str
    rel_path: str
    version: int
    sha256: str
    size: int
    mtime_ns: int


def _local_copy(home: HomePaths, copy: _Installed | None) -> tuple[Path | None, bool]:
    """The installed file and whether the rep changed it since the sync put it there."""
    if copy is None:
        return None, False
    root = home.archive_dir if copy.area == "archive" else home.mirror_dir
    path = Path(os.path.join(root, copy.rel_path))
    try:
        info = os.stat(path)
    except OSError:
        return None, False
    if (info.st_size, info.st_mtime_ns) == (copy.size, copy.mtime_ns):
        return path, False
    if info.st_size != copy.size:
        return path, True
    try:
        return path, file_sha256(path) != copy.sha256
    except OSError as exc:
        log.info("cannot read %s: %s", path, exc)
        return path, False


def _published(entry: Row[Any], version: int | None) -> date | None:
    if version is None:
        return None
    if version == entry.version:
        return _as_date(entry.hub_modified)
    for item in entry.history:
        if isinstance(item, dict) and item.get("version") == version:
            return _as_date(item.get("published_at"))
    return None


def _as_date(text: object) -> date | None:
    moment = parse_utc(text)
    return moment.date() if moment is not None else None


def _parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
