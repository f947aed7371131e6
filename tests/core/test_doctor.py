"""fieldkit doctor on a real client, against a real hub on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring.backend
import keyring.errors
import pytest
from keyring.backends import fail
from sync_support import RunningHub, write

from fieldkit.core.client import Client, open_client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.doctor import (
    FAIL,
    OK,
    WARN,
    Check,
    CheckReport,
    DoctorOptions,
    run_doctor,
)
from fieldkit.core.home import HomePaths
from fieldkit.core.index.engine import VERSION_FILE
from fieldkit.core.sync import Syncer, connect_folder, connect_hub, open_source
from fieldkit.hub import Hub, HubServer
from tls_support import make_cert


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A working keyring that keeps secrets in memory (the OS keyrings are not on CI).

    Backend classes register themselves with keyring on definition; a negative priority keeps
    keyring from ever choosing this one as the system keyring for later tests.
    """

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")


@pytest.fixture
def client(home: HomePaths) -> Iterator[Client]:
    with open_client(home) as opened:
        yield opened


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    root = tmp_path / "approved"
    write(root, "Decks/Pricing.txt", "Enterprise pricing\n")
    running = RunningHub(root, tmp_path / "hub.sqlite3")
    yield running
    running.stop()


def options(tmp_path: Path, **changes: object) -> DoctorOptions:
    limit = tmp_path / "max_user_watches"
    if not limit.exists():
        limit.write_text("65536\n", encoding="ascii")
    values: dict[str, object] = {"inotify_limit_file": limit, "log_file": tmp_path / "fk.log"}
    values.update(changes)
    return DoctorOptions(**values)  # type: ignore[arg-type]


def doctor(
    client: Client, opts: DoctorOptions, backend: keyring.backend.KeyringBackend | None = None
) -> CheckReport:
    backend = backend if backend is not None else fail.Keyring()
    return run_doctor(client, TokenStore(client.home, backend), backend, opts)


def by_name(report: CheckReport) -> dict[str, Check]:
    return {check.name: check for check in report.checks}


def connect_and_sync(
    client: Client, hub: RunningHub, backend: keyring.backend.KeyringBackend
) -> None:
    tokens = TokenStore(client.home, backend)
    connect_hub(client.sessions, tokens, hub.url, hub.token)
    source = open_source(client.sessions, tokens)
    try:
        Syncer(client.home, client.sessions, source).run()
    finally:
        source.close()


def test_a_connected_synced_laptop_is_in_order(
    client: Client, hub: RunningHub, tmp_path: Path
) -> None:
    backend = MemoryKeyring()
    connect_and_sync(client, hub, backend)
    client.library.index()
    (tmp_path / "fk.log").write_text("x" * 2048, encoding="utf-8")

    report = doctor(client, options(tmp_path), backend)

    checks = by_name(report)
    assert [c.name for c in report.checks] == [
        "versions", "hub", "token", "disk", "index", "watch", "keyring", "logs",
    ]
    assert {c.status for c in report.checks} == {OK}, report.to_text()
    assert report.ok and report.status == OK
    assert hub.url in checks["hub"].message
    assert checks["token"].message == "The hub accepts this laptop's token."
    assert checks["index"].message.startswith("1 documents searchable")
    assert "MemoryKeyring" in checks["keyring"].message
    assert "2 KB" in checks["logs"].message
    assert "fieldkit 0.1.0" in checks["versions"].message
    text = report.to_text()
    assert text.startswith("fieldkit doctor: everything is in order\n")
    assert report.to_json()["checks"][1] == {
        "name": "hub", "label": "Hub", "status": OK, "message": checks["hub"].message,
        "action": None,
    }


def test_a_revoked_token_fails_and_says_what_to_do(
    client: Client, hub: RunningHub, tmp_path: Path
) -> None:
    backend = MemoryKeyring()
    connect_and_sync(client, hub, backend)
    hub.hub.reps.revoke("alice")

    report = doctor(client, options(tmp_path), backend)

    token = by_name(report)["token"]
    assert token.status == FAIL and "refused this laptop's token" in token.message
    assert token.action is not None and f"fieldkit connect {hub.url}" in token.action
    assert not report.ok and report.status == FAIL
    assert report.to_text().startswith("fieldkit doctor: 1 problem")


def test_an_unreachable_hub_is_a_warning_offline_is_normal(
    client: Client, hub: RunningHub, tmp_path: Path
) -> None:
    backend = MemoryKeyring()
    connect_and_sync(client, hub, backend)
    hub.stop()

    report = doctor(client, options(tmp_path, hub_timeout_s=2.0), backend)

    checks = by_name(report)
    assert checks["hub"].status == WARN
    assert "can't be reached" in checks["hub"].message
    assert "last good sync" in checks["hub"].message
    assert checks["token"].status == WARN and "could not be checked" in checks["token"].message
    assert report.ok


