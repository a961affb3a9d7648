"""The one place where the sync and the async client differ.

``_async/client.py`` is the source of both clients; ``scripts/unasync.py`` turns
every ``async_x`` / ``AsyncX`` name used there into the ``x`` / ``X`` defined next
to it here. What cannot be a token substitution lives in this module, in pairs:

* sleeping (``time.sleep`` / ``asyncio.sleep``) and the type of an injected sleep;
* ``batch()``'s fan-out: daemon threads and a queue vs tasks and ``asyncio.wait``;
* sending through a user's own httpx2 client (``send`` vs ``await send``); the SDK
  never changes that client (no hooks, no transports) and leaves it open.

``asyncio`` is imported on first use only: ``import claude_client`` stays light.
"""

from __future__ import annotations

import datetime
import functools
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Optional, ParamSpec, TypeVar, Union

import httpx2

from ._batch import BatchRun, Chunk, ChunkOutcome, PoolGovernor
from ._config import BATCH_POLL
from ._exceptions import (
    AuthenticationError,
    ClaudeAPIError,
    ClientClosedError,
    PermissionDeniedError,
)
from ._models import BatchResponse
from ._response import RawResponse
from ._transport import Captured, capture_responses

if TYPE_CHECKING:
    from claude_client.generated.models.http_validation_error import HTTPValidationError
    from claude_client.generated.types import Response as GeneratedResponse

__all__ = [
    "AsyncModelResolver",
    "AsyncSleep",
    "AsyncUserClientTransport",
    "ModelResolver",
    "Sleep",
    "UserClientTransport",
    "async_default_sleep",
    "async_raw_response",
    "async_run_chunks",
    "default_sleep",
    "raw_response",
    "run_chunks",
]

Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]
ModelResolver = Callable[[Optional[float]], str]
"""Resolves ``model="auto"`` for a stream, given the seconds left (``None``: no limit)."""
AsyncModelResolver = Callable[[Optional[float]], Awaitable[str]]
T = TypeVar("T")
P = ParamSpec("P")

if TYPE_CHECKING:
    EndpointFunction = Callable[..., GeneratedResponse[T]]
    """A generated ``sync_detailed`` function."""
    AsyncEndpointFunction = Callable[..., Awaitable[GeneratedResponse[T]]]
    """A generated ``asyncio_detailed`` function."""
    # A route that declares a 422 body: ``call()`` returns ``T`` alone, since the
    # transport raises the 422 (the generated type is ``HTTPValidationError | T``).
    ValidatedEndpointFunction = Callable[..., GeneratedResponse[Union[HTTPValidationError, T]]]
    AsyncValidatedEndpointFunction = Callable[
        ..., Awaitable[GeneratedResponse[Union[HTTPValidationError, T]]]
    ]


def default_sleep() -> Sleep:
    return time.sleep


def async_default_sleep() -> AsyncSleep:
    import asyncio

    return asyncio.sleep


# --------------------------------------------------------------------------- batch fan-out


def _is_fatal(exc: BaseException) -> bool:
    """What ends a whole batch: errors that would fail every chunk alike (raised
    instead of marking items) and anything that is not an error of ours."""
    if isinstance(exc, ClaudeAPIError):
        return isinstance(exc, (AuthenticationError, PermissionDeniedError, ClientClosedError))
    return True


def run_chunks(
    run: BatchRun,
    send: Callable[[Chunk], BatchResponse],
    read_pool: Callable[[PoolGovernor], None],
    sleep: Sleep,
) -> BatchResponse:
    """Drive ``run`` with one daemon thread per chunk; return the merged answer."""
    import queue
    import threading

    answers: queue.SimpleQueue[tuple[Chunk, ChunkOutcome]] = queue.SimpleQueue()

    def work(chunk: Chunk) -> None:
        # Runs on a daemon thread: an interrupted batch() leaves without
        # waiting for it, and it never holds up the interpreter's exit.
        outcome: ChunkOutcome
        try:
            outcome = send(chunk)
        except BaseException as exc:  # handed to the caller's thread
            outcome = exc
        run.settle(chunk, outcome, run.clock())
        answers.put((chunk, outcome))

    while not run.finished:
        if run.needs_reading():
            read_pool(run.governor)
        while (chunk := run.next_chunk()) is not None:
            threading.Thread(
                target=work, args=(chunk,), name=f"claude-batch-{chunk.start}", daemon=True
            ).start()
        if run.finished:
            break
        if not run.out:
            sleep(run.wait_hint())
            continue
        wait = min(run.wait_hint(), BATCH_POLL) if run.pending else BATCH_POLL
        try:
            answer = answers.get(timeout=wait)
        except queue.Empty:
            continue
        while True:
            chunk, outcome = answer
            if isinstance(outcome, BaseException) and _is_fatal(outcome):
                raise outcome
            run.record(chunk, outcome)
            try:
                answer = answers.get_nowait()
            except queue.Empty:
                break
    return run.merge()


