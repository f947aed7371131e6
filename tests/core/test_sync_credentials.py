"""The hub token: in a keyring when one works, else in a file only the user can read."""

from __future__ import annotations

import os
import stat

import keyring.backend
import keyring.errors
import pytest
from keyring.backends import chainer, fail, null

from fieldkit.core.credentials import TokenStore, usable_keyring
from fieldkit.core.home import HomePaths

URL = "https://hub.example:8765"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A working keyring that keeps secrets in memory (a third-party interface, not ours).

    A negative priority keeps keyring from choosing it on its own (subclasses register
    themselves), and keeps it out of the chainer's list.
    """

    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    """A keyring that exists but refuses to store (a locked Secret Service)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("the collection is locked")


def test_placeholder_backends_are_not_usable() -> None:
    assert not usable_keyring(fail.Keyring())
    assert not usable_keyring(null.Keyring())
    assert not usable_keyring(chainer.ChainerBackend())  # no usable backend on this machine
    assert usable_keyring(MemoryKeyring())


def test_without_a_keyring_the_token_goes_to_a_private_file(home: HomePaths) -> None:
    store = TokenStore(home, fail.Keyring())
    where = store.save(URL, "secret-1")
    assert str(store.file) in where and "no system keyring" in where
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
    assert TokenStore(home, fail.Keyring()).load(URL) == "secret-1"
    assert TokenStore(home, fail.Keyring()).load("https://other:1") is None


def test_a_working_keyring_keeps_the_token_and_the_file_is_not_used(home: HomePaths) -> None:
    backend = MemoryKeyring()
    TokenStore(home, fail.Keyring()).save(URL, "old-in-file")
    where = TokenStore(home, backend).save(URL, "secret-2")
    assert "keyring" in where
    assert backend.secrets == {("fieldkit-hub", URL): "secret-2"}
    assert "old-in-file" not in TokenStore(home, fail.Keyring()).file.read_text()
    assert TokenStore(home, backend).load(URL) == "secret-2"


def test_a_locked_keyring_falls_back_to_the_file(
    home: HomePaths, caplog: pytest.LogCaptureFixture
) -> None:
    store = TokenStore(home, LockedKeyring())
    where = store.save(URL, "secret-3")
    assert str(store.file) in where
    assert "refused the token" in caplog.text
    assert store.load(URL) == "secret-3"


def test_a_token_file_opened_up_by_someone_is_made_private_again(home: HomePaths) -> None:
    store = TokenStore(home, fail.Keyring())
    store.save(URL, "secret-4")
    os.chmod(store.file, 0o644)
    assert store.load(URL) == "secret-4"
    assert stat.S_IMODE(store.file.stat().st_mode) == 0o600
