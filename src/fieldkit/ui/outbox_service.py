"""The app's one outbox sender, and what the outbox views read.

``OutboxService`` owns the core's :class:`~fieldkit.core.outbox.OutboxSender` (its own thread,
the only one that delivers): the composition root starts and stops it. The sender wakes when
something is queued (an Outbox listener), when the hub becomes reachable again (:meth:`wake`,
called when a sync found the hub online), and on its backoff timers. "Send now" hands a ticket
to the sender thread from a one-thread task runner of its own, so a long retry never holds a
thread the searches need. What the sender reports reaches the UI as plain values through typed
signals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core.catalog import MirrorFile
from fieldkit.core.errors import FieldkitError
from fieldkit.core.outbox import (
    Backoff,
    HubAddress,
    Outbox,
    OutboxEntry,
    OutboxSender,
    RequestView,
    SendReport,
    StatusChange,
)
from fieldkit.core.requests import SIGNALS_PER_BATCH, STATUS_LABELS
from fieldkit.ui.status_bar import ONLINE
from fieldkit.ui.sync_controller import SyncState
from fieldkit.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

SEND_NOW_BUDGET_S = 30.0


@dataclass(frozen=True)
class OutboxSnapshot:
    """Everything the "Outbox & requests" view shows, read in one go off the UI thread."""

    requests: tuple[RequestView, ...]
    feedback: tuple[OutboxEntry, ...]
    # Usage signals not delivered yet: those in queued batches, then those recorded since.
    waiting_signals: tuple[Mapping[str, Any], ...]
    # The same, exactly as the hub receives them: one payload per batch.
    signal_batches: tuple[Mapping[str, Any], ...]
    names: Mapping[str, str]  # doc_id → where the document is in the mirror
    usage_signals: bool  # the rep's setting


class OutboxService(QObject):
    # Something new is in the outbox (emitted from the thread that queued it).
    queued = Signal()
    # A round of sending finished (the sender's thread, or Send now).
    round_finished = Signal(SendReport)
    # Marketing moved one of the rep's requests on.
    status_changed = Signal(StatusChange)
    # Send now was asked for; then ``send_now_finished`` with its round's report (after that
    # round's ``round_finished``), or ``send_failed`` with words for the rep. Rounds the sender
    # runs by itself may finish in between: only these two end a Send now.
    sending_started = Signal()
    send_now_finished = Signal(SendReport)
    send_failed = Signal(str)

    def __init__(
        self,
        outbox: Outbox,
        *,
        address: Callable[[], HubAddress],
        lock_path: Path,
        sessions: sessionmaker[Session],
        signals_enabled: Callable[[], bool],
        backoff: Backoff | None = None,
        offline_backoff: Backoff | None = None,
        poll_interval: float = 300.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.outbox = outbox
        self._sessions = sessions
        self._signals_enabled = signals_enabled
        self._sender = OutboxSender(
            outbox,
            address,
            lock_path,
            signals_enabled=signals_enabled,
            on_status_changed=self._on_sender_status_changed,
            on_round_finished=self._on_sender_round_finished,
            backoff=backoff,
            offline_backoff=offline_backoff,
            poll_interval=poll_interval,
        )
        self._send_runner = TaskRunner(threads=1, parent=self)
        self._started = False
        self._hub_online = False

    # -- life --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.outbox.add_listener(self._on_outbox_queued)
        self._sender.start()

    def stop(self) -> None:
        """Stop the sender for good (items it was sending go back in the queue at the next
        start of the app)."""
        if self._started:
            self._started = False
            self._sender.stop()
            self.outbox.remove_listener(self._on_outbox_queued)
        self._send_runner.shutdown()

    # Called on the sender's thread, or whichever thread queued an item.

    def _on_outbox_queued(self) -> None:
        self.queued.emit()

    def _on_sender_status_changed(self, change: StatusChange) -> None:
        self.status_changed.emit(change)

    def _on_sender_round_finished(self, report: SendReport) -> None:
        self.round_finished.emit(report)

    @property
    def online(self) -> bool | None:
        """Whether the hub answered the sender last time (None before its first try)."""
        return self._sender.online

    def wake(self) -> None:
        """Look at the outbox now (the hub may be reachable again)."""
        self._sender.wake()

    def send_now(self) -> None:
        """Send everything queued now, retrying failures for a while; the result comes back as
        ``send_now_finished`` or ``send_failed``."""
        self.sending_started.emit()
        sender = self._sender
        self._send_runner.run(
            lambda: sender.send_now(SEND_NOW_BUDGET_S),
            self._on_send_now_done,
            self._on_send_now_failed,
        )

    def _on_send_now_done(self, report: SendReport) -> None:
        self.send_now_finished.emit(report)

    def _on_send_now_failed(self, error: BaseException) -> None:
        message = str(error) if isinstance(error, FieldkitError) else "Sending failed."
        self.send_failed.emit(message)

    def on_sync_state_changed(self, state: SyncState) -> None:
        """A sync reached the hub: the outbox can go too."""
        online = state.connection == ONLINE
        if online and not self._hub_online and self._started:
            log.info("the hub answered a sync; waking the outbox sender")
            self.wake()
        self._hub_online = online

    # -- reading (any thread) ----------------------------------------------------------------

    def snapshot(self) -> OutboxSnapshot:
        outbox = self.outbox
        items = outbox.items()
        requests = tuple(outbox.requests())
        feedback = tuple(i for i in items if i.kind == "feedback")
        batches = [
            item.payload
            for item in items
            if item.kind == "signals" and item.state in ("queued", "sending")
        ]
        pending = outbox.pending_signals()
        batches += [
            {"signals": pending[start : start + SIGNALS_PER_BATCH]}
            for start in range(0, len(pending), SIGNALS_PER_BATCH)
        ]
        waiting: list[Mapping[str, Any]] = []
        for batch in batches:
            signals = batch.get("signals")
            waiting.extend(signals if isinstance(signals, list) else [])
        wanted = {str(i.payload.get("doc_id")) for i in feedback}
        wanted |= {r.doc_id for r in requests if r.doc_id}
        return OutboxSnapshot(
            requests=requests,
            feedback=feedback,
            waiting_signals=tuple(waiting),
            signal_batches=tuple(batches),
            names=self._mirror_names(wanted),
            usage_signals=self._signals_enabled(),
        )

    def _mirror_names(self, doc_ids: set[str]) -> dict[str, str]:
        if not doc_ids:
            return {}
        with self._sessions.begin() as session:
            rows = session.execute(
                select(MirrorFile.doc_id, MirrorFile.rel_path).where(
                    MirrorFile.doc_id.in_(doc_ids), MirrorFile.area == "mirror"
                )
            ).all()
        return {doc_id: Path(rel).stem for doc_id, rel in rows}


def status_notice(change: StatusChange) -> tuple[str, str]:
    """The notification for a request marketing moved on: (title, text)."""
    title = f"“{change.title}”"
    label = STATUS_LABELS.get(change.new_status, change.new_status)
    if change.new_status == "acknowledged":
        text = f"Marketing has seen your request {title}."
    elif change.new_status == "in_progress":
        text = f"Marketing is working on {title}."
    elif change.new_status == "fulfilled":
        text = f"{title} is ready"
        text += ": it arrives with the next sync." if change.doc_id else "."
    elif change.new_status == "declined":
        text = f"Marketing declined {title}."
    else:
        text = f"{title} is now {label.lower()}."
    if change.note:
        text += f" “{change.note}”"
    return f"Request {label.lower()}", text
