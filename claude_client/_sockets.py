"""httpcore2 network backends whose every socket operation ends by the call's deadline.

:func:`install_backend` puts a :class:`DeadlineBackend` (or its async twin) under
the connection pool of an httpx2 transport that a retry transport wraps. Each
connect, read and write is then given at most what remains of the deadline of the
call being sent (:data:`DEADLINE`, set by the transport for the call's duration),
so a server trickling headers or a body byte by byte cannot stretch a call past its
``timeout``. The same hook makes connections opened before ``os.fork()`` unusable
in the child (it opens its own) and lets ``RetryTransport.close()`` wake a call
blocked on a socket in another thread (:meth:`DeadlineBackend.shutdown_all`).

Only I/O adapters live here; the retry transports and their decisions are in
:mod:`claude_client._transport`.
"""

from __future__ import annotations

import contextvars
import os
import socket
import weakref
from contextlib import suppress
from typing import Any, Optional

from ._retry import Deadline

__all__ = ["DEADLINE", "AsyncDeadlineBackend", "DeadlineBackend", "install_backend"]

DEADLINE: contextvars.ContextVar[Optional[Deadline]] = contextvars.ContextVar(
    "claude_client_socket_deadline", default=None
)
"""The deadline of the call whose requests this thread / task is sending (see
:class:`DeadlineBackend`); ``None`` outside a call."""


def _clamp(timeout: Optional[float], error: str) -> Optional[float]:
    """``timeout`` lowered to what remains of the current call's deadline.

    ``error`` names the httpcore2 timeout raised when nothing remains (imported only
    then: this runs on every socket read and write).
    """
    deadline = DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline.remaining()
    if left <= 0:
        import httpcore2

        raise getattr(httpcore2, error)("the call's deadline passed")
    return left if timeout is None or left < timeout else timeout


class _DeadlineStream:
    """An httpcore2 network stream whose every read / write ends by the call's deadline.

    It also remembers the process that opened it: after ``os.fork()`` the child sees
    it as closed by the server (``is_readable``), so httpcore2 drops the inherited
    connection, never shares it with the parent, and opens its own.
    """

    __slots__ = ("__weakref__", "_pid", "_registry", "_stream")

    def __init__(self, stream: Any, registry: weakref.WeakSet[Any]) -> None:
        self._stream = stream
        self._pid = os.getpid()
        self._registry = registry
        registry.add(self)

    @property
    def forked(self) -> bool:
        return self._pid != os.getpid()

    def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        data: bytes = self._stream.read(max_bytes, _clamp(timeout, "ReadTimeout"))
        return data

    def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        self._stream.write(buffer, _clamp(timeout, "WriteTimeout"))

    def close(self) -> None:
        self._registry.discard(self)
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> _DeadlineStream:
        tls = self._stream.start_tls(
            ssl_context, server_hostname, _clamp(timeout, "ConnectTimeout")
        )
        self._registry.discard(self)
        return _DeadlineStream(tls, self._registry)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self.forked:
            return True  # "the server closed it": the pool drops it and connects anew
        return self._stream.get_extra_info(info)

    def shutdown(self) -> None:
        """Wake a read blocked on this socket in another thread (``close()`` does not)."""
        sock = self._stream.get_extra_info("socket")
        if sock is not None and not self.forked:
            with suppress(OSError):  # already shut or closed
                sock.shutdown(socket.SHUT_RDWR)


class _AsyncDeadlineStream:
    """Async twin of :class:`_DeadlineStream`."""

    __slots__ = ("__weakref__", "_pid", "_stream")

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._pid = os.getpid()

    async def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        data: bytes = await self._stream.read(max_bytes, _clamp(timeout, "ReadTimeout"))
        return data

    async def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        await self._stream.write(buffer, _clamp(timeout, "WriteTimeout"))

    async def aclose(self) -> None:
        if self._pid != os.getpid():
            return  # the parent's event loop owns it; the child must not touch it
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> _AsyncDeadlineStream:
        tls = await self._stream.start_tls(
            ssl_context, server_hostname, _clamp(timeout, "ConnectTimeout")
        )
        return _AsyncDeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._pid != os.getpid():
            return True
        return self._stream.get_extra_info(info)


class DeadlineBackend:
    """httpcore2 network backend wrapping another: its streams are :class:`_DeadlineStream`."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.streams: weakref.WeakSet[_DeadlineStream] = weakref.WeakSet()

    def connect_tcp(
        self, host: str, port: int, timeout: Optional[float] = None, **options: Any
    ) -> _DeadlineStream:
        stream = self._backend.connect_tcp(host, port, _clamp(timeout, "ConnectTimeout"), **options)
        return _DeadlineStream(stream, self.streams)

    def connect_unix_socket(
        self, path: str, timeout: Optional[float] = None, **options: Any
    ) -> _DeadlineStream:
        stream = self._backend.connect_unix_socket(
            path, _clamp(timeout, "ConnectTimeout"), **options
        )
        return _DeadlineStream(stream, self.streams)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)

    def shutdown_all(self) -> None:
        for stream in list(self.streams):
            stream.shutdown()


class AsyncDeadlineBackend:
    """Async twin of :class:`DeadlineBackend`."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    async def connect_tcp(
        self, host: str, port: int, timeout: Optional[float] = None, **options: Any
    ) -> _AsyncDeadlineStream:
        clamped = _clamp(timeout, "ConnectTimeout")
        return _AsyncDeadlineStream(await self._backend.connect_tcp(host, port, clamped, **options))

    async def connect_unix_socket(
        self, path: str, timeout: Optional[float] = None, **options: Any
    ) -> _AsyncDeadlineStream:
        clamped = _clamp(timeout, "ConnectTimeout")
        return _AsyncDeadlineStream(
            await self._backend.connect_unix_socket(path, clamped, **options)
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def install_backend(transport: object, backend_cls: type[Any]) -> Any:
    """Put a deadline backend under an httpx2 transport's connection pool, if it has one.

    Works for ``httpx2.HTTPTransport`` / ``AsyncHTTPTransport`` (and their proxy
    pools); other transports keep their I/O and get the deadline checked between
    body chunks only. Returns the installed backend or ``None``.
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is None:
        return None
    if not isinstance(backend, backend_cls):
        backend = backend_cls(backend)
        pool._network_backend = backend  # type: ignore[union-attr]
    return backend
