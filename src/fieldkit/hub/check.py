"""``fieldkit hub check``: is this hub's configuration sound, before (or while) it serves?

It reads and never writes: the folder, the database (not created, not upgraded), the TLS files
and the port are looked at as ``fieldkit hub serve`` would use them. Each finding is a
:class:`~fieldkit.core.doctor.Check` (ok / warn / fail, with what to do); any ``fail`` means the
hub would not start or could not serve reps.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from sqlalchemy import Connection, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from fieldkit.core.db import make_engine
from fieldkit.core.doctor import FAIL, OK, WARN, Check, CheckReport
from fieldkit.hub.inbox import AdminCredential
from fieldkit.hub.models import HUB_SCHEMA_VERSION, Rep
from fieldkit.hub.paths import SIDECAR_SUFFIX, is_document_name, is_visible_dir_name
from fieldkit.hub.sidecar import read_sidecar
from fieldkit.hub.store import resolve_db_url

DEFAULT_PORT = 8765
CERT_WARN_DAYS = 30
_SHOWN_PROBLEMS = 5


@dataclass(frozen=True)
class HubSettings:
    """What ``fieldkit hub serve`` would be started with."""

    root: Path | None = None
    db: str | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None


def check_hub(settings: HubSettings, *, now: datetime | None = None) -> CheckReport:
    checks: list[Check] = []
    root = _resolved(settings.root)
    checks.append(_root_check(settings.root, root))
    url = resolve_db_url(settings.db)
    checks += _database_checks(url, root)
    checks.append(_tls_check(settings, now or datetime.now(UTC)))
    checks.append(_port_check(settings))
    if root is not None and root.is_dir():
        checks.append(_sidecar_check(root))
    return CheckReport("fieldkit hub check", tuple(checks))


def _resolved(root: Path | None) -> Path | None:
    return root.expanduser().resolve() if root is not None else None


# -- the approved folder -----------------------------------------------------------------------


def _root_check(given: Path | None, root: Path | None) -> Check:
    label = "Approved folder"
    if given is None or root is None:
        return Check(
            "root", label, WARN, "Not checked: no folder given.",
            "Give the folder the hub serves: fieldkit hub check --root DIR",
        )
    if not root.exists():
        return Check(
            "root", label, FAIL, f"{given} does not exist.",
            "Create it, mount the share that holds it, or correct --root.",
        )
    if not root.is_dir():
        return Check("root", label, FAIL, f"{given} is a file, not a folder.", "Correct --root.")
    try:
        with os.scandir(root) as listing:
            count = sum(1 for _ in listing)
    except OSError as exc:
        return Check(
            "root", label, FAIL, f"{given} can't be read ({exc.strerror}).",
            "Let the account the hub runs as read it (for example: "
            f"sudo setfacl -R -m u:fieldkit:rX {root}).",
        )
    return Check("root", label, OK, f"{root} is readable ({count} entries at the top).")


# -- the database --------------------------------------------------------------------------------


def _database_checks(url: str, root: Path | None) -> list[Check]:
    label = "Database"
    try:
        parsed = make_url(url)
    except ArgumentError:
        return [Check("database", label, FAIL, f"{url!r} is not a database address.",
                      "Give a SQLite file or postgresql://user:password@host/database.")]
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if root is not None and path.resolve().is_relative_to(root):
            return [Check("database", label, FAIL, f"The database {path} is inside the folder "
                          "the hub serves.", "Keep it outside: choose another place with --db.")]
        if not path.is_file():
            return [Check(
                "database", label, FAIL, f"There is no hub database at {path} yet.",
                f"Create it by adding the first rep: fieldkit hub add-rep NAME --db {path}",
            )]
    try:
        engine = make_engine(url)
    except (ArgumentError, ImportError):
        return [Check("database", label, FAIL, f"{shown} is not a database fieldkit can use.",
                      "Give a SQLite file or postgresql://user:password@host/database.")]
    try:
        with engine.connect() as conn:
            version, tables = _schema_version(conn)
            if version > HUB_SCHEMA_VERSION:
                return [Check(
                    "database", label, FAIL,
                    f"{shown} was written by a newer fieldkit (schema {version}; this one knows "
                    f"{HUB_SCHEMA_VERSION}).",
                    "Install the fieldkit version the hub was last run with, or a newer one.",
                )]
            if version < HUB_SCHEMA_VERSION or not tables:
                return [Check(
                    "database", label, WARN,
                    f"{shown} has schema {version}; the hub upgrades it to "
                    f"{HUB_SCHEMA_VERSION} when it starts.",
                    "Back it up first (see the admin guide, 'Backups').",
                )]
            # A table the hub adds when it starts may not be there yet: then it is empty.
            reps = admins = 0
            if Rep.__tablename__ in tables:
                reps = int(conn.scalar(
                    select(func.count()).select_from(Rep).where(Rep.revoked_at.is_(None))
                ) or 0)
            if AdminCredential.__tablename__ in tables:
                admins = int(conn.scalar(select(func.count()).select_from(AdminCredential)) or 0)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        return [Check(
            "database", label, FAIL, f"{shown} can't be opened: {reason}".strip(),
            "Check the address, that the database server runs, and the user's password.",
        )]
    finally:
        engine.dispose()
    return [
        Check("database", label, OK, f"{shown} (schema {version})."),
        _reps_check(reps),
        _admin_check(bool(admins)),
    ]


def _schema_version(conn: Connection) -> tuple[int, list[str]]:
    """The stored schema version (0: none yet) and the tables, reading only."""
    tables = inspect(conn).get_table_names()
    if conn.dialect.name == "sqlite":
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one()), tables
    if "schema_version" not in tables:
        return 0, tables
    return int(conn.execute(text("SELECT max(version) FROM schema_version")).scalar() or 0), tables


def _reps_check(active: int) -> Check:
    if not active:
        return Check(
            "reps", "Reps", FAIL, "No rep has a working token: nobody can sync.",
            "Add one: fieldkit hub add-rep NAME (it prints the token to give the rep).",
        )
    return Check("reps", "Reps", OK, f"{active} rep{'s' if active != 1 else ''} can sync.")


def _admin_check(is_set: bool) -> Check:
    if not is_set:
        return Check(
            "admin", "Admin password", WARN,
            "No admin password: marketing can't sign in to the hub's web page (requests, "
            "search gaps, usage).",
            "Set one: fieldkit hub set-admin-password",
        )
    return Check("admin", "Admin password", OK, "Set; marketing can sign in at /admin.")


# -- TLS -----------------------------------------------------------------------------------------


def _tls_check(settings: HubSettings, now: datetime) -> Check:
    label = "TLS"
    cert, key = settings.ssl_certfile, settings.ssl_keyfile
    if cert is None:
        if key is not None:
            return Check("tls", label, FAIL, "A key file was given without a certificate.",
                         "Give both --ssl-certfile and --ssl-keyfile.")
        return Check(
            "tls", label, OK,
            "The hub serves plain HTTP; put it behind a TLS reverse proxy, or give "
            "--ssl-certfile and --ssl-keyfile, before reps connect over a network.",
        )
    for path in (cert, key):
        try:
            if path is not None:
                path.open("rb").close()
        except OSError as exc:
            return Check("tls", label, FAIL, f"{path} can't be read ({exc.strerror}).",
                         "Check the path, and that the hub's account may read it.")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(str(cert), str(key) if key is not None else None)
        pem = cert.read_bytes()
    except (ssl.SSLError, OSError) as exc:
        return Check(
            "tls", label, FAIL,
            f"The certificate and key can't be used together ({exc}).",
            "Give the PEM certificate (with its chain) and the private key that belongs to it.",
        )
    expires = x509.load_pem_x509_certificate(pem).not_valid_after_utc
    when = expires.strftime("%Y-%m-%d")
    if expires <= now:
        return Check("tls", label, FAIL, f"The certificate expired on {when}.",
                     "Renew it, then restart the hub.")
    if expires - now < timedelta(days=CERT_WARN_DAYS):
        return Check("tls", label, WARN, f"The certificate expires on {when}.",
                     "Renew it soon, then restart the hub.")
    return Check("tls", label, OK, f"Certificate and key load; valid until {when}.")


# -- the port ------------------------------------------------------------------------------------


def _port_check(settings: HubSettings) -> Check:
    label = "Port"
    host, port = settings.host, settings.port
    where = f"{host}:{port}"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        probe = socket.create_server((host, port), family=family)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return _port_taken(settings, where)
        if exc.errno == errno.EACCES:
            return Check(
                "port", label, FAIL, f"Only root may listen on {where}.",
                "Use a port above 1024 (the default is 8765) behind a reverse proxy.",
            )
        return Check("port", label, FAIL, f"The hub can't listen on {where} ({exc.strerror}).",
                     "Check --host: it must be an address of this server.")
    probe.close()
    return Check("port", label, OK, f"{where} is free.")


def _port_taken(settings: HubSettings, where: str) -> Check:
    scheme = "https" if settings.ssl_certfile is not None else "http"
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"{scheme}://{host}:{settings.port}/api/v1/health"
    try:
        # Only asking whether it is a fieldkit hub: its certificate is checked by the TLS check.
        response = httpx.get(url, timeout=3.0, verify=False)
        data = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        data = None
    if isinstance(data, dict) and data.get("status") == "ok":
        return Check("port", "Port", OK, f"A fieldkit hub is already serving on {where} "
                     f"(version {data.get('version', '?')}).")
    return Check(
        "port", "Port", FAIL, f"Another program is listening on {where}.",
        f"Stop it, or choose another port with --port (find it with: ss -ltnp "
        f"'sport = :{settings.port}').",
    )


# -- marketing's sidecars ------------------------------------------------------------------------


def _sidecar_check(root: Path) -> Check:
    problems: list[str] = []
    count = 0
    for sidecar, rel in _sidecars(root):
        count += 1
        described = sidecar.with_name(sidecar.name[: -len(SIDECAR_SUFFIX)])
        if not described.exists():
            problems.append(f"{rel}: describes {described.name}, which is not in the folder")
            continue
        problems += read_sidecar(sidecar, rel).problems
    label = "Metadata sidecars"
    if not problems:
        return Check("sidecars", label, OK, f"{count} sidecar{'s' if count != 1 else ''}, all "
                     "valid.")
    shown = "; ".join(problems[:_SHOWN_PROBLEMS])
    more = len(problems) - _SHOWN_PROBLEMS
    if more > 0:
        shown += f"; and {more} more"
    return Check(
        "sidecars", label, WARN, f"{len(problems)} problem{'s' if len(problems) != 1 else ''} "
        f"in {count} sidecars: {shown}.",
        "Fix those files (see the marketing guide, 'The metadata sidecar'); until then those "
        "documents are served with default metadata.",
    )


def _sidecars(root: Path) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            with os.scandir(folder) as listing:
                items = sorted(listing, key=lambda item: item.name)
        except OSError:
            continue
        for item in items:
            try:
                if item.is_dir(follow_symlinks=False):
                    if is_visible_dir_name(item.name):
                        pending.append((Path(item.path), f"{prefix}{item.name}/"))
                elif item.name.endswith(SIDECAR_SUFFIX) and is_document_name(
                    item.name[: -len(SIDECAR_SUFFIX)]
                ):
                    found.append((Path(item.path), prefix + item.name))
            except OSError:
                continue
    return sorted(found, key=lambda pair: pair[1])
