"""Blocking streams over ``websockets.sync`` (one thread per open socket, owned by it)."""

from __future__ import annotations

import builtins
import contextlib
import functools
import json
import math
import threading
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Optional, Self, TypeVar

from .._retry import Deadline, backoff_delay
from ._core import (
    AUTO_FALLBACK_MODEL,
    ChatAccessors,
    ChatProtocol,
    Protocol,
    ResultParser,
    StreamSettings,
    TaskAccessors,
    TaskProtocol,
    close_code_of,
    close_details,
    connect_failure,
    logger,
    remaining_or_none,
    websockets_logger,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from websockets.sync.client import ClientConnection

T = TypeVar("T")


class _Socket:
    """The connection of one stream; closing it is idempotent and thread-safe.

    Held by the stream object and by its generator, and referencing neither, so
    dropping an abandoned stream frees the generator, whose ``finally`` closes this.
    """

    __slots__ = ("closing", "conn", "lock")

    def __init__(self) -> None:
        self.conn: Optional[ClientConnection] = None
        self.closing = False
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            self.closing = True
            conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            if _websockets_queues_one_message():
                _close_draining(conn)
            else:
                conn.close()
        except Exception:  # pragma: no cover - close never matters more than the caller's error
            logger.debug("stream: error while closing the socket", exc_info=True)
        logger.debug("stream: socket closed (close code %s)", close_code_of(conn))


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

    extra_headers, user_agent = settings.handshake_headers()
    options: dict[str, Any] = settings.connect_options()
    if user_agent is not None:
        options["user_agent_header"] = user_agent
    attempt = 0
    while True:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise protocol.deadline_passed(deadline.timeout)
        logger.debug("stream: connecting to %s (attempt %d)", settings.ws_url, attempt + 1)
        try:
            # Entering the context is how every websockets version from 13 on hands
            # out an open connection without a deprecation warning (17.1 deprecates
            # using `connect()`'s return value directly); we close it ourselves.
            return connect(
                settings.ws_url,
                additional_headers=extra_headers,
                open_timeout=min(settings.connect_timeout, remaining),
                close_timeout=settings.close_timeout,
                logger=websockets_logger(),
                **options,
            ).__enter__()
        except Exception as exc:
            error, retryable = connect_failure(exc, settings.ws_url)
            delay = backoff_delay(attempt, retry_after=error.retry_after)
            if not retryable or attempt >= settings.max_retries or not deadline.can_fit(delay):
                logger.debug("stream: connecting failed, not retrying: %s", error.message)
                raise error from exc
            logger.debug(
                "stream: connecting failed (%s), retry %d in %.2f s",
                error.message,
                attempt + 1,
                delay,
            )
            settings.sleep(delay)
            attempt += 1


def _run(
    settings: StreamSettings,
    protocol: Protocol[T],
    sock: _Socket,
    before_connect: Optional[Callable[[Deadline], None]] = None,
) -> Generator[T, None, None]:
    from websockets.exceptions import ConnectionClosed

    timeout = protocol.overall_timeout(settings)
    deadline = Deadline(timeout)
    try:
        if before_connect is not None:
            before_connect(deadline)
        conn = _connect(settings, deadline, protocol)
        with sock.lock:
            closing = sock.closing
            sock.conn = conn
        if closing:  # close() ran while we were connecting
            sock.close()
            return
        request = protocol.request(settings.api_key)
        logger.debug("stream: sending a %s request", protocol.kind)
        try:
            conn.send(json.dumps(request))
        except ConnectionClosed as exc:
            if sock.closing:
                return
            raise protocol.interrupted(*close_details(exc)) from None
        del request  # it may hold the key; keep it out of any later traceback
        idle = protocol.idle_timeout(settings)
        # Per frame: one clock read for the wait, no Deadline/min/isinf calls.
        clock = time.monotonic
        remaining = deadline.remaining()
        end = None if math.isinf(remaining) else clock() + remaining
        recv, handle = conn.recv, protocol.handle
        wait: Optional[float] = idle
        idle_bound = idle is not None  # which limit the current wait stands for
        while not protocol.finished:
            if end is not None:
                left = end - clock()
                if left <= 0:
                    raise protocol.deadline_passed(deadline.timeout)
                idle_bound = idle is not None and idle <= left
                wait = idle if idle_bound else left
            try:
                raw = recv(timeout=wait)
            except builtins.TimeoutError:
                if idle_bound and idle is not None:
                    raise protocol.idle_timed_out(idle) from None
                raise protocol.deadline_passed(deadline.timeout) from None
            except ConnectionClosed as exc:
                if sock.closing:
                    return
                raise protocol.interrupted(*close_details(exc)) from None
            items = handle(raw)  # a tuple: the frame is fully read before anything is yielded
            if protocol.finished:
                sock.close()
                logger.debug("stream: %s finished after %d frames", protocol.kind, protocol.frames)
            yield from items
    finally:
        sock.close()


class _Stream(Generic[T]):
    """An iterator over one request's stream; the socket opens on the first ``next()``."""

    _protocol: Protocol[T]

    def __init__(self, settings: StreamSettings, protocol: Protocol[T]) -> None:
        self._settings = settings
        self._protocol = protocol
        self._sock = _Socket()
        self._gen: Optional[Generator[T, None, None]] = None

    def _before_connect(self) -> Optional[Callable[[Deadline], None]]:
        return None

    def __iter__(self) -> Iterator[T]:
        # The generator itself once started: a ``for`` loop then skips the Python
        # level ``__next__`` below on every chunk. ``next(stream)`` still works.
        if self._gen is None:
            if self._sock.closing:
                return self  # closed before the first item: ``__next__`` stops
            self._gen = _run(self._settings, self._protocol, self._sock, self._before_connect())
        return self._gen

    def __next__(self) -> T:
        if self._gen is None:
            if self._sock.closing:
                raise StopIteration
            self._gen = _run(self._settings, self._protocol, self._sock, self._before_connect())
        return next(self._gen)

    def close(self) -> None:
        """Close the socket (idempotent; safe from another thread while iterating)."""
        self._sock.close()
        gen = self._gen
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

    @property
    def finished(self) -> bool:
        """Whether the final frame arrived."""
        return self._protocol.finished

    def __repr__(self) -> str:
        state = "finished" if self.finished else "closed" if self._sock.closing else "open"
        return (
            f"<{type(self).__name__} {self._protocol.kind} {self._settings.ws_url} "
            f"{state}, {self._protocol.frames} frames>"
        )


class ChatStream(ChatAccessors, _Stream[str]):
    """The text of a chat answer as it is produced: iterate to get ``str`` chunks.

    ``for chunk in stream: print(chunk, end="")``. After the last chunk,
    :attr:`content`, :attr:`usage`, :attr:`cost` and :attr:`model` hold the
    ``done`` frame's data. Use it as a context manager (or call :meth:`close`) when
    you may stop early; breaking out of a ``for`` over a temporary closes it too.

    ``model="auto"`` is resolved before connecting by ``resolve_model`` (the
    client's ``POST /v1/route`` call), or sent as ``sonnet`` without one: the socket
    has no ``auto``.
    """

    _protocol: ChatProtocol

    def __init__(
        self,
        settings: StreamSettings,
        *,
        messages: Sequence[Mapping[str, Any]],
        model: str = "sonnet",
        project_id: Optional[str] = None,
        resolve_model: Optional[Callable[[Optional[float]], str]] = None,
    ) -> None:
        super().__init__(
            settings, ChatProtocol(model=model, messages=messages, project_id=project_id)
        )
        self._resolve_model = resolve_model

    def _before_connect(self) -> Optional[Callable[[Deadline], None]]:
        if self._protocol.model_requested != "auto":
            return None
        protocol, resolve = self._protocol, self._resolve_model

        def resolve_auto(deadline: Deadline) -> None:
            model = resolve(remaining_or_none(deadline)) if resolve else AUTO_FALLBACK_MODEL
            logger.debug("chat stream: model 'auto' resolved to %r", model)
            protocol.model_requested = model

        return resolve_auto


class TaskStream(TaskAccessors, _Stream[Any]):
    """An agentic task's events: :class:`ThinkingEvent` frames, then the task result.

    The last item is the task result (``parse_result(body)``, by default the same
    :class:`TaskResult` ``agentic_task`` returns), also kept in :attr:`result`. A
    task that did not complete raises the exception ``error_from_task_result``
    picks, carrying ``task_result``.
    """

    _protocol: TaskProtocol

    def __init__(
        self,
        settings: StreamSettings,
        *,
        description: str,
        allow_tools: Sequence[str] = (),
        allow_agents: Sequence[str] = (),
        allow_skills: Sequence[str] = (),
        timeout: Optional[int] = None,
        max_cost: Optional[float] = None,
        parse_result: Optional[ResultParser] = None,
    ) -> None:
        super().__init__(
            settings,
            TaskProtocol.for_settings(
                settings,
                description=description,
                allow_tools=allow_tools,
                allow_agents=allow_agents,
                allow_skills=allow_skills,
                timeout=timeout,
                max_cost=max_cost,
                parse_result=parse_result,
            ),
        )


__all__ = ["ChatStream", "TaskStream"]
