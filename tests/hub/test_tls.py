"""The hub serves HTTPS with uvicorn's certificate options, and a client syncs over it."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
from keyring.backends import fail

from fieldkit.cli import main
from fieldkit.core.client import open_client
from fieldkit.core.credentials import TokenStore
from fieldkit.core.errors import FieldkitError
from fieldkit.core.home import HomePaths
from fieldkit.core.source import HubSource, SourceUnreachable
from fieldkit.core.sync import Syncer, connect_hub, open_source
from fieldkit.hub import Hub, HubServer
from tls_support import make_cert


def test_the_hub_serves_https_and_a_client_syncs_over_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "approved"
    root.mkdir()
    (root / "Pricing.txt").write_text("Enterprise pricing\n", encoding="utf-8")
    files = make_cert(tmp_path / "tls")
    hub = Hub.open(root, str(tmp_path / "hub.sqlite3"))
    token = hub.reps.add("alice")
    with HubServer(hub, ssl_certfile=files.cert, ssl_keyfile=files.key) as server:
        assert server.url.startswith("https://127.0.0.1:")
        trusting = ssl.create_default_context(cafile=str(files.cert))
        with httpx.Client(verify=trusting) as http:
            health = http.get(server.url + "/api/v1/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
        with httpx.Client(verify=trusting) as http, pytest.raises(httpx.TransportError):
            http.get(server.url.replace("https://", "http://") + "/api/v1/health")

        # The hub client verifies the certificate: one nobody vouched for is refused.
        with HubSource(server.url, token) as untrusting, pytest.raises(SourceUnreachable):
            untrusting.health()

        # A company CA reaches fieldkit the documented way: SSL_CERT_FILE.
        monkeypatch.setenv("SSL_CERT_FILE", str(files.cert))
        home = HomePaths(tmp_path / "home")
        with open_client(home) as client:
            tokens = TokenStore(home, fail.Keyring())
            connection = connect_hub(client.sessions, tokens, server.url, token)
            assert connection.documents == 1
            source = open_source(client.sessions, tokens)
            try:
                result = Syncer(home, client.sessions, source).run()
            finally:
                source.close()
            assert result.downloaded == 1 and not result.offline
        assert (home.mirror_dir / "Pricing.txt").read_text(encoding="utf-8") == (
            "Enterprise pricing\n"
        )


def test_a_bad_certificate_is_a_clear_error_before_serving(tmp_path: Path) -> None:
    root = tmp_path / "approved"
    root.mkdir()
    good = make_cert(tmp_path / "a", name="a")
    other = make_cert(tmp_path / "b", name="b")
    hub = Hub.open(root, str(tmp_path / "hub.sqlite3"))
    try:
        with pytest.raises(FieldkitError, match="can't use the TLS certificate"):
            HubServer(hub, ssl_certfile=good.cert, ssl_keyfile=other.key)
        with pytest.raises(FieldkitError, match="fieldkit hub check"):
            HubServer(hub, ssl_certfile=tmp_path / "missing.crt", ssl_keyfile=good.key)
    finally:
        hub.close()


def test_hub_serve_refuses_an_unreadable_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "approved"
    root.mkdir()
    code = main(
        [
            "hub", "serve", "--root", str(root), "--db", str(tmp_path / "hub.sqlite3"),
            "--port", "0", "--ssl-certfile", str(tmp_path / "nope.crt"),
            "--ssl-keyfile", str(tmp_path / "nope.key"),
        ]
    )
    assert code == 1
    assert "can't use the TLS certificate" in capsys.readouterr().err
