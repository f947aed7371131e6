"""Soak: requests queued offline reach a failing hub exactly once, through SIGKILLed senders.

    .venv/bin/python benchmarks/soak_outbox.py                 # 1,000 requests, 30% failures
    .venv/bin/python benchmarks/soak_outbox.py --requests 200 --kills 2

1. ``--requests`` requests are queued in a fresh client home while no hub exists (offline).
2. A real hub (uvicorn on 127.0.0.1, SQLite) starts behind the test suite's fault injector:
   ``--failure-rate`` of the POSTs fail as a 500, a dropped connection, or an answer lost after
   the hub committed.
3. ``fieldkit outbox send`` runs as a subprocess and is killed with SIGKILL mid-send, ``--kills``
   times (each time after a further share of the work reached the hub).
4. ``fieldkit outbox send`` then runs until it reports the outbox empty.

Prints: sent, duplicates, lost, and the times; exits 1 unless exactly every request arrived once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "core"))  # the fault injector lives with the tests

from outbox_support import NO_KEYRING_ENV, ServedHub, connect_home  # noqa: E402

from fieldkit.core.client import open_client  # noqa: E402
from fieldkit.core.home import HomePaths  # noqa: E402
from fieldkit.core.outbox import Outbox  # noqa: E402
from fieldkit.core.requests import RequestDraft  # noqa: E402


def sender(home: HomePaths) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "fieldkit", "--home", str(home.root), "outbox", "send",
         "--budget", "120"],
        env={**os.environ, **NO_KEYRING_ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--failure-rate", type=float, default=0.3)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n = args.requests
    # uvicorn logs each connection the fault injector cuts as an error: expected here.
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)

    with tempfile.TemporaryDirectory(prefix="fieldkit-soak-") as scratch:
        base = Path(scratch)
        home = HomePaths(base / "home").ensure()

        started = time.perf_counter()
        titles = [f"Soak request {i:05d}" for i in range(n)]
        with open_client(home) as client:
            outbox = Outbox(client.engine)
            for title in titles:
                outbox.add_request(RequestDraft(title=title, details="queued while offline"))
        queued_s = time.perf_counter() - started

        with ServedHub(base / "approved", base / "hub.sqlite3", rate=args.failure_rate,
                       seed=args.seed) as served:
            connect_home(home, served.url, served.token)
            delivery_started = time.perf_counter()
            killed_at: list[int] = []
            for k in range(1, args.kills + 1):
                process = sender(home)
                if not served.faults.wait_handled(n * k // (args.kills + 1), timeout=600):
                    process.kill()
                    process.communicate()
                    print("the sender made no progress", file=sys.stderr)
                    return 1
                process.send_signal(signal.SIGKILL)
                process.communicate()
                killed_at.append(served.request_count())
            runs = 0
            while True:
                runs += 1
                process = sender(home)
                out, err = process.communicate()
                if process.returncode == 0 or runs >= 20:
                    break
            delivery_s = time.perf_counter() - delivery_started
            on_hub = Counter(title for title, _rep in served.requests())
            faults = dict(served.faults.counts.by_kind)
            passed = served.faults.counts.passed

        with open_client(home) as client:
            states = Outbox(client.engine).counts()

    duplicates = sum(count - 1 for count in on_hub.values() if count > 1)
    lost = len(set(titles) - set(on_hub))
    figures = {
        "requests": n,
        "sent": sum(on_hub.values()),
        "duplicates": duplicates,
        "lost": lost,
        "client_states": states,
        "failure_rate": args.failure_rate,
        "faults": faults,
        "calls_passed": passed,
        "sigkills": len(killed_at),
        "on_hub_at_each_kill": killed_at,
        "final_sender_runs": runs,
        "queue_s": round(queued_s, 2),
        "delivery_s": round(delivery_s, 2),
    }
    print(f"requests {n}, failure rate {args.failure_rate:.0%}, SIGKILLs {len(killed_at)} "
          f"(hub held {killed_at} at each)")
    print(f"sent {figures['sent']}, duplicates {duplicates}, lost {lost}")
    print(f"faults injected {faults}, calls passed {passed}")
    print(f"queued offline in {queued_s:.1f} s; delivered in {delivery_s:.1f} s "
          f"({runs} final sender run{'s' if runs != 1 else ''})")
    print(json.dumps(figures))
    if process.returncode != 0:
        print(out.decode(), err.decode(), file=sys.stderr)
    ok = figures["sent"] == n and duplicates == 0 and lost == 0 and states["sent"] == n
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