def test_no_saved_token_fails(client: Client, hub: RunningHub, tmp_path: Path) -> None:
    connect_and_sync(client, hub, MemoryKeyring())

    report = doctor(client, options(tmp_path), MemoryKeyring())  # a keyring that forgot it

    token = by_name(report)["token"]
    assert token.status == FAIL and token.message == f"No token is saved for the hub at {hub.url}."
    assert by_name(report)["hub"].status == OK


def test_not_connected_is_a_warning_with_the_command_to_connect(
    client: Client, tmp_path: Path
) -> None:
    report = doctor(client, options(tmp_path))

    checks = by_name(report)
    assert checks["hub"].status == WARN
    assert checks["hub"].action is not None and "fieldkit connect" in checks["hub"].action
    assert checks["token"].status == OK
    assert report.ok


def test_a_folder_source_that_went_away_is_a_warning(client: Client, tmp_path: Path) -> None:
    share = tmp_path / "share"
    write(share, "Deck.txt", "hello")
    connect_folder(client.sessions, share, poll=False)
    assert by_name(doctor(client, options(tmp_path)))["hub"].status == OK

    (share / "Deck.txt").unlink()
    share.rmdir()

    hub = by_name(doctor(client, options(tmp_path)))["hub"]
    assert hub.status == WARN and "can't be reached" in hub.message


def test_a_hub_with_an_untrusted_certificate_fails(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    root = tmp_path / "approved"
    write(root, "Deck.txt", "hello")
    files = make_cert(tmp_path / "tls")
    opened = Hub.open(root, str(tmp_path / "hub.sqlite3"))
    token = opened.reps.add("alice")
    backend = MemoryKeyring()
    with HubServer(opened, ssl_certfile=files.cert, ssl_keyfile=files.key) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(files.cert))
        connect_hub(client.sessions, TokenStore(client.home, backend), server.url, token)
        monkeypatch.delenv("SSL_CERT_FILE")

        hub = by_name(doctor(client, options(tmp_path), backend))["hub"]

    assert hub.status == FAIL and "does not trust its certificate" in hub.message


def test_disk_space_thresholds(client: Client, tmp_path: Path) -> None:
    huge = 1 << 60
    fails = by_name(doctor(client, options(tmp_path, fail_free_bytes=huge)))["disk"]
    assert fails.status == FAIL and "not enough" in fails.message and fails.action
    warns = by_name(doctor(client, options(tmp_path, warn_free_bytes=huge)))["disk"]
    assert warns.status == WARN and "getting low" in warns.message
    assert by_name(doctor(client, options(tmp_path)))["disk"].status == OK


def test_an_index_from_another_version_is_a_warning(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    write(folder, "notes.txt", "renewal discount")
    client.library.add_folder(folder)
    client.library.index()
    client.index.close()
    (client.home.index_dir / VERSION_FILE).write_text('{"schema_version": 0}', encoding="utf-8")

    index = by_name(doctor(client, options(tmp_path)))["index"]

    assert index.status == WARN
    assert "another fieldkit version" in index.message
    assert index.action == "Open the app, or run: fieldkit index"


def test_file_watch_limits_against_the_library_folders(client: Client, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    for rel in ("a/1.txt", "a/b/2.txt", "c/3.txt", "d/e/f/4.txt"):
        write(folder, rel, "x")
    client.library.add_folder(folder)
    limit = tmp_path / "max_user_watches"
    # The library: the mirror, the archive, and mine with a, a/b, c, d, d/e, d/e/f: 9 folders.
    limit.write_text("9", encoding="ascii")
    watch = by_name(doctor(client, options(tmp_path)))["watch"]
    assert watch.status == FAIL
    assert "9 folders (4 files)" in watch.message and "allows 9" in watch.message
    assert watch.action is not None and "max_user_watches" in watch.action

    limit.write_text("12", encoding="ascii")
    assert by_name(doctor(client, options(tmp_path)))["watch"].status == WARN
    limit.write_text("1000", encoding="ascii")
    assert by_name(doctor(client, options(tmp_path)))["watch"].status == OK
    unreadable = options(tmp_path, inotify_limit_file=tmp_path / "no such file")
    assert by_name(doctor(client, unreadable))["watch"].status == WARN


def test_keyring_backends(client: Client, tmp_path: Path) -> None:
    no_keyring = by_name(doctor(client, options(tmp_path), fail.Keyring()))["keyring"]
    assert no_keyring.status == WARN
    assert str(client.home.root / "hub-token.json") in no_keyring.message

    locked = by_name(doctor(client, options(tmp_path), LockedKeyring()))["keyring"]
    assert locked.status == WARN and "did not answer" in locked.message

    working = by_name(doctor(client, options(tmp_path), MemoryKeyring()))["keyring"]
    assert working.status == OK


def test_log_file_location(client: Client, tmp_path: Path) -> None:
    logs = by_name(doctor(client, options(tmp_path, log_file=tmp_path / "logs" / "fk.log")))
    assert logs["logs"].status == OK
    assert logs["logs"].message == f"{tmp_path / 'logs' / 'fk.log'} (nothing logged yet)."
