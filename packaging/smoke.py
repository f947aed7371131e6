"""Smoke-test a built fieldkit (the PyInstaller folder) the way a rep's and an admin's machine
would run it: no Python needed by the program, nothing shared with this machine's state.

    .venv/bin/python packaging/smoke.py dist/fieldkit/fieldkit

Everything runs in a throw-away folder (its own HOME and XDG folders, no system keyring):
``--version``; ``status --json``; indexing the bundled sample library (text extraction runs in
the frozen program's worker processes); a search; a hub served by the frozen program, checked
with ``hub check``, synced from and diagnosed with ``doctor``; the desktop app started offscreen
until it quits by itself; and, for the Linux folder, ``install.sh`` into a prefix with the menu
entry and AppStream metadata validated when ``desktop-file-validate``/``appstreamcli`` exist.
Prints figures (start times, bundle size) and exits non-zero on the first failure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 300


class SmokeFailed(Exception):
    pass


class Sandbox:
    def __init__(self, exe: Path, folder: Path) -> None:
        self.exe = exe
        self.folder = folder
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("FIELDKIT_", "XDG_", "DBUS_", "PYTHON", "VIRTUAL_ENV"))
        }
        self.env.update(
            HOME=str(folder / "user"),
            XDG_CONFIG_HOME=str(folder / "user" / ".config"),
            XDG_DATA_HOME=str(folder / "user" / ".local" / "share"),
            XDG_STATE_HOME=str(folder / "user" / ".local" / "state"),
            XDG_CACHE_HOME=str(folder / "user" / ".cache"),
            QT_QPA_PLATFORM="offscreen",
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        (folder / "user").mkdir(parents=True)

    def run(self, *args: str, ok: bool = True, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.exe), *args],
            env={**self.env, **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
            cwd=self.folder,
        )
        if ok and done.returncode != 0:
            raise SmokeFailed(
                f"fieldkit {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        if "Traceback" in done.stderr:
            raise SmokeFailed(f"fieldkit {' '.join(args)} printed a traceback\n{done.stderr}")
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args).stdout)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeFailed(what)
    print(f"  ok  {what}")


def timed(sandbox: Sandbox, *args: str) -> float:
    start = time.perf_counter()
    sandbox.run(*args)
    return time.perf_counter() - start


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def wait_healthy(url: str, hub: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            why = hub.stderr.read() if hub.stderr is not None else ""
            raise SmokeFailed(f"the hub exited {hub.returncode}: {why}")
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=2) as answer:
                if json.load(answer).get("status") == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)  # polling a separate process's start-up, with a deadline
    raise SmokeFailed("the hub did not answer within 60 s")


def source_version() -> str:
    text = (ROOT / "src" / "fieldkit" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__ = "([^"]+)"', text)
    if match is None:
        raise SmokeFailed("no __version__ in src/fieldkit/__init__.py")
    return match.group(1)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def smoke(exe: Path, work: Path) -> dict[str, str]:
    figures: dict[str, str] = {}
    sandbox = Sandbox(exe, work)
    bundle = exe.parent
    resources = bundle / "resources" / "sample-library"
    check(resources.is_dir(), "the sample library ships beside the program")

    print("CLI")
    start = time.perf_counter()
    version = sandbox.run("--version").stdout.strip()
    cold = time.perf_counter() - start
    check(version == f"fieldkit {source_version()}", f"--version says {version!r}")
    warm = statistics.median(timed(sandbox, "--version") for _ in range(3))
    figures["start, --version (first / median of 3 after)"] = f"{cold:.2f} s / {warm:.2f} s"

    home = str(work / "rep-home")
    status = sandbox.json("--home", home, "status", "--json")
    check(status["documents"] == 0 and status["index_ok"], "status --json on a new home")

    sandbox.run("--home", home, "add-folder", str(resources), "--no-index")
    start = time.perf_counter()
    report = sandbox.json("--home", home, "index", "--json")
    figures["index the sample library"] = f"{time.perf_counter() - start:.2f} s"
    check(
        report["indexed"] >= 20 and report["failed"] == 0,
        f"index --json: {report['indexed']} documents extracted in worker processes, "
        f"{report['failed']} failed",
    )
    found = sandbox.json("--home", home, "search", '"customer-managed keys"', "--json")
    check(found["total"] >= 1, f"a phrase search finds {found['total']} documents")

    print("Hub")
    approved = work / "approved"
    shutil.copytree(resources, approved)
    db = str(work / "hub" / "hub.sqlite3")
    token = sandbox.json("hub", "add-rep", "alice", "--json", "--db", db)["token"]
    sandbox.run("hub", "set-admin-password", "--stdin", "--db", db, stdin="smoke-test-password\n")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    hub = subprocess.Popen(
        [str(exe), "hub", "serve", "--root", str(approved), "--db", db, "--port", str(port)],
        env=sandbox.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_healthy(url, hub)
        check(True, f"hub serve answers on {url}")
        checked = sandbox.json(
            "hub", "check", "--root", str(approved), "--db", db, "--port", str(port), "--json"
        )
        check(checked["ok"], f"hub check: {checked['status']}")
        client = str(work / "synced-home")
        sandbox.run("--home", client, "connect", url, "--token", token)
        synced = sandbox.json("--home", client, "sync", "--json")
        check(
            synced["downloaded"] >= 15 and not synced["failed"],
            f"sync --json downloaded {synced['downloaded']} documents",
        )
        doctor = sandbox.json("--home", client, "doctor", "--json")
        statuses = {c["name"]: c["status"] for c in doctor["checks"]}
        check(
            doctor["ok"] and statuses["hub"] == "ok" and statuses["token"] == "ok",
            f"doctor --json: {doctor['status']}",
        )
    finally:
        hub.terminate()
        code = hub.wait(timeout=60)
        if hub.stderr is not None:
            hub.stderr.close()
    check(code == 0, "the hub stops cleanly on SIGTERM")

    print("Desktop app")
    start = time.perf_counter()
    sandbox.run("--home", home, "app", env={"FIELDKIT_QUIT_AFTER_MS": "6000"})
    figures["app: start, open the library, quit after 6 s"] = f"{time.perf_counter() - start:.2f} s"
    log_file = work / "user" / ".local" / "state" / "fieldkit" / "log" / "fieldkit.log"
    check(log_file.exists(), "app starts offscreen, quits by itself, writes its log file")

    install = bundle / "install.sh"
    if install.exists():
        print("Install (Linux)")
        prefix = work / "prefix"
        subprocess.run(["bash", str(install), "--prefix", str(prefix)], check=True,
                       capture_output=True, env=sandbox.env, timeout=TIMEOUT_S)
        installed = subprocess.run([str(prefix / "bin" / "fieldkit"), "--version"],
                                   capture_output=True, text=True, check=True,
                                   env=sandbox.env, timeout=TIMEOUT_S).stdout.strip()
        check(installed == version, f"install.sh --prefix: {installed}")
        desktop = prefix / "share" / "applications" / "fieldkit.desktop"
        check(f"Exec={prefix}/lib/fieldkit/fieldkit app" in desktop.read_text(encoding="utf-8"),
              "the menu entry starts the installed program")
        validate(["desktop-file-validate", str(desktop)])
        validate(["appstreamcli", "validate", "--no-net",
                  str(prefix / "share" / "metainfo" / "app.fieldkit.Fieldkit.metainfo.xml")])

    figures["bundle size"] = f"{folder_size(bundle) / 1024 / 1024:.0f} MB"
    return figures


def validate(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        print(f"  --  {command[0]} is not installed here; not validated")
        return
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    last = done.stdout.strip().splitlines()[-1:] or [""]
    check(done.returncode == 0, f"{command[0]}: {last[0] or 'valid'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exe", type=Path, help="the built program, e.g. dist/fieldkit/fieldkit")
    args = parser.parse_args()
    exe = args.exe.resolve()
    with tempfile.TemporaryDirectory(prefix="fieldkit-smoke-") as folder:
        try:
            figures = smoke(exe, Path(folder))
        except (SmokeFailed, subprocess.SubprocessError) as exc:
            print(f"SMOKE TEST FAILED: {exc}", file=sys.stderr)
            return 1
    print("Figures")
    for name, value in figures.items():
        print(f"  {name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
