"""fieldkit hub check: each configuration error reported clearly, a sound hub passes."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fieldkit.core.db import make_engine, sqlite_url
from fieldkit.core.doctor import FAIL, OK, WARN, Check, CheckReport
from fieldkit.hub import Hub, HubServer
from fieldkit.hub.check import HubSettings, check_hub
from fieldkit.hub.inbox import AdminAccess
from fieldkit.hub.models import HUB_SCHEMA_VERSION
from tls_support import make_cert


def by_name(report: CheckReport) -> dict[str, Check]:
    return {check.name: check for check in report.checks}


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def set_up(root: Path, db: str, *, reps: tuple[str, ...] = ("alice",), admin: bool = True) -> None:
    hub = Hub.open(root, db)
    try:
        for name in reps:
            hub.reps.add(name)
        if admin:
            AdminAccess(hub.engine).set_password("correct horse battery")
    finally:
        hub.close()


def test_a_sound_hub_passes_every_check(root: Path, db_url: str, tmp_path: Path) -> None:
    (root / "Pricing.pdf").write_bytes(b"%PDF-1.4")
    (root / "Pricing.pdf.meta.toml").write_text(
        'title = "Price sheet"\ntags = ["pricing"]\nexpires = 2031-01-01\n', encoding="utf-8"
    )
    set_up(root, db_url)
    tls = make_cert(tmp_path / "tls")

    report = check_hub(
        HubSettings(
            root=root, db=db_url, port=free_port(), ssl_certfile=tls.cert, ssl_keyfile=tls.key
        )
    )

    assert [c.name for c in report.checks] == [
        "root", "database", "reps", "admin", "tls", "port", "sidecars",
    ]
    assert {c.status for c in report.checks} == {OK}, report.to_text()
    checks = by_name(report)
    assert f"schema {HUB_SCHEMA_VERSION}" in checks["database"].message
    assert checks["reps"].message == "1 rep can sync."
    assert checks["sidecars"].message == "1 sidecar, all valid."
    assert "valid until" in checks["tls"].message
    assert report.to_text().startswith("fieldkit hub check: everything is in order")


def test_the_folder_must_exist_and_be_a_folder(tmp_path: Path) -> None:
    db = str(tmp_path / "hub.sqlite3")
    missing = by_name(check_hub(HubSettings(root=tmp_path / "nowhere", db=db)))
    assert missing["root"].status == FAIL and "does not exist" in missing["root"].message
    assert "sidecars" not in missing

    a_file = tmp_path / "file.txt"
    a_file.write_text("x", encoding="utf-8")
    assert by_name(check_hub(HubSettings(root=a_file, db=db)))["root"].status == FAIL

    unchecked = by_name(check_hub(HubSettings(db=db)))["root"]
    assert unchecked.status == WARN and unchecked.action is not None
    assert "--root" in unchecked.action


def test_database_problems(root: Path, tmp_path: Path) -> None:
    missing = tmp_path / "hub.sqlite3"
    report = check_hub(HubSettings(root=root, db=str(missing)))
    database = by_name(report)["database"]
    assert database.status == FAIL and f"no hub database at {missing}" in database.message
    assert database.action is not None and "fieldkit hub add-rep" in database.action
    assert not missing.exists()  # the check created nothing

    inside = root / "hub.sqlite3"
    inside.write_bytes(b"")
    assert "inside the folder" in by_name(check_hub(HubSettings(root=root, db=str(inside))))[
        "database"
    ].message
    inside.unlink()

    set_up(root, str(missing))
    engine = make_engine(sqlite_url(missing))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA user_version = {HUB_SCHEMA_VERSION + 1}")
    newer = by_name(check_hub(HubSettings(root=root, db=str(missing))))["database"]
    assert newer.status == FAIL and "newer fieldkit" in newer.message
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA user_version = 0")
    engine.dispose()
    older = by_name(check_hub(HubSettings(root=root, db=str(missing))))["database"]
    assert older.status == WARN and "upgrades it" in older.message


def test_an_unreachable_database_server_fails_without_showing_the_password(
    root: Path,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    url = f"postgresql://hub:s3cret-pass@127.0.0.1:{port}/hub"

    report = check_hub(HubSettings(root=root, db=url))

    database = by_name(report)["database"]
    assert database.status == FAIL and "can't be opened" in database.message
    assert "s3cret-pass" not in report.to_text() and "***" in database.message


def test_no_reps_fails_and_no_admin_password_warns(root: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "hub.sqlite3")
    set_up(root, db, reps=("alice",), admin=False)
    hub = Hub.open(root, db)
    hub.reps.revoke("alice")
    hub.close()

    report = check_hub(HubSettings(root=root, db=db, port=free_port()))

    checks = by_name(report)
    assert checks["reps"].status == FAIL and "nobody can sync" in checks["reps"].message
    assert checks["admin"].status == WARN
    assert checks["admin"].action == "Set one: fieldkit hub set-admin-password"
    assert not report.ok


@pytest.mark.parametrize(
    ("days", "status", "words"),
    [(-1, FAIL, "expired on"), (10, WARN, "expires on"), (365, OK, "valid until")],
)
def test_certificate_dates(tmp_path: Path, days: int, status: str, words: str) -> None:
    tls = make_cert(tmp_path / "tls", days=days)
    check = by_name(
        check_hub(HubSettings(db=str(tmp_path / "db"), ssl_certfile=tls.cert, ssl_keyfile=tls.key))
    )["tls"]
    assert check.status == status and words in check.message
    expiry = (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%d")
    assert expiry in check.message


def test_unusable_certificate_files(tmp_path: Path) -> None:
    one = make_cert(tmp_path / "one", name="one")
    other = make_cert(tmp_path / "other", name="other")
    db = str(tmp_path / "db")

    def tls(cert: Path | None, key: Path | None) -> Check:
        return by_name(check_hub(HubSettings(db=db, ssl_certfile=cert, ssl_keyfile=key)))["tls"]

    mismatch = tls(one.cert, other.key)
    assert mismatch.status == FAIL and "can't be used together" in mismatch.message
    unreadable = tls(tmp_path / "gone.crt", one.key)
    assert unreadable.status == FAIL and "gone.crt can't be read" in unreadable.message
    no_key = tls(one.cert, tmp_path / "gone.key")
    assert no_key.status == FAIL and "gone.key can't be read" in no_key.message
    assert tls(None, one.key).status == FAIL
    plain = tls(None, None)
    assert plain.status == OK and "reverse proxy" in plain.message


def test_the_port_another_program_holds_fails(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as other:
        port = other.getsockname()[1]
        check = by_name(check_hub(HubSettings(db=str(tmp_path / "db"), port=port)))["port"]
    assert check.status == FAIL and f"Another program is listening on 127.0.0.1:{port}" in (
        check.message
    )
    assert check.action is not None and "--port" in check.action


def test_the_port_of_a_running_hub_is_fine(root: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "hub.sqlite3")
    set_up(root, db)
    with HubServer(Hub.open(root, db)) as server:
        port = int(server.url.rsplit(":", 1)[1])
        report = check_hub(HubSettings(root=root, db=db, port=port))
    port_check = by_name(report)["port"]
    assert port_check.status == OK and "already serving" in port_check.message
    assert report.ok


def test_sidecar_problems_are_listed(root: Path, tmp_path: Path) -> None:
    (root / "Decks").mkdir()
    for name in ("a.pdf", "b.pdf", "Decks/c.pptx"):
        (root / name).write_bytes(b"x")
    (root / "a.pdf.meta.toml").write_text("title = 3\n", encoding="utf-8")
    (root / "b.pdf.meta.toml").write_text("title = \n", encoding="utf-8")
    (root / "Decks/c.pptx.meta.toml").write_text('colour = "red"\n', encoding="utf-8")
    (root / "gone.docx.meta.toml").write_text('title = "Old"\n', encoding="utf-8")

    check = by_name(check_hub(HubSettings(root=root, db=str(tmp_path / "db"))))["sidecars"]

    assert check.status == WARN
    assert check.message.startswith("4 problems in 4 sidecars: ")
    assert "Decks/c.pptx.meta.toml: unknown key 'colour'" in check.message
    assert "a.pdf.meta.toml: key 'title' must be text" in check.message
    assert "b.pdf.meta.toml: not valid TOML" in check.message
    assert "gone.docx.meta.toml: describes gone.docx, which is not in the folder" in check.message

    for n in range(4):
        (root / f"x{n}.pdf").write_bytes(b"x")
        (root / f"x{n}.pdf.meta.toml").write_text("tags = 1\n", encoding="utf-8")
    more = by_name(check_hub(HubSettings(root=root, db=str(tmp_path / "db"))))["sidecars"]
    assert more.message.startswith("8 problems in 8 sidecars") and "and 3 more" in more.message



def test_tables_the_hub_adds_at_start_may_be_missing(root: Path, tmp_path: Path) -> None:
    """`hub add-rep` alone creates the database without the inbox's tables; the hub adds them
    when it starts. The check reads what is there and does not fail on what is not."""
    db = tmp_path / "hub.sqlite3"
    set_up(root, str(db), admin=False)
    engine = make_engine(sqlite_url(db))
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE hub_admin")
    engine.dispose()

    checks = by_name(check_hub(HubSettings(root=root, db=str(db), port=free_port())))

    assert checks["database"].status == OK
    assert checks["reps"].status == OK
    assert checks["admin"].status == WARN
