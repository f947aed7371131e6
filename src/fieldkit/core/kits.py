"""Meeting kits: named sets of documents for a meeting (name, customer, date).

A kit's documents are pinned, so the sync keeps them downloaded even on a metered connection.
The readiness check says "Ready for Tue 10:00 ACME" or "1 item outdated — update now"; the app
runs it after every sync and the day before the meeting (:meth:`Kits.due`). A kit exports as a
folder or a zip with a version stamp (``manifest.txt``: title, version and SHA-256 of each file).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import uuid
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core import freshness
from fieldkit.core.catalog import MirrorEntry, MirrorFile
from fieldkit.core.errors import FieldkitError, StorageError, UsageError
from fieldkit.core.freshness_models import Kit, KitItem
from fieldkit.core.home import HomePaths

log = logging.getLogger(__name__)

STAMP_NAME = "manifest.txt"
MAX_NAME = 100
_HASH_CHUNK = 1 << 20
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Why an item is not ready, in the words of the readiness message ("1 item outdated").
NOT_DOWNLOADED = "not downloaded"
GONE = "no longer on the hub"
EXPIRES_FIRST = "expiring before the meeting"
_PROBLEM_WORDS = {
    freshness.OUTDATED: "outdated",
    freshness.MODIFIED: "changed on this laptop",
    freshness.WITHDRAWN: "withdrawn",
    freshness.SUPERSEDED: "superseded",
    freshness.EXPIRED: "expired",
}
# Problems a sync fixes: the message then ends with "— update now".
_SYNC_FIXES = {
    _PROBLEM_WORDS[freshness.OUTDATED],
    _PROBLEM_WORDS[freshness.MODIFIED],
    NOT_DOWNLOADED,
}


class KitNotReady(FieldkitError):
    """An export was asked for a kit whose documents are not all current and approved."""


@dataclass(frozen=True)
class KitInfo:
    name: str
    customer: str | None
    meeting: datetime | None  # local wall-clock time of the meeting
    meeting_has_time: bool  # False when only the day is known
    doc_ids: tuple[str, ...]  # in the order they were added
    titles: tuple[str, ...]  # each document's title when it was added

    def meeting_text(self, now: datetime | None = None) -> str | None:
        """``Tue 10:00`` within the coming week, else ``Tue 8 Dec 10:00`` (time when known)."""
        if self.meeting is None:
            return None
        day = _DAYS[self.meeting.weekday()]
        today = (now or datetime.now()).date()
        soon = today <= self.meeting.date() < today + timedelta(days=7)
        text = day if soon else f"{day} {freshness.short_date(self.meeting.date(), today)}"
        return f"{text} {self.meeting:%H:%M}" if self.meeting_has_time else text


@dataclass(frozen=True)
class KitItemStatus:
    doc_id: str
    title: str
    state: str  # a freshness state, or "missing" when the document left the hub
    reason: str
    problem: str | None  # why it is not ready ("outdated", "withdrawn"…); None when ready
    local_version: int | None
    latest_version: int | None
    local_path: Path | None
    details: str

    @property
    def ready(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class KitReadiness:
    kit: KitInfo
    ready: bool
    message: str  # "Ready for Tue 10:00 ACME" | "1 item outdated — update now"
    update_helps: bool  # a sync (update now) would fix at least one item
    items: tuple[KitItemStatus, ...]
    checked: str  # "checked 3 h ago"


@dataclass(frozen=True)
class KitExport:
    path: Path  # the folder or zip written
    files: tuple[str, ...]  # file names inside it, the stamp last
    stamp: str  # the text of manifest.txt


class Kits:
    def __init__(
        self,
        home: HomePaths,
        sessions: sessionmaker[Session],
        *,
        expiring_days: int,
        clock: freshness.Clock = freshness.utc_now,
    ) -> None:
        self._home = home
        self._sessions = sessions
        self._expiring_days = expiring_days
        self._clock = clock

    # -- kits --------------------------------------------------------------------------------

    def create(
        self, name: str, *, customer: str | None = None, meeting: str | None = None
    ) -> KitInfo:
        clean = _clean_name(name)
        when = parse_meeting(meeting) if meeting else None
        with self._sessions.begin() as session:
            if _find(session, clean) is not None:
                raise UsageError(f"There is already a kit called “{clean}”.")
            session.add(Kit(name=clean, customer=(customer or "").strip() or None, meeting=when))
        return self.get(clean)

    def edit(
        self, name: str, *, customer: str | None = None, meeting: str | None = None
    ) -> KitInfo:
        """Change the customer or the meeting date ("" clears it; None leaves it)."""
        with self._sessions.begin() as session:
            kit = _require(session, name)
            if customer is not None:
                kit.customer = customer.strip() or None
            if meeting is not None:
                kit.meeting = parse_meeting(meeting) if meeting.strip() else None
            final = kit.name
        return self.get(final)

    def rename(self, name: str, new_name: str) -> KitInfo:
        clean = _clean_name(new_name)
        with self._sessions.begin() as session:
            kit = _require(session, name)
            other = _find(session, clean)
            if other is not None and other.id != kit.id:
                raise UsageError(f"There is already a kit called “{clean}”.")
            kit.name = clean
        return self.get(clean)

    def delete(self, name: str) -> None:
        with self._sessions.begin() as session:
            kit = _require(session, name)
            for item in session.scalars(select(KitItem).where(KitItem.kit_id == kit.id)):
                _release(session, item)
            session.delete(kit)

    def get(self, name: str) -> KitInfo:
        with self._sessions.begin() as session:
            return _info(session, _require(session, name))

    def all(self) -> tuple[KitInfo, ...]:
        with self._sessions.begin() as session:
            kits = session.scalars(select(Kit)).all()
            items: dict[int, list[tuple[str, str]]] = {}
            for row in session.execute(
                select(KitItem.kit_id, KitItem.doc_id, KitItem.title).order_by(KitItem.position)
            ):
                items.setdefault(row.kit_id, []).append((row.doc_id, row.title))
            infos = [_info_of(kit, items.get(kit.id, [])) for kit in kits]
        return tuple(
            sorted(infos, key=lambda k: (k.meeting is None, k.meeting or datetime.min, k.name))
        )

    # -- items -------------------------------------------------------------------------------

    def add(self, name: str, refs: Sequence[str]) -> KitInfo:
        """Add documents (ids, or paths of files in the mirror) and pin them."""
        if not refs:
            raise UsageError("Name at least one document to add.")
        with self._sessions.begin() as session:
            kit = _require(session, name)
            position = session.scalar(
                select(func.coalesce(func.max(KitItem.position), 0)).where(
                    KitItem.kit_id == kit.id
                )
            ) or 0
            for ref in refs:
                entry = _resolve(session, self._home, ref)
                if session.get(KitItem, (kit.id, entry.doc_id)) is not None:
                    continue
                others = session.scalars(
                    select(KitItem).where(KitItem.doc_id == entry.doc_id)
                ).first()
                manual = others.manual_pin if others is not None else entry.pinned
                position += 1
                session.add(
                    KitItem(
                        kit_id=kit.id,
                        doc_id=entry.doc_id,
                        title=freshness.display_title(entry.title, entry.rel_path),
                        position=position,
                        manual_pin=manual,
                    )
                )
                entry.pinned = True
            final = kit.name
        return self.get(final)

    def remove(self, name: str, doc_ids: Sequence[str]) -> KitInfo:
        with self._sessions.begin() as session:
            kit = _require(session, name)
            for doc_id in doc_ids:
                item = session.get(KitItem, (kit.id, doc_id))
                if item is None:
                    raise UsageError(f"“{kit.name}” has no document '{doc_id}'.")
                session.delete(item)
                session.flush()
                _release(session, item)
            final = kit.name
        return self.get(final)

    # -- readiness ---------------------------------------------------------------------------

    def check(self, name: str) -> KitReadiness:
        kit = self.get(name)
        return self._check(kit, self._freshness(kit.doc_ids))

    def check_all(self) -> tuple[KitReadiness, ...]:
        """Every kit's readiness, from one reading of the manifest."""
        kits = self.all()
        report = self._freshness({doc_id for kit in kits for doc_id in kit.doc_ids})
        return tuple(self._check(kit, report) for kit in kits)

    def due(self, within: timedelta = timedelta(days=1)) -> tuple[KitInfo, ...]:
        """Kits whose meeting is between now and ``within`` from now (check them the day
        before). A meeting with only a day counts from the start of that day."""
        now = self._local_now()
        return tuple(
            kit
            for kit in self.all()
            if kit.meeting is not None
            and now - timedelta(hours=1) <= kit.meeting <= now + within
        )

    def _freshness(self, doc_ids: Collection[str]) -> freshness.FreshnessReport:
        return freshness.read_freshness(
            self._home,
            self._sessions,
            expiring_days=self._expiring_days,
            now=self._clock(),
            only=set(doc_ids),
        )

    def _check(self, kit: KitInfo, report: freshness.FreshnessReport) -> KitReadiness:
        known = report.by_id()
        items = tuple(
            _item_status(doc_id, known.get(doc_id), title, kit.meeting)
            for doc_id, title in zip(kit.doc_ids, kit.titles, strict=True)
        )
        problems = [item.problem for item in items if item.problem is not None]
        update_helps = any(problem in _SYNC_FIXES for problem in problems)
        if not items:
            message = "The kit is empty — add documents to it."
        elif problems:
            message = _problem_message(problems) + (" — update now" if update_helps else "")
        else:
            message = _ready_message(kit, self._local_now())
        return KitReadiness(
            kit=kit,
            ready=bool(items) and not problems,
            message=message,
            update_helps=update_helps,
            items=items,
            checked=report.checked,
        )

    def _local_now(self) -> datetime:
        return self._clock().astimezone().replace(tzinfo=None)

    # -- export ------------------------------------------------------------------------------

    def export(
        self, name: str, dest: Path, *, as_zip: bool = False, anyway: bool = False
    ) -> KitExport:
        """Copy the kit's files and a version stamp to the folder ``dest`` (created; it must
        not exist or be empty), or to the zip file ``dest`` with ``as_zip``.

        A kit that is not ready is refused unless ``anyway``; a document that is not on this
        laptop, or was changed here, is always refused: only approved bytes leave in a kit.
        """
        readiness = self.check(name)
        if not readiness.items:
            raise KitNotReady(f"“{readiness.kit.name}” is empty; add documents first.")
        unusable = [
            i for i in readiness.items
            if i.local_path is None or i.state == freshness.MODIFIED
        ]
        if unusable:
            raise KitNotReady(
                "These documents are not on this laptop as approved copies; sync first: "
                + ", ".join(f"“{i.title}” ({i.problem})" for i in unusable)
            )
        if not readiness.ready and not anyway:
            raise KitNotReady(f"“{readiness.kit.name}” is not ready: {readiness.message}.")
        target = dest.expanduser().absolute()
        if as_zip and target.suffix.lower() != ".zip":
            target = target.with_name(target.name + ".zip")
        names = _file_names([i.local_path for i in readiness.items if i.local_path is not None])
        with self._sessions.begin() as session:
            hashes = {
                row.doc_id: row.sha256
                for row in session.execute(
                    select(MirrorFile.doc_id, MirrorFile.sha256).where(
                        MirrorFile.doc_id.in_(list(readiness.kit.doc_ids))
                    )
                )
            }
        try:
            if as_zip:
                stamp = self._export_zip(readiness, names, hashes, target)
            else:
                stamp = self._export_folder(readiness, names, hashes, target)
        except OSError as exc:
            raise StorageError(f"Cannot write the kit to {target}: {exc}") from exc
        return KitExport(target, (*names, STAMP_NAME), stamp)

    def _export_folder(
        self,
        readiness: KitReadiness,
        names: list[str],
        hashes: dict[str, str],
        target: Path,
    ) -> str:
        if target.exists() and (not target.is_dir() or any(target.iterdir())):
            raise UsageError(f"{target} already exists and is not an empty folder.")
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.parent / f".{target.name}.{uuid.uuid4().hex}.part"
        temp.mkdir()
        try:
            lines = []
            for item, file_name in zip(readiness.items, names, strict=True):
                assert item.local_path is not None
                with (temp / file_name).open("xb") as out:
                    digest = _copy_hashing(item.local_path, out)
                shutil.copystat(item.local_path, temp / file_name)
                lines.append(_stamp_line(item, file_name, digest, hashes))
            stamp = self._stamp(readiness, lines)
            (temp / STAMP_NAME).write_text(stamp, encoding="utf-8")
            if target.exists():
                target.rmdir()
            os.replace(temp, target)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return stamp

    def _export_zip(
        self,
        readiness: KitReadiness,
        names: list[str],
        hashes: dict[str, str],
        target: Path,
    ) -> str:
        if target.exists():
            raise UsageError(f"{target} already exists.")
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        try:
            with zipfile.ZipFile(temp, "x", compression=zipfile.ZIP_DEFLATED) as archive:
                lines = []
                for item, file_name in zip(readiness.items, names, strict=True):
                    assert item.local_path is not None
                    with archive.open(file_name, "w") as out:
                        digest = _copy_hashing(item.local_path, out)
                    lines.append(_stamp_line(item, file_name, digest, hashes))
                stamp = self._stamp(readiness, lines)
                archive.writestr(STAMP_NAME, stamp)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return stamp

    def _stamp(self, readiness: KitReadiness, lines: list[str]) -> str:
        kit = readiness.kit
        now = self._clock()
        head = [f"Kit: {kit.name}"]
        if kit.customer:
            head.append(f"Customer: {kit.customer}")
        if kit.meeting is not None:
            when = f"{kit.meeting:%Y-%m-%d %H:%M}" if kit.meeting_has_time else (
                f"{kit.meeting:%Y-%m-%d}"
            )
            head.append(f"Meeting: {when}")
        head.append(f"Exported: {now:%Y-%m-%d %H:%M} UTC ({readiness.checked})")
        head.append(f"Status: {readiness.message}")
        table = ["title\tversion\tsha256\tfile\tstate", *lines]
        return "\n".join([*head, "", *table]) + "\n"


