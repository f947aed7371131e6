"""What's new: documents added or updated since the rep last looked.

The catalog remembers, per document, the version the rep has seen and the version already
announced in a notification after a sync, so a notification never repeats itself and "What's new"
keeps showing everything until the rep has looked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core import freshness
from fieldkit.core.catalog import KeyValue, MirrorEntry, MirrorFile
from fieldkit.core.freshness_models import SeenDocument
from fieldkit.core.home import HomePaths

LOOKED_KEY = "whats_new"
ADDED = "added"
UPDATED = "updated"
_NOTIFY_TITLES = 3

# The version a document counts as already known at (None: never seen).
_Baseline = Callable[[SeenDocument], int | None]


@dataclass(frozen=True)
class NewDocument:
    doc_id: str
    title: str
    rel_path: str
    change: str  # "added" | "updated"
    version: int
    previous_version: int | None  # the version the rep saw before, for an update
    published_at: datetime | None
    notes: str | None
    local_path: Path | None  # the file in the mirror, once it is downloaded


@dataclass(frozen=True)
class WhatsNew:
    since: datetime | None  # when the rep last looked; None: never
    generation: int | None  # the manifest generation when the rep last looked
    documents: tuple[NewDocument, ...]  # newest first

    def summary(self) -> str | None:
        """One line for a notification: "2 new or updated documents: Pricing (v5), Deck (v1)"."""
        if not self.documents:
            return None
        count = len(self.documents)
        names = ", ".join(f"{d.title} (v{d.version})" for d in self.documents[:_NOTIFY_TITLES])
        more = f" and {count - _NOTIFY_TITLES} more" if count > _NOTIFY_TITLES else ""
        noun = "document" if count == 1 else "documents"
        return f"{count} new or updated {noun}: {names}{more}"


class WhatsNewTracker:
    def __init__(
        self,
        home: HomePaths,
        sessions: sessionmaker[Session],
        *,
        clock: freshness.Clock = freshness.utc_now,
    ) -> None:
        self._home = home
        self._sessions = sessions
        self._clock = clock

    def since_last_looked(self) -> WhatsNew:
        """Documents added or updated since the rep last looked (nothing is marked)."""
        with self._sessions.begin() as session:
            looked = _looked(session)
            news = self._collect(session, lambda seen: seen.seen_version)
        return WhatsNew(
            freshness.parse_utc(looked.get("at")), _int(looked.get("generation")), news
        )

    def mark_looked(self) -> None:
        """The rep has looked: everything in the last manifest counts as seen."""
        now = self._clock()
        with self._sessions.begin() as session:
            entries = session.execute(select(MirrorEntry.doc_id, MirrorEntry.version)).all()
            seen = {row.doc_id: row for row in session.scalars(select(SeenDocument))}
            live = {row.doc_id for row in entries}
            gone = [doc_id for doc_id in seen if doc_id not in live]
            if gone:
                session.execute(delete(SeenDocument).where(SeenDocument.doc_id.in_(gone)))
            for row in entries:
                record = seen.get(row.doc_id)
                if record is None:
                    session.add(
                        SeenDocument(
                            doc_id=row.doc_id, seen_version=row.version,
                            announced_version=row.version,
                        )
                    )
                else:
                    record.seen_version = row.version
                    record.announced_version = max(record.announced_version or 0, row.version)
            last = session.get(KeyValue, freshness.LAST_SYNC_KEY)
            generation = _int(last.value.get("generation")) if last is not None else None
            session.merge(
                KeyValue(
                    key=LOOKED_KEY,
                    value={"at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "generation": generation},
                )
            )

    def announce(self) -> WhatsNew:
        """After a sync: what is new and not announced yet, marked as announced. Show a
        notification when it holds any documents."""
        with self._sessions.begin() as session:
            looked = _looked(session)
            news = self._collect(
                session,
                lambda seen: max(seen.seen_version or 0, seen.announced_version or 0) or None,
            )
            for item in news:
                record = session.get(SeenDocument, item.doc_id)
                if record is None:
                    session.add(SeenDocument(doc_id=item.doc_id, announced_version=item.version))
                else:
                    record.announced_version = item.version
        return WhatsNew(
            freshness.parse_utc(looked.get("at")), _int(looked.get("generation")), news
        )

    def _collect(self, session: Session, baseline: _Baseline) -> tuple[NewDocument, ...]:
        entries = session.scalars(
            select(MirrorEntry).where(MirrorEntry.withdrawn.is_(False))
        ).all()
        seen = {row.doc_id: row for row in session.scalars(select(SeenDocument))}
        installed = {
            row.doc_id: (row.rel_path, row.version)
            for row in session.execute(
                select(MirrorFile.doc_id, MirrorFile.rel_path, MirrorFile.version).where(
                    MirrorFile.area == "mirror"
                )
            )
        }
        news = []
        for entry in entries:
            record = seen.get(entry.doc_id)
            before = baseline(record) if record is not None else None
            if before is not None and before >= entry.version:
                continue
            local = installed.get(entry.doc_id)
            news.append(
                NewDocument(
                    doc_id=entry.doc_id,
                    title=freshness.display_title(entry.title, entry.rel_path),
                    rel_path=entry.rel_path,
                    change=ADDED if before is None else UPDATED,
                    version=entry.version,
                    previous_version=before,
                    published_at=freshness.parse_utc(entry.hub_modified),
                    notes=entry.notes,
                    local_path=(
                        self._home.mirror_dir.joinpath(*local[0].split("/"))
                        if local is not None and local[1] == entry.version
                        else None
                    ),
                )
            )
        news.sort(key=lambda d: (d.published_at is None, _neg_time(d.published_at), d.title))
        return tuple(news)


def _looked(session: Session) -> dict[str, Any]:
    row = session.get(KeyValue, LOOKED_KEY)
    return dict(row.value) if row is not None else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _neg_time(moment: datetime | None) -> float:
    return -moment.timestamp() if moment is not None else 0.0
