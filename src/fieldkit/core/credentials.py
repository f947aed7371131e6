"""Where the hub token lives: the OS keyring, or a file only the user can read.

The keyring package picks the platform's store (Windows Credential Locker, macOS Keychain, the
Secret Service on Linux desktops). Where none is usable — a headless Linux box, a locked or missing
Secret Service — the token goes to ``hub-token.json`` in the home folder, created with mode 0600,
and the caller is told so (:attr:`TokenStore.location`).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from fieldkit.core.errors import StorageError
from fieldkit.core.home import HomePaths

if TYPE_CHECKING:
    import keyring.backend

log = logging.getLogger(__name__)

SERVICE = "fieldkit-hub"
TOKEN_FILE = "hub-token.json"


def usable_keyring(backend: keyring.backend.KeyringBackend) -> bool:
    """False for keyring's placeholders that cannot keep a secret."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


class TokenStore:
    """Saves and loads one token per hub URL."""

    def __init__(
        self, home: HomePaths, backend: keyring.backend.KeyringBackend | None = None
    ) -> None:
        self._file = home.root / TOKEN_FILE
        self._chosen = backend

    @property
    def file(self) -> Path:
        return self._file

    @property
    def _backend(self) -> keyring.backend.KeyringBackend:
        """Chosen at the first save or load: the app builds its token store at start-up, and
        importing keyring and picking its backend costs ~0.2 s of CPU."""
        if self._chosen is None:
            import keyring

            self._chosen = keyring.get_keyring()
        return self._chosen

    def save(self, hub_url: str, token: str) -> str:
        """Store the token; returns where it went, in words for the user."""
        import keyring.errors

        if usable_keyring(self._backend):
            try:
                self._backend.set_password(SERVICE, hub_url, token)
            except keyring.errors.KeyringError as exc:
                log.warning("the system keyring refused the token (%s); using a file", exc)
            else:
                self._forget_in_file(hub_url)
                return f"the system keyring ({type(self._backend).__name__})"
        tokens = self._read_file()
        tokens[hub_url] = token
        self._write_file(tokens)
        return f"{self._file} (no system keyring here; the file is readable only by you)"

    def load(self, hub_url: str) -> str | None:
        import keyring.errors

        if usable_keyring(self._backend):
            try:
                token = self._backend.get_password(SERVICE, hub_url)
            except keyring.errors.KeyringError as exc:
                log.warning("the system keyring could not be read (%s)", exc)
            else:
                if token is not None:
                    return token
        return self._read_file().get(hub_url)

    def _forget_in_file(self, hub_url: str) -> None:
        tokens = self._read_file()
        if tokens.pop(hub_url, None) is not None:
            self._write_file(tokens)

    def _read_file(self) -> dict[str, str]:
        try:
            info = self._file.stat()
            raw = self._file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StorageError(f"Cannot read the saved hub token in {self._file}: {exc}") from exc
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("%s was readable by others; making it private again", self._file)
            self._file.chmod(0o600)
        try:
            data = json.loads(raw)
        except ValueError:
            log.warning("%s is damaged; the hub token must be entered again", self._file)
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def _write_file(self, tokens: dict[str, str]) -> None:
        temp = self._file.with_name(self._file.name + ".tmp")
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(tokens, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, 0o600)
            os.replace(temp, self._file)
        except OSError as exc:
            raise StorageError(f"Cannot save the hub token in {self._file}: {exc}") from exc
