"""Reps' access tokens: made with ``secrets``, shown once, stored only as their SHA-256.

A token the database accepted is remembered for :data:`VERIFIED_FOR_S` seconds, so a sync's
thousands of requests do not each cost a query. Revoking through this object forgets at once;
a ``fieldkit hub revoke-rep`` run from another process takes effect within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import shlex
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from fieldkit.core.db import session_factory, utcnow
from fieldkit.core.errors import UsageError
from fieldkit.hub.models import Rep

TOKEN_PREFIX = "fk_"
VERIFIED_FOR_S = 2.0


def new_token() -> str:
    """A random token. The prefix makes it recognisable (in a config file, a secret scanner)
    and keeps it from starting with "-", which a command line would take for an option."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RepInfo:
    name: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class RepTokens:
    """Adds, revokes, lists and authenticates reps."""

    def __init__(self, engine: Engine) -> None:
        self._session: sessionmaker[Session] = session_factory(engine)
        self._lock = threading.Lock()
        # Digest -> (rep, when the database last accepted it). Only accepted tokens are kept,
        # so the map holds at most one entry per rep.
        self._verified: dict[str, tuple[RepInfo, float]] = {}

    def add(self, name: str) -> str:
        """A new token for ``name``; returned once, never stored in the clear.

        A revoked rep can be added again (with a new token); an active one cannot.
        """
        name = name.strip()
        if not name:
            raise UsageError("A rep needs a name.")
        token = new_token()
        self._forget_verified()
        with self._session.begin() as session:
            rep = session.scalars(select(Rep).where(Rep.name == name)).one_or_none()
            if rep is None:
                session.add(Rep(name=name, token_sha256=token_digest(token)))
            elif rep.revoked_at is None:
                raise UsageError(
                    f"Rep {name!r} already has a token. Revoke it first "
                    f"(fieldkit hub revoke-rep {shlex.quote(name)}) to issue a new one."
                )
            else:
                rep.token_sha256 = token_digest(token)
                rep.revoked_at = None
                rep.created_at = utcnow()
        return token

    def revoke(self, name: str) -> None:
        self._forget_verified()
        with self._session.begin() as session:
            rep = session.scalars(select(Rep).where(Rep.name == name.strip())).one_or_none()
            if rep is None:
                raise UsageError(f"There is no rep called {name!r}.")
            if rep.revoked_at is None:
                rep.revoked_at = utcnow()

    def reps(self) -> list[RepInfo]:
        with self._session.begin() as session:
            return [
                RepInfo(rep.name, rep.created_at, rep.revoked_at)
                for rep in session.scalars(select(Rep).order_by(Rep.name))
            ]

    def authenticate(self, token: str) -> RepInfo | None:
        """The active rep holding ``token``, or None."""
        verified = self.recently_verified(token)
        if verified is not None:
            return verified
        digest = token_digest(token)
        checked_at = time.monotonic()
        with self._session.begin() as session:
            rep = session.scalars(select(Rep).where(Rep.token_sha256 == digest)).one_or_none()
            if rep is None or rep.revoked_at is not None:
                return None
            if not hmac.compare_digest(rep.token_sha256, digest):
                return None
            info = RepInfo(rep.name, rep.created_at, rep.revoked_at)
        with self._lock:
            self._verified[digest] = (info, checked_at)
        return info

    def recently_verified(self, token: str) -> RepInfo | None:
        """The rep holding ``token`` if the database accepted it in the last
        :data:`VERIFIED_FOR_S` seconds; None means "ask the database" (no query here)."""
        digest = token_digest(token)
        with self._lock:
            entry = self._verified.get(digest)
            if entry is None:
                return None
            if time.monotonic() - entry[1] >= VERIFIED_FOR_S:
                del self._verified[digest]
                return None
        return entry[0]

    def _forget_verified(self) -> None:
        with self._lock:
            self._verified.clear()
