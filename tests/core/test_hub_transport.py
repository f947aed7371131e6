"""The hub client's transport: httpx over urllib3; bodies in wide pieces, kept-alive
connections, httpx's errors."""

from __future__ import annotations

import os
import socket
from typing import Any

import httpx
import pytest
from sync_support import AsgiServer

from fieldkit.core.hub_transport import READ_SIZE, HubTransport, hub_transport
from fieldkit.core.source import HubSource, SourceUnreachable

BODY = os.urandom(3 * 1024 * 1024 + 17)
LIMITS = httpx.Limits(max_connections=2, max_keepalive_connections=2)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``/whole`` sends BODY in one piece; ``/cut`` promises BODY but stops a third of the way;
    ``/port`` answers the client's port (which connection the request came on)."""
    assert scope["type"] == "http"
    if scope["path"] == "/port":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(scope["client"][1]).encode()})
        return
    length = str(len(BODY)).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", length)]})
    if scope["path"] == "/whole":
        await send({"type": "http.response.body", "body": BODY})
    else:
        await send({"type": "http.response.body", "body": BODY[: len(BODY) // 3],
                    "more_body": True})
        raise ConnectionAbortedError("the hub went away mid-answer")


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, transport=HubTransport(limits=LIMITS, secure=False))


def test_a_body_arrives_whole_in_pieces_of_up_to_read_size() -> None:
    with AsgiServer(app) as server, client(server.url) as http:
        for _ in range(2):  # the second on the kept-alive connection
            with http.stream("GET", "/whole") as response:
                pieces = list(response.iter_raw())
            assert response.status_code == 200
            assert b"".join(pieces) == BODY
            assert max(map(len, pieces)) > 64 * 1024
            assert max(map(len, pieces)) <= READ_SIZE


def test_a_connection_is_kept_alive_after_a_whole_body_and_closed_after_an_unread_one() -> None:
    with AsgiServer(app) as server, client(server.url) as http:
        first = http.get("/port").text
        with http.stream("GET", "/whole") as response:
            assert b"".join(response.iter_raw()) == BODY
        assert http.get("/port").text == first
        with http.stream("GET", "/whole") as response:
            next(response.iter_raw())  # a pause: the rest of this answer is never read
        after = http.get("/port").text
        assert after != first
        assert http.get("/whole").content == BODY
        assert http.get("/port").text == after


def test_a_body_cut_off_is_an_httpx_transport_error() -> None:
    with AsgiServer(app) as server, client(server.url) as http:
        with http.stream("GET", "/cut") as response, pytest.raises(httpx.RemoteProtocolError):
            for _ in response.iter_raw():
                pass
        # The pool goes on with a new connection.
        assert http.get("/whole").content == BODY


def test_no_hub_listening_is_a_connect_error_and_offline_for_the_sync() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
        with client(url) as http, pytest.raises(httpx.ConnectError):
            http.get("/whole")
        with HubSource(url, "token") as source, pytest.raises(SourceUnreachable) as caught:
            source.health()
    assert "no connection" in str(caught.value)


def test_a_hub_behind_a_proxy_keeps_httpxs_transport_and_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        for variant in (name, name.lower()):
            monkeypatch.delenv(variant, raising=False)
    assert isinstance(hub_transport("http://hub.example:8765", limits=LIMITS), HubTransport)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    assert hub_transport("http://hub.example:8765", limits=LIMITS) is None
    assert isinstance(hub_transport("https://hub.example:8765", limits=LIMITS), HubTransport)
    monkeypatch.setenv("NO_PROXY", "hub.example")
    assert isinstance(hub_transport("http://hub.example:8765", limits=LIMITS), HubTransport)
    monkeypatch.delenv("NO_PROXY")

    async def proxy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A forward proxy's side of it: answers as the hub it was asked for."""
        seen.append((scope["method"], dict(scope["headers"]).get(b"host")))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"status": "ok"}'})

    seen: list[tuple[str, bytes | None]] = []
    with AsgiServer(proxy) as server:
        monkeypatch.setenv("HTTP_PROXY", server.url)
        with HubSource("http://hub.example:8765", "token") as source:
            assert source.health() == {"status": "ok"}  # hub.example itself does not exist
    assert seen == [("GET", b"hub.example:8765")]
