"""asyncio streams over ``websockets.asyncio``.

An abandoned stream is closed by asyncio's own async-generator finaliser: the
stream holds its generator, the generator holds the socket, and nothing points
back, so dropping the stream lets the event loop ``aclose()`` the generator (whose
``finally`` closes the socket) while the loop runs, and ``asyncio.run`` closes any
still open at its end. An ``async for`` loop gets the generator itself while the
stream keeps a weak reference, so leaving the loop early closes a named stream
too. This module never schedules work on a loop from ``__del__``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import sys
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, Optional, Self, TypeVar

from .._logging import logger
from .._retry import Deadline
from . import _core
from ._core import (
    ChatAccessors,
    Connector,
    Protocol,
    StreamCore,
    StreamSettings,
    TaskAccessors,
    TaskEvent,
)

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

T = TypeVar("T")


class _Socket:
    """The connection of one stream (see the module docstring for who holds it).

    ``end`` is the call's deadline (``time.monotonic``): closing never waits for the
    service's close frame past it by more than ``CLOSE_GRACE``.
    """

    __slots__ = ("close_timeout", "closing", "conn", "end")

    def __init__(self) -> None:
        self.conn: Optional[ClientConnection] = None
        self.closing = False
        self.close_timeout = 2.0
        self.end: Optional[float] = None

    def hurry(self) -> None:
        """The call hit a time limit: close without waiting past ``CLOSE_GRACE``."""
        self.end = time.monotonic()

    async def aclose(self) -> None:
        self.closing = True
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            conn.close_timeout = _core.close_wait(self.close_timeout, self.end)
            await conn.close()
        except Exception:
            # E.g. under `-W error`, asyncio's warning about an async generator
            # (websockets' own) first used during `shutdown_asyncgens()`. Drop the
            # TCP connection instead: the socket must not outlive the stream.
            logger.debug("stream: closing handshake failed, aborting", exc_info=True)
            conn.transport.abort()
        logger.debug("stream: socket closed (close code %s)", _core.close_code_of(conn))


@functools.cache
def _connection_class() -> type[ClientConnection]:
    """websockets' asyncio ``ClientConnection``, refusing a redirected upgrade."""
    from websockets.asyncio.client import ClientConnection

    class NoRedirectClientConnection(ClientConnection):
        async def handshake(self, *args: Any, **kwargs: Any) -> None:
            try:
                await super().handshake(*args, **kwargs)
            except Exception as exc:
                _core.refuse_redirect(exc)

    return NoRedirectClientConnection


async def _connect(settings: StreamSettings, deadline: Deadline, protocol: Protocol[Any]) -> Any:
    from websockets.asyncio.client import connect

    connector = Connector(settings, deadline, protocol)
    while True:
        options = connector.attempt()
        try:
            return await connect(settings.ws_url, create_connection=_connection_class(), **options)
        except Exception as exc:
            await settings.async_sleep(connector.failed(exc))


def _current_task_getter() -> Callable[[asyncio.AbstractEventLoop], Optional[asyncio.Task[Any]]]:
    """``asyncio.current_task`` (called with the loop), as cheap as it can be had.

    On Python 3.11 ``current_task`` is a Python function around
    ``_current_tasks.get(loop)`` (~0.2 us, a noticeable share of a small frame); call
    the dict's ``get`` directly there. From 3.12 on ``current_task`` is C.
    """
    if sys.version_info < (3, 12):
        tasks = getattr(asyncio.tasks, "_current_tasks", None)
        if isinstance(tasks, dict):
            return tasks.get
    return asyncio.current_task