# -- meeting dates -----------------------------------------------------------------------------


def parse_meeting(text: str) -> str:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM`` (also with a ``T``), normalised for storage."""
    raw = text.strip().replace("T", " ")
    try:
        if " " in raw:
            moment = datetime.strptime(raw, "%Y-%m-%d %H:%M")
            return moment.strftime("%Y-%m-%dT%H:%M")
        return date.fromisoformat(raw).isoformat()
    except ValueError as exc:
        raise UsageError(
            f"“{text}” is not a meeting date; write it as 2026-12-01 or '2026-12-01 10:00'."
        ) from exc


def _meeting(stored: str | None) -> tuple[datetime | None, bool]:
    if not stored:
        return None, False
    if "T" in stored:
        return datetime.strptime(stored, "%Y-%m-%dT%H:%M"), True
    return datetime.combine(date.fromisoformat(stored), time()), False


# -- helpers -----------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise UsageError("A kit needs a name.")
    if len(clean) > MAX_NAME:
        raise UsageError(f"A kit name can have at most {MAX_NAME} characters.")
    return clean


def _find(session: Session, name: str) -> Kit | None:
    clean = " ".join(name.split())
    kit = session.scalar(select(Kit).where(Kit.name == clean))
    if kit is not None:
        return kit
    folded = clean.casefold()
    matches = [k for k in session.scalars(select(Kit)) if k.name.casefold() == folded]
    return matches[0] if len(matches) == 1 else None


def _require(session: Session, name: str) -> Kit:
    kit = _find(session, name)
    if kit is None:
        raise UsageError(f"No kit called “{name}”. See: fieldkit kit list")
    return kit


def _info(session: Session, kit: Kit) -> KitInfo:
    items = session.execute(
        select(KitItem.doc_id, KitItem.title)
        .where(KitItem.kit_id == kit.id)
        .order_by(KitItem.position)
    ).all()
    return _info_of(kit, [(row.doc_id, row.title) for row in items])


def _info_of(kit: Kit, items: list[tuple[str, str]]) -> KitInfo:
    """The kit with its (doc id, title) items in the order they were added."""
    meeting, has_time = _meeting(kit.meeting)
    return KitInfo(
        kit.name,
        kit.customer,
        meeting,
        has_time,
        tuple(doc_id for doc_id, _title in items),
        tuple(title for _doc_id, title in items),
    )


def _resolve(session: Session, home: HomePaths, ref: str) -> MirrorEntry:
    """A document of the last manifest by id, mirror-relative path or path of its mirror file."""
    entry = session.get(MirrorEntry, ref)
    if entry is not None:
        return entry
    rel = ref.strip().replace("\\", "/").strip("/")
    candidate = Path(ref).expanduser()
    if candidate.is_absolute():
        mirror = home.mirror_dir.resolve()
        try:
            rel = candidate.resolve().relative_to(mirror).as_posix()
        except ValueError:
            rel = ""
    entry = session.scalar(select(MirrorEntry).where(MirrorEntry.rel_path == rel)) if rel else None
    if entry is None:
        raise UsageError(
            f"No approved document '{ref}' in the last manifest: give a document id or the path "
            "of a file in the mirror."
        )
    if entry.withdrawn:
        raise UsageError(f"“{freshness.display_title(entry.title, entry.rel_path)}” was "
                         "withdrawn by marketing and cannot go into a kit.")
    return entry


def _release(session: Session, item: KitItem) -> None:
    """Unpin a document that is in no kit any more (unless the rep had pinned it first)."""
    still = session.scalars(
        select(KitItem).where(KitItem.doc_id == item.doc_id, KitItem.kit_id != item.kit_id)
    ).first()
    if still is not None:
        return
    entry = session.get(MirrorEntry, item.doc_id)
    if entry is not None:
        entry.pinned = item.manual_pin


def _item_status(
    doc_id: str,
    fresh: freshness.DocumentFreshness | None,
    title: str,
    meeting: datetime | None,
) -> KitItemStatus:
    if fresh is None:
        return KitItemStatus(
            doc_id=doc_id,
            title=title,
            state="missing",
            reason="This document is no longer on the hub.",
            problem=GONE,
            local_version=None,
            latest_version=None,
            local_path=None,
            details="",
        )
    problem: str | None = _PROBLEM_WORDS.get(fresh.state)
    if problem is None and fresh.local_path is None:
        problem = NOT_DOWNLOADED
    elif problem is None and meeting is not None and fresh.expires:
        expiry = date.fromisoformat(fresh.expires)
        if expiry < meeting.date():
            problem = EXPIRES_FIRST
    return KitItemStatus(
        doc_id=doc_id,
        title=fresh.title,
        state=fresh.state,
        reason=fresh.reason,
        problem=problem,
        local_version=fresh.local_version,
        latest_version=fresh.latest_version,
        local_path=fresh.local_path,
        details=fresh.details,
    )


def _problem_message(problems: list[str]) -> str:
    counts: dict[str, int] = {}
    for problem in problems:
        counts[problem] = counts.get(problem, 0) + 1
    parts = []
    for n, (problem, count) in enumerate(counts.items()):
        noun = ("item " if count == 1 else "items ") if n == 0 else ""
        parts.append(f"{count} {noun}{problem}")
    return ", ".join(parts)


def _ready_message(kit: KitInfo, now: datetime) -> str:
    words = [w for w in (kit.meeting_text(now), kit.customer) if w]
    return "Ready for " + " ".join(words) if words else f"“{kit.name}” is ready"


def _file_names(paths: list[Path]) -> list[str]:
    """The files' names, made unique within the kit (``name (2).ext``)."""
    used: set[str] = {STAMP_NAME.casefold()}
    names = []
    for path in paths:
        stem, suffix = PurePosixPath(path.name).stem, path.suffix
        name, n = path.name, 2
        while name.casefold() in used:
            name = f"{stem} ({n}){suffix}"
            n += 1
        used.add(name.casefold())
        names.append(name)
    return names


def _copy_hashing(source: Path, out: IO[bytes]) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _stamp_line(
    item: KitItemStatus, file_name: str, digest: str, hashes: dict[str, str]
) -> str:
    if hashes.get(item.doc_id) not in (None, digest):
        raise KitNotReady(f"“{item.title}” changed on this laptop while it was exported.")
    return f"{item.title}\tv{item.local_version}\t{digest}\t{file_name}\t{item.state}"

