"""Run the shell commands of the guides in docs/, so they stay true.

    .venv/bin/python scripts/check_docs.py [GUIDE ...] [--postgres URL]

Every ```sh block in a guide carries a mark on the line before it:

    <!-- run -->              run, in order, in one bash session per guide; must succeed
    <!-- run: postgres -->    run only with --postgres URL (CI's PostgreSQL suite)
    <!-- not run: REASON -->  shown but not run here (it changes a real system); REASON says
                              what checks it instead

Each guide runs in a sandbox of its own: HOME and the XDG folders in a temporary folder (also
the working folder), this checkout's ``fieldkit`` first on PATH, no system keyring. Example
names in the guides stand for the sandbox's real ones:

    https://hub.example.com, 8765       a hub run for the guide, on a free port
    fk_your_token_from_marketing        a rep's token on that hub
    d_0a1b2c3d4e5f                      the id of a document on that hub
    /srv/fieldkit, /var/lib/fieldkit-hub, /var/backups/fieldkit, /etc/fieldkit   sandbox folders
    postgresql://fieldkit:PASSWORD@db.example.com/fieldkit   the --postgres server

The reps' guide starts with a hub serving the sample library; marketing's with that hub and a
rep's request in its inbox; the admins' guide with nothing. Exits 1 if a block fails (its line
is named) or is unmarked.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDES = ("guide-reps.md", "guide-marketing.md", "guide-admins.md")
SAMPLE = ROOT / "resources" / "sample-library"
EXAMPLE_DB = "postgresql://fieldkit:PASSWORD@db.example.com/fieldkit"
EXAMPLE_DOC = "d_0a1b2c3d4e5f"
EXAMPLE_TOKEN = "fk_your_token_from_marketing"
# The document the guides' example id stands for.
DOC_FOR_EXAMPLE_ID = "Data sheets/Halyard Sentinel Data Sheet.pdf"
_MARK = re.compile(r"<!--\s*(run|run: postgres|not run: .+?)\s*-->")
TIMEOUT_S = 600


@dataclass(frozen=True)
class Block:
    guide: str
    line: int  # of the opening fence
    mark: str | None
    body: str


@dataclass
class Sandbox:
    folder: Path
    env: dict[str, str]
    substitutions: dict[str, str] = field(default_factory=dict)

    def path(self, example: str) -> Path:
        return Path(self.substitutions.get(example, example))


def blocks(guide: Path) -> list[Block]:
    """The ```sh blocks of ``guide`` with the mark on the line before each (or None)."""
    found: list[Block] = []
    lines = guide.read_text(encoding="utf-8").splitlines()
    previous = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = line.strip()
        if fence.startswith("```"):
            start = index
            index += 1
            body: list[str] = []
            while index < len(lines) and lines[index].strip() != "```":
                body.append(lines[index])
                index += 1
            if fence in ("```sh", "```bash", "```shell"):
                match = _MARK.fullmatch(previous.strip())
                mark = match.group(1) if match else None
                found.append(Block(guide.name, start + 1, mark, "\n".join(body) + "\n"))
            previous = ""
        elif line.strip():
            previous = line
        index += 1
    return found


def unmarked(guide: Path) -> list[Block]:
    return [block for block in blocks(guide) if block.mark is None]


def not_run(guide: Path) -> list[Block]:
    return [b for b in blocks(guide) if b.mark is not None and b.mark.startswith("not run")]


# -- sandboxes ------------------------------------------------------------------------------------


def fieldkit_bin() -> Path:
    return Path(sys.executable).parent


def new_sandbox(folder: Path) -> Sandbox:
    home = folder / "home"
    home.mkdir(parents=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FIELDKIT_", "XDG_", "DBUS_", "SSL_CERT_"))
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        PATH=f"{fieldkit_bin()}{os.pathsep}{env.get('PATH', '')}",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        QT_QPA_PLATFORM="offscreen",
        LC_ALL="C.UTF-8",
    )
    substitutions = {
        example: str(folder / example.lstrip("/"))
        for example in ("/srv/fieldkit", "/var/lib/fieldkit-hub", "/var/backups/fieldkit",
                        "/etc/fieldkit")
    }
    substitutions["8765"] = str(free_port())
    return Sandbox(folder, env, substitutions)


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def fieldkit(sandbox: Sandbox, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(fieldkit_bin() / "fieldkit"), *args],
        env=sandbox.env,
        cwd=sandbox.folder,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"setup: fieldkit {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


@contextmanager
def running_hub(sandbox: Sandbox) -> Iterator[None]:
    """A hub over a copy of the sample library, on the sandbox's port, with one rep."""
    root = sandbox.path("/srv/fieldkit") / "approved"
    shutil.copytree(SAMPLE, root)
    db = sandbox.path("/var/lib/fieldkit-hub") / "hub.sqlite3"
    added = fieldkit(sandbox, "hub", "add-rep", "Alice Martin", "--json", "--db", str(db))
    token = json.loads(added)
    port = sandbox.substitutions["8765"]
    log = (sandbox.folder / "hub.log").open("w", encoding="utf-8")
    hub = subprocess.Popen(
        [str(fieldkit_bin() / "fieldkit"), "hub", "serve", "--root", str(root), "--db", str(db),
         "--port", port],
        env=sandbox.env, stdout=log, stderr=log, text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url, hub)
        sandbox.env["FIELDKIT_HUB_DB"] = str(db)
        sandbox.substitutions["https://hub.example.com"] = url
        sandbox.substitutions[EXAMPLE_TOKEN] = token["token"]
        sandbox.substitutions[EXAMPLE_DOC] = document_id(db, DOC_FOR_EXAMPLE_ID)
        yield
    finally:
        hub.terminate()
        hub.wait(timeout=60)
        log.close()


