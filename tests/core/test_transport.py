"""The http.client transport under httpx, against real servers on 127.0.0.1."""

from __future__ import annotations

import gzip
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from fieldkit.core.transport import StdlibTransport

BODY = bytes(range(256)) * 8192  # 2 MiB: several reads


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        if self.path == "/big":
            self._send(200, BODY)
        elif self.path == "/json.gz":
            self._send(200, gzip.compress(b'{"ok": true}'), {"Content-Encoding": "gzip"})
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"one ", b"two ", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/cut":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY[:1000])
            self.close_connection = True
        elif self.path == "/then-close":  # as an idle timeout would, without saying so
            self._send(200, b"bye")
            self.close_connection = True
        else:
            self._send(404, b"")

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self._send(200, self.rfile.read(length)[::-1])

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0

    def process_request(self, request: object, client_address: object) -> None:
        self.connections += 1
        super().process_request(request, client_address)  # type: ignore[arg-type]


@pytest.fixture
def server() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def client(server: _Server) -> Iterator[httpx.Client]:
    host, port = server.server_address[:2]
    with httpx.Client(
        base_url=f"http://{host!s}:{port}", transport=StdlibTransport(), timeout=5.0
    ) as client:
        yield client


def test_answers_stream_whole_and_the_connection_is_kept_alive(
    server: _Server, client: httpx.Client
) -> None:
    for _ in range(5):
        with client.stream("GET", "/big") as response:
            assert response.status_code == 200
            assert b"".join(response.iter_raw()) == BODY
    assert client.get("/nothing").status_code == 404
    assert client.post("/", content=b"abc").content == b"cba"
    assert server.connections == 1


def test_chunked_and_compressed_answers(client: httpx.Client) -> None:
    assert client.get("/chunked").content == b"one two three"
    assert client.get("/json.gz").json() == {"ok": True}
    assert client.get("/chunked").content == b"one two three"  # the connection still works


def test_a_connection_the_server_closed_is_replaced(
    server: _Server, client: httpx.Client
) -> None:
    assert client.get("/then-close").content == b"bye"
    assert client.get("/big").content == BODY
    assert server.connections == 2


def test_an_answer_cut_short_is_a_transport_error(client: httpx.Client) -> None:
    with client.stream("GET", "/cut") as response, pytest.raises(httpx.RemoteProtocolError):
        for _chunk in response.iter_raw():
            pass
    assert client.get("/big").content == BODY  # a new connection takes over


def test_an_answer_left_unread_does_not_poison_the_pool(
    server: _Server, client: httpx.Client
) -> None:
    with client.stream("GET", "/big") as response:
        next(response.iter_raw())
    assert client.get("/big").content == BODY
    assert server.connections == 2


def test_no_server_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with httpx.Client(transport=StdlibTransport()) as client, pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{port}/")


def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with httpx.Client(transport=StdlibTransport(), timeout=0.3) as client:
            with pytest.raises(httpx.ReadTimeout):
                client.get(f"http://127.0.0.1:{port}/")
            accepted, _ = silent.accept()
            accepted.close()


def test_event_hooks_still_see_every_request(client: httpx.Client) -> None:
    seen: list[str] = []
    client.event_hooks = {"request": [lambda request: seen.append(request.url.path)]}
    client.get("/big")
    client.get("/chunked")
    assert seen == ["/big", "/chunked"]
