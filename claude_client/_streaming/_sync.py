"""Blocking streams over ``websockets.sync`` (one thread per open socket, owned by it).

Who holds what: the stream object holds its generator only while ``next()`` drives
it; a ``for`` loop gets the generator itself and the stream keeps a weak reference,
so leaving the loop early (``break``, an exception) frees the generator at once, and
its ``finally`` closes the socket, for a named stream too. Sockets still open when
the interpreter exits are closed by an ``atexit`` hook, while ``websockets``' threads
can still answer: a close during interpreter finalisation would wait for a thread
that never runs again.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import functools
import math
import sys
import threading
import time
import weakref
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Optional, Self, TypeVar

from .._retry import Deadline
from ._core import (
    ChatAccessors,
    Connector,
    Protocol,
    StreamCore,
    StreamSettings,
    TaskAccessors,
    TaskEvent,
    close_code_of,
    close_wait,
    logger,
    refuse_redirect,
    remaining_or_none,
    start_deadline,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from websockets.sync.client import ClientConnection

T = TypeVar("T")


class _Socket:
    """The connection of one stream; closing it is idempotent and thread-safe.

    Held by the stream object and by its generator, and referencing neither, so
    dropping an abandoned stream frees the generator, whose ``finally`` closes this.
    ``end`` is the call's deadline (``time.monotonic``): closing never waits for the
    service's close frame past it by more than ``CLOSE_GRACE``.
    """

    __slots__ = ("__weakref__", "close_timeout", "closing", "conn", "end", "lock")

    def __init__(self) -> None:
        self.conn: Optional[ClientConnection] = None
        self.closing = False
        self.lock = threading.Lock()
        self.close_timeout = 2.0
        self.end: Optional[float] = None

    def open(self, conn: ClientConnection) -> bool:
        """Adopt ``conn``; ``False`` (and ``conn`` closed) when close() came first."""
        with self.lock:
            closing = self.closing
            self.conn = conn
        if closing:
            self.close()
            return False
        _track(self)
        return True

    def close(self) -> None:
        with self.lock:
            self.closing = True
            conn, self.conn = self.conn, None
        if conn is None:
            return
        with _OPEN_LOCK:
            _OPEN.discard(self)
        try:
            if sys.is_finalizing():
                # websockets' threads are frozen now: a close would wait for them forever.
                conn.socket.close()
                return
            conn.close_timeout = close_wait(self.close_timeout, self.end)
            if _websockets_queues_one_message():
                _close_draining(conn)
            else:
                conn.close()
        except Exception:  # pragma: no cover - close never matters more than the caller's error
            logger.debug("stream: error while closing the socket", exc_info=True)
        logger.debug("stream: socket closed (close code %s)", close_code_of(conn))

    def hurry(self) -> None:
        """The call hit a time limit: close without waiting past ``CLOSE_GRACE``."""
        self.end = time.monotonic()


# Open sockets, closed at interpreter exit (see the module docstring).
_OPEN: weakref.WeakSet[_Socket] = weakref.WeakSet()
_OPEN_LOCK = threading.Lock()
_AT_EXIT_REGISTERED = False


def _track(sock: _Socket) -> None:
    global _AT_EXIT_REGISTERED
    with _OPEN_LOCK:
        _OPEN.add(sock)
        if not _AT_EXIT_REGISTERED:
            atexit.register(_close_all_at_exit)
            _AT_EXIT_REGISTERED = True


def _close_all_at_exit() -> None:
    """Close every stream the program left open, each within ``CLOSE_GRACE``."""
    with _OPEN_LOCK:
        socks = list(_OPEN)
    for sock in socks:
        sock.hurry()
        sock.close()


@functools.cache
def _connection_class() -> type[ClientConnection]:
    """websockets' sync ``ClientConnection``, refusing a redirected upgrade."""
    from websockets.sync.client import ClientConnection

    class NoRedirectClientConnection(ClientConnection):
        def handshake(self, *args: Any, **kwargs: Any) -> None:
            try:
                super().handshake(*args, **kwargs)
            except Exception as exc:
                refuse_redirect(exc)

    return NoRedirectClientConnection


@functools.cache
def _websockets_queues_one_message() -> bool:
    import websockets

    major = str(getattr(websockets, "__version__", "14")).split(".")[0]
    return major.isdigit() and int(major) < 14


def _close_draining(conn: ClientConnection) -> None:
    """``conn.close()`` for websockets 13, whose sync client buffers one message only.

    There the reading thread blocks until the previous message is fetched, so closing
    a stream left early waits for a close frame that thread never reads (until
    ``close_timeout``, leaking the thread). Close from a helper thread and fetch the
    pending messages meanwhile.
    """
    closer = threading.Thread(target=conn.close, name="claude-client-ws-close", daemon=True)
    closer.start()
    while closer.is_alive():
        try:
            conn.recv(timeout=0.05)
        except builtins.TimeoutError:
            continue
        except Exception:  # closed: nothing left to fetch
            break
    closer.join()


def _connect(settings: StreamSettings, deadline: Deadline, protocol: Protocol[Any]) -> Any:
    from websockets.sync.client import connect

    connector = Connector(settings, deadline, protocol)
    while True:
        options = connector.attempt()
        try:
            # Entering the context is how every websockets version from 13 on hands
            # out an open connection without a deprecation warning (17.1 deprecates
            # using `connect()`'s return value directly); we close it ourselves.
            conn = connect(settings.ws_url, create_connection=_connection_class(), **options)
            return conn.__enter__()
        except Exception as exc:
            settings.sleep(connector.failed(exc))