def wait_until_healthy(url: str, hub: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            raise RuntimeError(f"setup: the hub exited with {hub.returncode}")
        try:
            with urllib.request.urlopen(url + "/api/v1/health", timeout=2) as answer:
                if json.load(answer).get("status") == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.1)  # another process is starting: poll its health with a deadline
    raise RuntimeError("setup: the hub did not answer within 120 s")


def document_id(db: Path, path: str) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT id FROM hub_documents WHERE path = ? AND deleted_at IS NULL", (path,)
        ).fetchone()
    if row is None:
        raise RuntimeError(f"setup: {path} is not on the hub")
    return str(row[0])


def rep_with_a_request(sandbox: Sandbox) -> None:
    """A rep who connected, synced and sent one request (request #1 in marketing's inbox)."""
    rep = str(sandbox.folder / "rep-home")
    url = sandbox.substitutions["https://hub.example.com"]
    token = sandbox.substitutions[EXAMPLE_TOKEN]
    fieldkit(sandbox, "--home", rep, "connect", url, "--token", token)
    fieldkit(sandbox, "--home", rep, "request", "new", "--title", "Healthcare deck in Spanish",
             "--customer", "Clínica San Rafael", "--urgency", "high")
    fieldkit(sandbox, "--home", rep, "outbox", "send")
    drafts = Path(sandbox.env["HOME"]) / "Drafts"
    drafts.mkdir()
    shutil.copy(SAMPLE / "One-pagers" / "Halyard Edge for Stores.pdf",
                drafts / "Halyard Studio One-pager.pdf")


def postgres_schema(server_url: str) -> str:
    """A fresh schema on the test server, as a URL whose search_path points at it."""
    import psycopg

    schema = "docs_" + secrets.token_hex(6)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in server_url else "?"
    return f"{server_url}{separator}options={quote(f'-csearch_path={schema}')}"


# -- running a guide ------------------------------------------------------------------------------


def substitute(text: str, substitutions: dict[str, str]) -> str:
    for example in sorted(substitutions, key=len, reverse=True):
        text = text.replace(example, substitutions[example])
    return text


def script_for(guide_blocks: list[Block], sandbox: Sandbox, postgres: bool) -> str:
    parts = [
        "set -euo pipefail",
        'trap \'echo "docs: the block at $DOCS_BLOCK failed (exit $?)" >&2\' ERR',
    ]
    for block in guide_blocks:
        if block.mark == "run" or (block.mark == "run: postgres" and postgres):
            parts.append(f'DOCS_BLOCK="{block.guide} line {block.line}"')
            parts.append(f'echo "--- {block.guide} line {block.line}"')
            parts.append(substitute(block.body, sandbox.substitutions))
    return "\n".join(parts) + "\n"


@dataclass(frozen=True)
class GuideRun:
    guide: str
    returncode: int
    output: str
    ran: int
    skipped: tuple[Block, ...]


def run_guide(name: str, work: Path, postgres_url: str | None = None) -> GuideRun:
    guide = DOCS / name
    guide_blocks = blocks(guide)
    missing = [b for b in guide_blocks if b.mark is None]
    if missing:
        lines = ", ".join(str(b.line) for b in missing)
        return GuideRun(name, 2, f"{name}: unmarked ```sh blocks at lines {lines}\n", 0, ())
    sandbox = new_sandbox(work)
    if postgres_url is not None:
        sandbox.substitutions[EXAMPLE_DB] = postgres_schema(postgres_url)
    with _fixture(name, sandbox):
        script = script_for(guide_blocks, sandbox, postgres_url is not None)
        done = subprocess.run(
            ["bash", "-c", script],
            env=sandbox.env,
            cwd=sandbox.folder,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    ran = sum(
        1 for b in guide_blocks
        if b.mark == "run" or (b.mark == "run: postgres" and postgres_url is not None)
    )
    skipped = tuple(b for b in guide_blocks if b.mark is not None and b.mark.startswith("not run"))
    return GuideRun(name, done.returncode, done.stdout + done.stderr, ran, skipped)


@contextmanager
def _fixture(name: str, sandbox: Sandbox) -> Iterator[None]:
    if name == "guide-admins.md":
        yield
        return
    with running_hub(sandbox):
        if name == "guide-marketing.md":
            rep_with_a_request(sandbox)
        yield


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("guides", nargs="*", default=list(GUIDES))
    parser.add_argument("--postgres", metavar="URL", help="also run the PostgreSQL blocks")
    args = parser.parse_args()
    failed = False
    for name in args.guides:
        with tempfile.TemporaryDirectory(prefix="fieldkit-docs-") as folder:
            result = run_guide(name, Path(folder), args.postgres)
        status = "ok" if result.returncode == 0 else "FAILED"
        print(f"{name}: {status}, {result.ran} blocks run, {len(result.skipped)} not run")
        for block in result.skipped:
            print(f"  line {block.line}: {block.mark}")
        if result.returncode != 0:
            failed = True
            print(result.output, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