async def async_run_chunks(
    run: BatchRun,
    send: Callable[[Chunk], Awaitable[BatchResponse]],
    read_pool: Callable[[PoolGovernor], Awaitable[None]],
    sleep: AsyncSleep,
) -> BatchResponse:
    """Drive ``run`` with one task per chunk; cancelling cancels the chunks in flight."""
    import asyncio

    async def work(chunk: Chunk) -> ChunkOutcome:
        outcome: ChunkOutcome = asyncio.CancelledError()
        try:
            outcome = await send(chunk)
        except ClaudeAPIError as exc:
            outcome = exc
        finally:
            run.settle(chunk, outcome, run.clock())
        return outcome

    tasks: dict[asyncio.Future[ChunkOutcome], Chunk] = {}
    try:
        while not run.finished:
            if run.needs_reading():
                await read_pool(run.governor)
            while (chunk := run.next_chunk()) is not None:
                tasks[asyncio.ensure_future(work(chunk))] = chunk
            if run.finished:
                break
            if not tasks:
                await sleep(run.wait_hint())
                continue
            done, _ = await asyncio.wait(
                tasks,
                timeout=run.wait_hint() if run.pending else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in done:
                chunk = tasks.pop(task)
                outcome = task.result()  # raises what is not an error of ours
                if isinstance(outcome, BaseException) and _is_fatal(outcome):
                    raise outcome
                run.record(chunk, outcome)
    finally:
        for task in tasks:
            task.cancel()  # nothing more is awaited; their governor share is released
    return run.merge()


# --------------------------------------------------------------------------- user's httpx2 client


class UserClientTransport(httpx2.BaseTransport):
    """Sends through the user's ``httpx2.Client``: its proxies, TLS, limits, mounts, hooks.

    The SDK's own httpx2 client has the retry transport over this one, so nothing in
    the user's client is replaced or patched; closing leaves it open (the user owns it).
    """

    def __init__(self, client: httpx2.Client) -> None:
        self._client = client

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        return self._client.send(request, stream=True)

    def close(self) -> None:
        """Nothing: the user's client stays open."""


class AsyncUserClientTransport(httpx2.AsyncBaseTransport):
    """Sends through the user's ``httpx2.AsyncClient`` (see :class:`UserClientTransport`)."""

    def __init__(self, client: httpx2.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self._client.send(request, stream=True)

    async def aclose(self) -> None:
        """Nothing: the user's client stays open."""


# --------------------------------------------------------------------------- raw responses


def _raw_of(captured: Captured, parsed: T) -> RawResponse[T]:
    if not captured:  # only for an endpoint bound to another client than this one
        raise ClaudeAPIError("with_raw_response: the call sent no request through this client")
    response, seconds = captured[-1]
    return RawResponse(response, parsed, elapsed=datetime.timedelta(seconds=seconds))


def raw_response(method: Callable[P, T]) -> Callable[P, RawResponse[T]]:
    """``method`` returning a :class:`RawResponse` of its last HTTP response and its result."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        with capture_responses() as captured:
            parsed = method(*args, **kwargs)
        return _raw_of(captured, parsed)

    return wrapper


def async_raw_response(
    method: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[RawResponse[T]]]:
    """Async twin of :func:`raw_response`."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        with capture_responses() as captured:
            parsed = await method(*args, **kwargs)
        return _raw_of(captured, parsed)

    return wrapper