def _run(
    settings: StreamSettings,
    protocol: Protocol[T],
    sock: _Socket,
    before_connect: Optional[Callable[[Deadline], None]] = None,
) -> Generator[T, None, None]:
    from websockets.exceptions import ConnectionClosed

    deadline = start_deadline(settings, protocol, sock)
    idle = protocol.idle_timeout(settings)
    try:
        if before_connect is not None:
            before_connect(deadline)
        if not sock.open(_connect(settings, deadline, protocol)):
            return  # close() ran while we were connecting
        conn = sock.conn
        assert conn is not None
        logger.debug("stream: sending a %s request", protocol.kind)
        try:
            # No local holds the request: an agentic task's carries the key.
            conn.send(protocol.payload(settings.keys))
        except ConnectionClosed as exc:
            error = protocol.closed_early(exc, sock.closing)
            if error is None:
                return
            raise error from None
        # Per frame: one clock read for the wait, no Deadline/min/isinf calls.
        clock = settings.clock
        remaining = deadline.remaining()
        end = None if math.isinf(remaining) else clock() + remaining
        recv, handle = conn.recv, protocol.handle
        wait: Optional[float] = idle
        idle_bound = idle is not None  # which limit the current wait stands for
        while not protocol.finished:
            if end is not None:
                left = end - clock()
                if left <= 0:
                    sock.hurry()
                    raise protocol.deadline_passed(deadline.timeout)
                idle_bound = idle is not None and idle <= left
                wait = idle if idle_bound else left
            try:
                raw = recv(timeout=wait)
            except builtins.TimeoutError:
                sock.hurry()
                raise protocol.timed_out(idle if idle_bound else None, deadline.timeout) from None
            except ConnectionClosed as exc:
                if sock.closing:
                    return
                raise protocol.closed(exc) from None
            items = handle(raw)  # a tuple: the frame is fully read before anything is yielded
            if protocol.finished:
                sock.close()
                logger.debug("stream: %s finished after %d frames", protocol.kind, protocol.frames)
            yield from items
    finally:
        sock.close()


class _Stream(StreamCore[T, Generator[T, None, None]]):
    """An iterator over one request's stream; the socket opens on the first ``next()``.

    Leaving a ``for`` loop over it early closes it (see the module docstring).
    """

    def __init__(self, settings: StreamSettings, protocol: Protocol[T]) -> None:
        super().__init__(settings, protocol)
        self._sock = _Socket()

    def _before_connect(self) -> Optional[Callable[[Deadline], None]]:
        return None

    def _start(self) -> Generator[T, None, None]:
        if self._otel is not None:  # the client's telemetry: a span over the stream
            return self._otel.stream(
                self._settings, self._protocol, self._sock, self._before_connect(), _run
            )
        return _run(self._settings, self._protocol, self._sock, self._before_connect())

    def __iter__(self) -> Iterator[T]:
        gen = self._for_loop()
        return self if gen is None else gen

    def __next__(self) -> T:
        gen = self._driven()
        if gen is None:
            raise StopIteration
        return next(gen)

    def until_done(self) -> Self:
        """Read the stream to its end and return it (``.content``, ``.usage`` ... are set).

        ``s = client.stream("hi").until_done(); print(s.content, s.usage)``. For a
        task stream, ``.result`` is then the final :class:`TaskResult`. Errors raise
        as iterating would; a stream already closed or left returns as it is.
        """
        for _item in self:
            pass
        return self

    def close(self) -> None:
        """Close the socket (idempotent; safe from another thread while iterating)."""
        self._sock.close()
        gen = self._running()
        if gen is not None:
            # running in another thread: it stops on the closed socket
            with contextlib.suppress(ValueError):
                gen.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class ChatStream(ChatAccessors[str], _Stream[str]):
    """The text of a chat answer as it is produced: iterate to get ``str`` chunks.

    ``for chunk in stream: print(chunk, end="")``. After the last chunk,
    :attr:`content`, :attr:`usage`, :attr:`cost` and :attr:`model` hold the
    ``done`` frame's data. Use it as a context manager (or call :meth:`close`) when
    you may stop early; breaking out of a ``for`` over a temporary closes it too.

    ``model="auto"`` is resolved before connecting by ``resolve_model`` (the
    client's ``POST /v1/route`` call), or sent as ``sonnet`` without one: the socket
    has no ``auto``.
    """

    def _before_connect(self) -> Optional[Callable[[Deadline], None]]:
        protocol, resolve = self._protocol, self._resolve_model  # never self: see module doc
        if not protocol.needs_model:
            return None

        def resolve_auto(deadline: Deadline) -> None:
            protocol.use_model(resolve(remaining_or_none(deadline)) if resolve else None)

        return resolve_auto


class TaskStream(TaskAccessors, _Stream[TaskEvent]):
    """An agentic task's events: :class:`ThinkingEvent` frames, then the task result.

    The last item is the task result (``parse_result(body)``, by default the same
    :class:`TaskResult` ``agentic_task`` returns), also kept in :attr:`result`. A
    task that did not complete raises the exception ``error_from_task_result``
    picks, carrying ``task_result``.
    """


__all__ = ["ChatStream", "TaskStream"]
