"""Serving the hub with uvicorn: in a background thread (tests, the demo) or blocking (the CLI).

The listening socket is bound before uvicorn starts, so ``port=0`` gets a free port and
:attr:`HubServer.url` is known at once. With a certificate and key it serves HTTPS.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import ssl
import threading
from pathlib import Path

import uvicorn

from fieldkit.core.errors import FieldkitError
from fieldkit.hub.api import create_app
from fieldkit.hub.service import Hub

log = logging.getLogger(__name__)

_GRACEFUL_SHUTDOWN_SECONDS = 5


class HubServer:
    """Serves ``hub`` over HTTP; owns the hub's lifecycle (``start`` scans, ``stop`` closes).

    In-process use::

        hub = Hub.open(root, db_url)
        token = hub.reps.add("alice")
        with HubServer(hub) as server:      # free port on 127.0.0.1
            httpx.get(server.url + "/api/v1/health")
    """

    def __init__(
        self,
        hub: Hub,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_log: bool = False,
        ssl_certfile: Path | None = None,
        ssl_keyfile: Path | None = None,
    ) -> None:
        self.hub = hub
        if ssl_certfile is not None:
            _check_tls(ssl_certfile, ssl_keyfile)
        self._socket = _bind(host, port)
        bound_host, bound_port = self._socket.getsockname()[:2]
        shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        scheme = "https" if ssl_certfile is not None else "http"
        self.url = f"{scheme}://{shown_host}:{bound_port}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                create_app(hub),
                lifespan="off",
                log_config=None,
                access_log=access_log,
                timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
                ssl_certfile=ssl_certfile,
                ssl_keyfile=ssl_keyfile,
            )
        )
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._failure: BaseException | None = None

    def serve(self) -> None:
        """Scan, watch and serve until SIGINT or SIGTERM, then close the hub and return.

        Call from the main thread. uvicorn re-raises the signal that stopped it once it has
        shut down; both signals then arrive here as KeyboardInterrupt and end quietly.
        """
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            self.hub.start()
            self._announce()
            self._server.run(sockets=[self._socket])
        except KeyboardInterrupt:
            log.info("fieldkit hub stopped")
        finally:
            signal.signal(signal.SIGTERM, previous)
            self._socket.close()
            self.hub.close()

    def start(self) -> HubServer:
        """Scan, start watching, and serve from a background thread; returns once listening."""
        try:
            self.hub.start()
        except BaseException:
            self._socket.close()
            self.hub.close()
            raise
        self._thread = threading.Thread(target=self._run, name="hub-server", daemon=True)
        self._thread.start()
        while not self._server.started:
            self._thread.join(timeout=0.01)
            if not self._thread.is_alive():
                self.stop()
                raise FieldkitError(f"The hub could not start serving: {self._failure}")
        self._announce()
        return self

    def stop(self, *, abort: bool = False) -> None:
        """Stop serving and close the hub. ``abort`` drops open connections at once, as a
        crashed hub would; otherwise they get a few seconds to finish."""
        thread = self._thread
        if thread is not None:
            self._server.should_exit = True
            if abort and self._loop is not None:
                self._server.force_exit = True
                self._loop.call_soon_threadsafe(self._abort_connections)
            thread.join()
            self._thread = None
        self._socket.close()
        self.hub.close()

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start(); the thread must not die silently
            self._failure = exc
            log.exception("the hub server stopped with an error")

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._server.serve(sockets=[self._socket])

    def _abort_connections(self) -> None:
        for connection in list(self._server.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()

    def _announce(self) -> None:
        log.info("fieldkit hub serving %s on %s", self.hub.root, self.url)


def _check_tls(certfile: Path, keyfile: Path | None) -> None:
    """Load the certificate and key now, so a bad one is a clear message, not a traceback."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise FieldkitError(
            f"The hub can't use the TLS certificate {certfile}"
            + (f" and key {keyfile}" if keyfile is not None else "")
            + f" ({exc}). Check them with: fieldkit hub check --ssl-certfile FILE "
            "--ssl-keyfile FILE"
        ) from exc


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # An explicit IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only
    # when the listening socket says TCP, and without it every response waits ~40 ms for a
    # delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((host, port))
        sock.listen(2048)
        return sock
    except OSError as exc:
        sock.close()
        raise FieldkitError(
            f"The hub cannot listen on {host}:{port} ({exc.strerror}). "
            "Is another hub running? Choose another port with --port."
        ) from exc
