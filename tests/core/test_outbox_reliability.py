"""Exactly once, at small scale: requests queued offline reach a hub that fails 30% of calls
(errors, dropped connections, answers lost after the commit, answers too late), from a sender
that is killed with SIGKILL mid-send. ``benchmarks/soak_outbox.py`` runs the same at full scale."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from outbox_support import NO_KEYRING_ENV, ServedHub, connect_home

from fieldkit.core.client import open_client
from fieldkit.core.home import HomePaths
from fieldkit.core.outbox import LOCK_FILE, Backoff, HubAddress, Outbox, OutboxSender
from fieldkit.core.requests import RequestDraft

N = 50


def queue_requests(home: HomePaths, count: int) -> list[str]:
    titles = [f"Request {n:04d}" for n in range(count)]
    with open_client(home) as client:
        outbox = Outbox(client.engine)
        for title in titles:
            outbox.add_request(RequestDraft(title=title))
    return titles


def assert_exactly_once(served: ServedHub, titles: list[str]) -> None:
    on_hub = Counter(title for title, _rep in served.requests())
    assert [title for title, n in on_hub.items() if n > 1] == [], "duplicates on the hub"
    assert sorted(on_hub) == sorted(titles), "lost or unexpected requests"


def test_queued_offline_then_delivered_exactly_once_through_faults(
    home: HomePaths, tmp_path: Path
) -> None:
    titles = queue_requests(home, N)
    with ServedHub(tmp_path / "approved", tmp_path / "hub.sqlite3", rate=0.3, seed=7,
                   kinds=("error", "drop", "lost", "stall")) as served:
        served.faults.stall_s = 1.0
        with open_client(home) as client:
            outbox = Outbox(client.engine)
            sender = OutboxSender(
                outbox,
                lambda: HubAddress(served.url, served.token),
                home.root / LOCK_FILE,
                backoff=Backoff(base=0.05, cap=0.5),
                timeout=0.5,
            )
            reports = [sender.send_now(budget_s=20)]
            while reports[-1].queued and len(reports) < 10:
                reports.append(sender.send_now(budget_s=20))
            assert outbox.counts() == {"queued": 0, "sending": 0, "sent": N, "rejected": 0}
        assert sum(r.sent for r in reports) == N
        assert sum(r.retried for r in reports) > 0
        assert set(served.faults.counts.by_kind) == {"error", "drop", "lost", "stall"}
        assert_exactly_once(served, titles)


def fieldkit(home: HomePaths, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **NO_KEYRING_ENV}
    return subprocess.Popen(
        [sys.executable, "-m", "fieldkit", "--home", str(home.root), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_sender_killed_mid_send_loses_and_duplicates_nothing(
    home: HomePaths, tmp_path: Path
) -> None:
    titles = queue_requests(home, N)
    with ServedHub(tmp_path / "approved", tmp_path / "hub.sqlite3", rate=0.3, seed=11) as served:
        connect_home(home, served.url, served.token)

        sender = fieldkit(home, "outbox", "send")
        assert served.faults.wait_handled(N // 4, timeout=60), "the sender made no progress"
        sender.send_signal(signal.SIGKILL)
        sender.communicate()
        assert sender.returncode == -signal.SIGKILL
        assert served.request_count() < N, "killed too late to prove anything"

        for _attempt in range(5):
            again = fieldkit(home, "outbox", "send")
            out, err = again.communicate(timeout=120)
            if again.returncode == 0:
                break
        assert again.returncode == 0, err.decode()
        assert b"Sent" in out

    listing = fieldkit(home, "outbox", "--json")
    out, _err = listing.communicate(timeout=60)
    states = Counter(item["state"] for item in json.loads(out)["items"])
    assert states == {"sent": N}
    assert_exactly_once(served, titles)
