"""An HTTP/1.1 transport for httpx on the standard library's ``http.client``.

A sync makes one request per file. httpx's own transport (httpcore and h11, both pure Python)
cost about 1.5 ms of CPU per small download and 2.5 ms per MB received on the 2-core machines
measured; this one about 1.0 ms and 1.1 ms (see "Sync" in benchmarks/README.md). It sits under an
ordinary ``httpx.Client``, so the client's API, event hooks, timeouts and exceptions stay as they
are: connection failures raise ``httpx.ConnectError``/``ConnectTimeout``, a stalled answer
``httpx.ReadTimeout``, a connection that breaks off ``httpx.ReadError``/``RemoteProtocolError``.

Keep-alive connections are reused. One the server closed while it sat idle is noticed before use
(it reads as ready with nothing to say), and a GET whose reused connection fails before any of
the answer arrived is sent once more on a new connection, as browsers do.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from collections.abc import Iterator

import httpx

READ_SIZE = 1 << 20
_RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_Origin = tuple[str, str, int]


class StdlibTransport(httpx.BaseTransport):
    """Keeps up to ``max_idle`` idle connections per origin. ``ssl_context`` is used for https
    (build it with ``httpx.create_ssl_context()`` to trust what httpx would)."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, max_idle: int = 8) -> None:
        self._ssl_context = ssl_context
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: dict[_Origin, list[http.client.HTTPConnection]] = {}
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        origin = _origin(request.url)
        timeouts = request.extensions.get("timeout", {})
        body = request.read()
        reused = self._take_idle(origin)
        if reused is not None:
            try:
                response = _send(reused, request, body, timeouts)
            except (ConnectionError, http.client.BadStatusLine) as exc:
                # The server dropped the kept-alive connection before answering.
                reused.close()
                if request.method not in _RETRYABLE_METHODS:
                    raise _transport_error(exc, request) from exc
            except BaseException:
                reused.close()
                raise
            else:
                return self._response(origin, reused, response)
        connection = self._connect(origin, request, timeouts)
        try:
            response = _send(connection, request, body, timeouts)
        except (ConnectionError, http.client.BadStatusLine) as exc:
            connection.close()
            raise _transport_error(exc, request) from exc
        except BaseException:
            connection.close()
            raise
        return self._response(origin, connection, response)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _response(
        self, origin: _Origin, connection: http.client.HTTPConnection, response: _Answer
    ) -> httpx.Response:
        raw, request = response
        return httpx.Response(
            raw.status,
            headers=raw.getheaders(),
            stream=_Body(self, origin, connection, raw, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": raw.reason.encode()},
        )

    def _connect(
        self, origin: _Origin, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> http.client.HTTPConnection:
        scheme, host, port = origin
        connection: http.client.HTTPConnection
        if scheme == "https":
            context = self._ssl_context or httpx.create_ssl_context()
            connection = http.client.HTTPSConnection(
                host, port, timeout=timeouts.get("connect"), context=context
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeouts.get("connect"))
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
        except OSError as exc:  # refused, unreachable, name not found, TLS refused
            connection.close()
            raise httpx.ConnectError(str(exc), request=request) from exc
        return connection

    def _take_idle(self, origin: _Origin) -> http.client.HTTPConnection | None:
        while True:
            with self._lock:
                connections = self._idle.get(origin)
                if not connections:
                    return None
                connection = connections.pop()
            if _still_open(connection):
                return connection
            connection.close()

    def _give_back(self, origin: _Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            connections = self._idle.setdefault(origin, [])
            if not self._closed and len(connections) < self._max_idle:
                connections.append(connection)
                return
        connection.close()


_Answer = tuple[http.client.HTTPResponse, httpx.Request]


class _Body(httpx.SyncByteStream):
    """The answer's bytes as they arrive; the connection goes back to the pool once they have
    all been read, and is closed if the reader stops early."""

    def __init__(
        self,
        transport: StdlibTransport,
        origin: _Origin,
        connection: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        request: httpx.Request,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._connection = connection
        self._response: http.client.HTTPResponse | None = response
        self._request = request
        self._complete = False

    def __iter__(self) -> Iterator[bytes]:
        response = self._response
        if response is None:
            return
        while True:
            if response.length == 0:  # all that Content-Length promised has arrived
                response.close()  # the response, not the connection
                self._complete = True
                return
            try:
                chunk = response.read1(READ_SIZE)
            except TimeoutError as exc:
                raise httpx.ReadTimeout(str(exc) or "timed out", request=self._request) from exc
            except (OSError, http.client.HTTPException) as exc:
                raise _transport_error(exc, self._request) from exc
            if not chunk:
                if response.length:
                    raise httpx.RemoteProtocolError(
                        "the server closed the connection before the whole answer arrived",
                        request=self._request,
                    )
                # The end of a chunked answer (http.client has closed the response) or of
                # one that ends with the connection.
                self._complete = response.isclosed()
                return
            yield chunk

    def close(self) -> None:
        response, self._response = self._response, None
        if response is None:
            return
        if self._complete and not response.will_close:
            self._transport._give_back(self._origin, self._connection)
        else:
            response.close()
            self._connection.close()


def _send(
    connection: http.client.HTTPConnection,
    request: httpx.Request,
    body: bytes,
    timeouts: dict[str, float | None],
) -> _Answer:
    sock = connection.sock
    if sock is not None:
        sock.settimeout(timeouts.get("read"))
    target = request.url.raw_path.decode("ascii")
    try:
        connection.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers.raw:
            connection.putheader(name, value)
        connection.endheaders(body or None)
        return connection.getresponse(), request
    except TimeoutError as exc:
        raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
    except (ConnectionError, http.client.BadStatusLine):
        raise  # the caller decides: a dropped kept-alive connection is retried
    except (OSError, http.client.HTTPException) as exc:
        raise _transport_error(exc, request) from exc


def _transport_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    if isinstance(exc, http.client.HTTPException):
        return httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request)
    return httpx.ReadError(str(exc) or type(exc).__name__, request=request)


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle keep-alive connection has nothing to read; if it reads as ready, the server
    closed it (or sent something unasked): either way it cannot carry a request."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _origin(url: httpx.URL) -> _Origin:
    port = url.port or (443 if url.scheme == "https" else 80)
    return url.scheme, url.host, port
