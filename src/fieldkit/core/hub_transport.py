"""The hub client's HTTP transport: httpx's API over urllib3's connection pool.

A sync receives hundreds of megabytes. httpx's own transport parses responses with h11, which
copies every received byte three times in its receive buffer (and httpcore once more), all
while holding the interpreter lock that the other download threads and the installing thread
are waiting for. urllib3 reads a body with the standard library's ``http.client``: one
``recv`` into the bytes handed on, the lock released while it waits. Receiving a 500 MB tree
took 1.0 s of client CPU through httpx's transport and 0.66 s through this one
(benchmarks/README.md, "Sync"). httpx stays the client's API (headers, timeouts, JSON,
decoding a compressed manifest); only the transport, a public extension point, is urllib3's.

httpx applies the environment's proxies only to clients without a transport of their own, so a
hub reached through a proxy keeps httpx's transport (``hub_transport``).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import urllib3
from urllib3 import exceptions as u3

READ_SIZE = 256 * 1024

# urllib3's errors and the httpx errors callers handle, most specific first
# (NewConnectionError is a ConnectTimeoutError to urllib3).
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (u3.NewConnectionError, httpx.ConnectError),
    (u3.ConnectTimeoutError, httpx.ConnectTimeout),
    (u3.ReadTimeoutError, httpx.ReadTimeout),
    (u3.EmptyPoolError, httpx.PoolTimeout),
    (u3.SSLError, httpx.ConnectError),
    (u3.ProxyError, httpx.ProxyError),
    (u3.LocationParseError, httpx.UnsupportedProtocol),
    (u3.ProtocolError, httpx.RemoteProtocolError),
    (u3.HTTPError, httpx.NetworkError),
    (OSError, httpx.NetworkError),
)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for theirs, ours in _ERRORS:
            if isinstance(exc, theirs):
                raise ours(str(exc)) from exc
        raise


class _Body(httpx.SyncByteStream):
    """A response body in the pieces ``http.client`` reads (up to ``READ_SIZE``). A body
    read to its end gives its connection back to the pool; one closed early closes it (the
    rest of an answer cut short is not worth reading)."""

    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            while chunk := self._response.read(READ_SIZE, decode_content=False):
                yield chunk

    def close(self) -> None:
        if not self._response.closed:
            self._response.close()  # and its connection: it is mid-answer
        self._response.release_conn()


class HubTransport(httpx.BaseTransport):
    """Keep-alive HTTP/1.1 connections to the hub (``limits`` as for ``httpx.Client``; a
    request waits for a free connection); TLS verified with httpx's defaults (certifi, or
    ``SSL_CERT_FILE``) when ``secure``."""

    def __init__(self, *, limits: httpx.Limits, secure: bool) -> None:
        self._pools = urllib3.PoolManager(
            num_pools=1,  # one hub
            # At most max_connections at once, a request waiting for a free one, as in httpx;
            # without that limit, connections beyond the kept-alive ones open and then close.
            maxsize=limits.max_connections or limits.max_keepalive_connections or 1,
            block=limits.max_connections is not None,
            # Loading the CA bundle costs tens of ms per sync; a plain-http hub never uses it.
            ssl_context=httpx.create_ssl_context() if secure else None,
            # httpx decides about redirects; a failed request is the caller's to retry.
            retries=False,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        headers = urllib3.HTTPHeaderDict()
        for name, value in request.headers.multi_items():
            headers.add(name, value)
        with _httpx_errors():
            response = self._pools.urlopen(
                request.method,
                str(request.url),
                body=request.read() or None,
                headers=headers,
                # The read timeout bounds every socket operation after the connect, writes too.
                timeout=urllib3.Timeout(
                    connect=timeout.get("connect"), read=timeout.get("read")
                ),
                pool_timeout=timeout.get("pool"),
                preload_content=False,
                decode_content=False,
                redirect=False,
            )
        return httpx.Response(
            status_code=response.status,
            headers=list(response.headers.iteritems()),
            stream=_Body(response),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode(),
            },
        )

    def close(self) -> None:
        self._pools.clear()


def hub_transport(url: str, *, limits: httpx.Limits) -> HubTransport | None:
    """The transport for a client of the hub at ``url``: ``HubTransport``, or None (httpx's
    own, which applies them) when the environment names a proxy for that address."""
    parsed = httpx.URL(url)
    proxy = urllib.request.getproxies().get(parsed.scheme)
    if proxy and not urllib.request.proxy_bypass(parsed.host):
        return None
    return HubTransport(limits=limits, secure=parsed.scheme == "https")
