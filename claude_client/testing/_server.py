"""Running the fake: ``serve()`` (uvicorn on 127.0.0.1 in a background thread)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional

import uvicorn

from ._accounts import DEFAULT_RPM
from ._app import create_app
from ._pool import DEFAULT_MAX_WORKERS
from ._state import FakeControls

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 5.0


class FakeService(FakeControls):
    """A running fake service: where it listens, its keys, and every control.

    Attributes:
        base_url: ``http://127.0.0.1:<port>``.
        ws_url: ``ws://127.0.0.1:<port>/v1/stream``.
        api_key: a ``pro`` key of project ``"default"``.
        free_key: a ``free`` key of project ``"free-project"``.
        enterprise_key: an ``enterprise`` key of project ``"enterprise-project"``.
        port: the TCP port.
        pool: the worker pool (``set_max_workers``, ``pool_stats()``, ``prompt_runs()``).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rpm: int = DEFAULT_RPM,
        api_key: Optional[str] = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        super().__init__(rpm=rpm, max_workers=max_workers)
        if api_key is not None:
            with self._lock:
                info = self._keys.pop(self.api_key)
                info.key = api_key
                self.api_key = api_key
                self._keys[api_key] = info
        self.host = host
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets whose proto says
        # TCP (accepted ones inherit it). With Nagle on, uvicorn's body (sent after the
        # headers) waits for the client's delayed ACK: ~40 ms a request.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self.port: int = self._sock.getsockname()[1]
        self.base_url = f"http://{host}:{self.port}"
        self.ws_url = f"ws://{host}:{self.port}/v1/stream"
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._shutdown: Optional[asyncio.Event] = None
        self._server: Optional[uvicorn.Server] = None
        self._thread: Optional[threading.Thread] = None
        self._error: Optional[BaseException] = None

    def __repr__(self) -> str:  # never shows a key
        return f"<FakeService {self.base_url}>"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeService:
        """Start serving in a daemon thread; returns once the server accepts requests."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                self._shutdown = asyncio.Event()
                config = uvicorn.Config(
                    create_app(self, self._shutdown),
                    log_level="warning",
                    lifespan="off",
                    ws="websockets-sansio",
                    http="h11",
                    timeout_graceful_shutdown=2,
                    timeout_keep_alive=30,
                    access_log=False,
                )
                self._server = uvicorn.Server(config)
                ready.set()
                loop.run_until_complete(self._server.serve(sockets=[self._sock]))
            except BaseException as exc:  # reported by start()/stop()
                self._error = exc
            finally:
                ready.set()
                with contextlib.suppress(Exception):
                    loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
                self._sock.close()

        self._thread = threading.Thread(target=run, name=f"claude-fake-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(STARTUP_TIMEOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not (self._server is not None and self._server.started):
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the fake service failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the fake service did not start in time")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        """Stop: hanging requests end, open sockets close with 1012 (as the service's
        uvicorn closes them), then uvicorn shuts down; the thread and the listening socket
        are gone."""
        loop, server, thread = self._loop, self._server, self._thread
        if thread is None:
            return
        if loop is not None and server is not None and not loop.is_closed():
            shutdown = self._shutdown

            async def begin_shutdown() -> None:
                if shutdown is not None:
                    shutdown.set()
                self.pool.shutdown()
                # Let sessions send their 1012 close frames before uvicorn's own.
                await asyncio.sleep(0.05)
                server.should_exit = True

            with contextlib.suppress(RuntimeError):
                asyncio.run_coroutine_threadsafe(begin_shutdown(), loop)
        thread.join(SHUTDOWN_TIMEOUT)
        if thread.is_alive() and server is not None:
            server.force_exit = True
            thread.join(SHUTDOWN_TIMEOUT)
        self._thread = None
        self._sock.close()

    def __enter__(self) -> FakeService:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers

    def client_kwargs(self, **overrides: Any) -> dict[str, Any]:
        """``{"base_url": ..., "api_key": ...}`` for ``ClaudeClient(**fake.client_kwargs())``."""
        return {"base_url": self.base_url, "api_key": self.api_key, **overrides}

    def auth_headers(self, key: Optional[str] = None) -> dict[str, str]:
        """``{"Authorization": "Bearer <key>"}`` for raw httpx2 calls."""
        return {"Authorization": f"Bearer {key or self.api_key}"}


@contextlib.contextmanager
def serve(
    *,
    port: int = 0,
    rpm: int = DEFAULT_RPM,
    api_key: Optional[str] = None,
    host: str = "127.0.0.1",
    max_workers: int = DEFAULT_MAX_WORKERS,
) -> Iterator[FakeService]:
    """Run the fake service on ``host:port`` (port 0 = a free port) while the block runs.

    ``rpm`` is the requests-per-minute limit of the built-in keys (the service's default
    is 100; raise it for load tests). ``api_key`` fixes the pro key's value.
    ``max_workers``: the worker pool's size (the service's default 5; queue 10 x that);
    ``reset()`` returns to it, ``set_max_workers`` changes it while running."""
    fake = FakeService(host=host, port=port, rpm=rpm, api_key=api_key, max_workers=max_workers)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def unused_url() -> str:
    """``http://127.0.0.1:<port>`` of a port nothing listens on (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