class _Watchdog:
    """The idle timeout and deadline of one stream: one lazily re-armed timer.

    ``asyncio.timeout()`` around every ``recv()`` costs a Timeout object and a
    timer pushed on and cancelled off the loop's heap per frame. Instead, before each
    ``recv()`` the stream stores when it started waiting (``since``), the task that
    waits and that task's ``cancelling()`` count, and sets ``waiting``. The timer
    fires at the earliest limit it knows of; if the stream is still waiting and its
    limit has passed it cancels the task (``fired``), otherwise it re-arms for the
    newer limit, or disarms when the caller holds a chunk (the next ``recv()`` arms
    it again). So the task is only ever cancelled inside ``recv()``: never while the
    caller's own loop body runs between two chunks.
    """

    __slots__ = ("base", "end", "fired", "handle", "idle", "loop", "since", "task", "waiting")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, idle: Optional[float], end: Optional[float]
    ) -> None:
        self.loop = loop
        self.idle = idle
        self.end = end  # absolute, in loop.time()
        self.since = 0.0
        self.task: Optional[asyncio.Task[Any]] = None
        self.base = 0  # the task's cancelling() before the current recv()
        self.waiting = False
        self.fired = False
        self.handle: Optional[asyncio.TimerHandle] = None

    def limit(self) -> float:
        """When the current (or last) ``recv()`` times out."""
        if self.idle is None:
            assert self.end is not None  # no watchdog without a limit
            return self.end
        at = self.since + self.idle
        return at if self.end is None or at < self.end else self.end

    def arm(self) -> None:
        self.handle = self.loop.call_at(self.limit(), self._check)

    def _check(self) -> None:
        self.handle = None
        if not self.waiting:
            return  # the caller holds a chunk: the next recv() arms again
        if self.loop.time() < self.limit():
            self.arm()  # a later recv() started since this timer was set
            return
        task = self.task
        if task is not None and not task.done():
            self.fired = True
            task.cancel()

    def disown(self) -> None:
        """Take back a cancellation of ours that the stream did not turn into an error."""
        if self.fired:
            self.fired = False
            if self.task is not None:
                self.task.uncancel()

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


async def _run(
    settings: StreamSettings,
    protocol: Protocol[T],
    sock: _Socket,
    before_connect: Optional[Callable[[Deadline], Awaitable[None]]] = None,
) -> AsyncGenerator[T, None]:
    from websockets.exceptions import ConnectionClosed

    deadline = _core.start_deadline(settings, protocol, sock)
    idle = protocol.idle_timeout(settings)
    dog: Optional[_Watchdog] = None
    try:
        if before_connect is not None:
            await before_connect(deadline)
        conn = await _connect(settings, deadline, protocol)
        sock.conn = conn
        if sock.closing:  # aclose() ran while we were connecting
            await sock.aclose()
            return
        logger.debug("stream: sending a %s request", protocol.kind)
        try:
            # No local holds the request: an agentic task's carries the key.
            await conn.send(protocol.payload(settings.keys))
        except ConnectionClosed as exc:
            error = protocol.closed_early(exc, sock.closing)
            if error is None:
                return
            raise error from None
        loop = asyncio.get_running_loop()
        clock = loop.time
        remaining = deadline.remaining()
        end = None if math.isinf(remaining) else clock() + remaining
        stop = math.inf if end is None else end
        if idle is not None or end is not None:
            dog = _Watchdog(loop, idle, end)
        recv, handle, current_task = conn.recv, protocol.handle, _current_task_getter()
        while not protocol.finished:
            if dog is not None:
                now = clock()
                if now >= stop:
                    sock.hurry()
                    raise protocol.deadline_passed(deadline.timeout)
                task = current_task(loop)
                if task is None:
                    raise RuntimeError("an asyncio stream must be iterated inside a task")
                dog.task = task
                dog.base = task.cancelling()
                dog.since = now
                dog.waiting = True
                if dog.handle is None:
                    dog.arm()
            try:
                raw = await recv()
            except asyncio.CancelledError:
                if dog is None or not dog.fired:
                    raise  # the caller's task is cancelled: not ours to swallow
                dog.fired = False
                assert dog.task is not None  # set before every recv()
                if dog.task.uncancel() > dog.base:
                    raise  # cancelled from outside as well: that wins, as in asyncio.timeout
                sock.hurry()
                # The timer fired at the earlier of the two limits: which one was it?
                idle_first = idle is not None and (end is None or clock() < end)
                raise protocol.timed_out(idle if idle_first else None, deadline.timeout) from None
            except ConnectionClosed as exc:
                if sock.closing:
                    return
                raise protocol.closed(exc) from None
            finally:
                if dog is not None:
                    dog.waiting = False
                    if dog.fired:  # recv() ended otherwise than by our cancel
                        dog.disown()
            items = handle(raw)  # a tuple: the frame is fully read before anything is yielded
            if protocol.finished:
                if dog is not None:
                    dog.stop()
                await sock.aclose()
                logger.debug("stream: %s finished after %d frames", protocol.kind, protocol.frames)
            for item in items:
                yield item
    finally:
        if dog is not None:
            dog.stop()
        await sock.aclose()


class _AsyncStream(StreamCore[T, AsyncGenerator[T, None]]):
    """An async iterator over one request's stream; the socket opens on the first item.

    Leaving an ``async for`` loop over it early closes it (see the module docstring).
    """

    def __init__(self, settings: StreamSettings, protocol: Protocol[T]) -> None:
        super().__init__(settings, protocol)
        self._sock = _Socket()

    def _before_connect(self) -> Optional[Callable[[Deadline], Awaitable[None]]]:
        return None

    def _start(self) -> AsyncGenerator[T, None]:
        if self._otel is not None:  # the client's telemetry: a span over the stream
            return self._otel.async_stream(
                self._settings, self._protocol, self._sock, self._before_connect(), _run
            )
        return _run(self._settings, self._protocol, self._sock, self._before_connect())

    def __aiter__(self) -> AsyncIterator[T]:
        # The generator itself: ``async for`` then skips the Python level
        # ``__anext__`` below (a coroutine per chunk).
        gen = self._for_loop()
        return self if gen is None else gen

    async def __anext__(self) -> T:
        gen = self._driven()
        if gen is None:
            raise StopAsyncIteration
        return await gen.__anext__()

    async def until_done(self) -> Self:
        """Read the stream to its end and return it (``.content``, ``.usage`` ... are set).

        ``s = await client.stream("hi").until_done(); print(s.content, s.usage)``. For
        a task stream, ``.result`` is then the final :class:`TaskResult`. Errors raise
        as iterating would; a stream already closed or left returns as it is.
        """
        async for _item in self:
            pass
        return self

    def __await__(self) -> NoReturn:
        # ``await client.stream(...)`` (the openai reflex) would otherwise fail with
        # Python's bare "can't be used in 'await' expression".
        method = "stream_task" if isinstance(self, AsyncTaskStream) else "stream"
        raise TypeError(_core.AWAIT_MESSAGE.format(name=type(self).__name__, method=method))

    async def aclose(self) -> None:
        """Close the socket (idempotent)."""
        await self._sock.aclose()
        gen = self._running()
        if gen is not None:
            # being iterated by another task: it stops on the closed socket
            with contextlib.suppress(RuntimeError):
                await gen.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()


class AsyncChatStream(ChatAccessors[Awaitable[str]], _AsyncStream[str]):
    """The asyncio twin of :class:`ChatStream`: ``async for chunk in stream``.

    Also an async context manager; :meth:`aclose` closes it early. ``resolve_model``
    is awaited (with the seconds left, or ``None``) to turn ``model="auto"`` into a
    real model before connecting; without it ``auto`` is sent as ``sonnet``.
    """

    def _before_connect(self) -> Optional[Callable[[Deadline], Awaitable[None]]]:
        protocol, resolve = self._protocol, self._resolve_model  # never self: see module doc
        if not protocol.needs_model:
            return None

        async def resolve_auto(deadline: Deadline) -> None:
            protocol.use_model(
                await resolve(_core.remaining_or_none(deadline)) if resolve else None
            )

        return resolve_auto


class AsyncTaskStream(TaskAccessors, _AsyncStream[TaskEvent]):
    """The asyncio twin of :class:`TaskStream`."""


__all__ = ["AsyncChatStream", "AsyncTaskStream"]
