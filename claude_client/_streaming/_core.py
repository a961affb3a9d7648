"""The I/O-free half of streaming: messages, frames, connect retries, and the stream
objects' bookkeeping (settings: ``_settings.py``).

Everything here is shared by the sync (``_sync.py``) and asyncio (``_async.py``)
streams; what those keep is I/O only: opening and closing the socket, the tuned
frame loop, sleeping between connection attempts. Failures are mapped by
:mod:`claude_client._errors`, retries decided by :class:`~claude_client._retry.RetryState`.
Nothing in this module imports ``websockets``: ``import claude_client`` never pays
for the library.
"""

from __future__ import annotations

import json
import logging
import math
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Final,
    Generic,
    Literal,
    NoReturn,
    Optional,
    TypeVar,
    Union,
    cast,
)

from .._config import DEFAULT_MAX_RESPONSE_BYTES, KeyRing
from .._errors import (
    error_from_stream_message,
    error_from_task_result,
    error_from_ws_closed,
    error_from_ws_connect,
    forget_frames,
    redirect_refused,
    request_url,
)
from .._exceptions import (
    APITimeoutError,
    AuthenticationError,
    ClaudeAPIError,
    InvalidInputError,
    ResponseValidationError,
)
from .._models import APIObject, TaskResult, Usage
from .._retry import Deadline, RetryState
from ._settings import StreamSettings, ws_url_from_base

if TYPE_CHECKING:
    from .._telemetry import Telemetry

logger = logging.getLogger("claude_client")

SOCKET_MODELS: Final = ("haiku", "sonnet", "opus")
# What STREAMING.md says a client without a route recommendation may send for "auto".
AUTO_FALLBACK_MODEL: Final = "sonnet"
# Added to an agentic task's own ``timeout`` to get the longest silence allowed
# between ``thinking`` and ``result`` (the service is quiet while the task runs),
# and the shortest overall deadline of a task stream.
TASK_IDLE_GRACE: Final = 30.0
# The service's default task ``timeout`` (AgenticTaskRequest), when none is sent.
SERVICE_TASK_TIMEOUT: Final = 300
# How long closing still waits for the service's close frame once the call's deadline
# (or its idle timeout) has struck: the call ends at most this much after its limit.
CLOSE_GRACE: Final = 0.25

T = TypeVar("T")

__all__ = [
    "ChatAccessors",
    "ChatProtocol",
    "Connector",
    "Protocol",
    "StreamCore",
    "StreamNotFinishedError",
    "StreamSettings",
    "TaskAccessors",
    "TaskProtocol",
    "ThinkingEvent",
    "decode_frame",
    "ws_url_from_base",
]


# --------------------------------------------------------------------------- results


class ThinkingEvent(APIObject):
    """A ``thinking`` frame of an agentic task stream (progress, not the result).

    Dict-compatible like every result: ``event["type"] == "thinking"``,
    ``event["content"]``; typed: ``event.type``, ``event.content``.
    """

    __slots__ = ()

    @property
    def type(self) -> Literal["thinking"]:
        return "thinking"

    @property
    def content(self) -> str:
        text = self.get("content")
        return text if isinstance(text, str) else ""


def parse_usage(raw: Any) -> Usage:
    """The ``usage`` of a ``done`` frame as the facade's :class:`Usage` (empty if absent)."""
    return Usage(raw if isinstance(raw, Mapping) else {})


def parse_stream_task_result(body: dict[str, Any]) -> TaskResult:
    """A ``result`` frame (without ``type``) as the :class:`TaskResult` ``agentic_task`` returns.

    The socket sends the body of ``POST /v1/task`` without ``task_id``, so a streamed
    result has no ``task_id`` key (``result.get("task_id")`` is ``None``).
    """
    where = "agentic task stream"
    if not isinstance(body.get("status"), str):
        raise ResponseValidationError(f"{where}: result frame without a string 'status'")
    if not isinstance(body.get("result"), dict):
        raise ResponseValidationError(f"{where}: result frame without a 'result' object")
    usage = body.get("usage")
    if usage is not None and not isinstance(usage, dict):
        raise ResponseValidationError(f"{where}: 'usage' should be an object or null")
    for key in ("execution_log", "artifacts"):
        value = body.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, dict) for v in value)
        ):
            raise ResponseValidationError(f"{where}: {key!r} should be a list of objects")
    return TaskResult(body)


# --------------------------------------------------------------------------- frames


# ``json.loads`` spends most of its time on small frames in Python-level wrappers
# (type checks, ``JSONDecoder.decode``, two whitespace regex matches); the bound
# C scanner is the fast path for the usual frame: a str holding exactly one object.
_raw_decode: Final = json.JSONDecoder().raw_decode


def decode_frame(raw: Union[str, bytes]) -> dict[str, Any]:
    """One service frame as a dict; anything else is a :class:`ResponseValidationError`."""
    if isinstance(raw, str):
        try:
            frame, end = _raw_decode(raw)
        except (ValueError, RecursionError):
            pass  # the generic path below re-parses and words the error
        else:
            if end == len(raw) and isinstance(frame, dict):
                return frame
            # whitespace around it, extra data, not an object: the generic path
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ResponseValidationError(
            f"stream frame is not JSON: {' '.join(raw.split())[:120]!r}"
        ) from None
    if not isinstance(frame, dict):
        raise ResponseValidationError(f"stream frame is not a JSON object: {type(frame).__name__}")
    return frame


class Protocol(Generic[T]):
    """What one kind of request sends and how it reads its frames (no I/O)."""

    kind: str = ""

    def __init__(self) -> None:
        self.frames = 0
        self.finished = False
        self.content_parts: list[str] = []
        self.content_size = 0  # characters in content_parts
        self.content_limit = DEFAULT_MAX_RESPONSE_BYTES  # the stream sets its settings' cap
        self.url = ""  # the socket's URL, for errors (the stream sets it)

    def _at(self) -> dict[str, Any]:
        return {"method": "GET", "url": self.url} if self.url else {}

    @property
    def _where(self) -> str:
        return f"{self.kind} stream (GET {self.url})" if self.url else f"{self.kind} stream"

    @property
    def content(self) -> str:
        return "".join(self.content_parts)

    sends_key: ClassVar[bool] = False
    """Whether the request message carries the API key (an agentic task's does)."""

    def request(self, api_key: Optional[str]) -> dict[str, Any]:
        raise NotImplementedError

    def payload(self, keys: Optional[KeyRing]) -> str:
        """The request as the text frame to send (the key is unwrapped only in here,
        and only for a protocol whose message carries it: a key provider is asked once
        more then)."""
        key = keys.default_key() if keys is not None and self.sends_key else None
        return json.dumps(self.request(key))

    def idle_timeout(self, settings: StreamSettings) -> Optional[float]:
        return settings.idle_timeout

    def overall_timeout(self, settings: StreamSettings) -> Optional[float]:
        return settings.timeout

    def handle(self, raw: Union[str, bytes]) -> tuple[T, ...]:
        """Items a frame yields to the caller; raises the error an error frame stands for."""
        return self._handle_frame(decode_frame(raw))

    def _handle_frame(self, frame: dict[str, Any]) -> tuple[T, ...]:
        self.frames += 1
        kind = frame.get("type")
        if kind == "error":
            self.finished = True
            error = frame.get("error")
            text = error if isinstance(error, str) and error else "error frame without a message"
            logger.debug("stream %s: error frame after %d frames", self.kind, self.frames)
            raise error_from_stream_message(text, self.url)
        return tuple(self._handle(str(kind), frame))

    def _handle(self, kind: str, frame: dict[str, Any]) -> Iterable[T]:
        raise NotImplementedError

    # ------------------------------------------------------------------ failures

    def closed(self, exc: BaseException) -> ClaudeAPIError:
        """The error for a socket that closed before the final frame (``ConnectionClosed``)."""
        return error_from_ws_closed(
            exc,
            kind=self.kind,
            frames=self.frames,
            partial_content=self.content,
            limit=self.content_limit,
            url=self.url,
        )

    def closed_early(self, exc: BaseException, closing: bool) -> Optional[ClaudeAPIError]:
        """A ``ConnectionClosed`` while sending the request: ``None`` when our own
        ``close()`` caused it (the stream just ends), else the error to raise."""
        forget_frames(exc)
        return None if closing else self.closed(exc)

    def too_much_content(self) -> ResponseValidationError:
        return ResponseValidationError(
            f"{self.kind} stream: the answer grew past max_response_bytes "
            f"({self.content_limit:,} characters kept) after {self.frames} frames, so the "
            "stream was closed; raise the client's max_response_bytes to accept more"
        )

    def timed_out(self, idle: Optional[float], timeout: Optional[float]) -> APITimeoutError:
        """The idle timeout's error when ``idle`` is given (it struck first), else the
        overall ``timeout``'s."""
        return self.idle_timed_out(idle) if idle is not None else self.deadline_passed(timeout)

    def idle_timed_out(self, seconds: float) -> APITimeoutError:
        return APITimeoutError(
            f"{self._where}: no frame from the service for {seconds:g} s "
            f"(idle timeout; {self.frames} frames received)",
            **self._at(),
        )

    def deadline_passed(self, timeout: Optional[float]) -> APITimeoutError:
        return APITimeoutError(
            f"{self._where} did not finish within its timeout of {timeout:g} s "
            f"({self.frames} frames received)",
            **self._at(),
        )


class ChatProtocol(Protocol[str]):
    """``{"type": "chat"}``: ``token`` frames, then ``done`` (or ``error``)."""

    kind = "chat"

    def __init__(
        self, *, model: str, messages: Sequence[Mapping[str, Any]], project_id: Optional[str]
    ) -> None:
        super().__init__()
        if isinstance(messages, (str, bytes)) or not messages:
            raise InvalidInputError("messages must be a non-empty list", param="messages")
        for m in messages:
            if not isinstance(m, Mapping) or not isinstance(m.get("content"), str):
                raise InvalidInputError(
                    "each message must be a mapping with 'role' and a string 'content'",
                    param="messages",
                )
        if not isinstance(model, str) or not model:
            raise InvalidInputError("model must be a non-empty string", param="model")
        self.model_requested = model
        self.messages = [{"role": m.get("role", "user"), **m} for m in messages]
        self.project_id = project_id
        self.usage: Optional[Usage] = None
        self.cost: Optional[float] = None
        self.model: Optional[str] = None

    @property
    def needs_model(self) -> bool:
        """Whether ``model="auto"`` must be resolved before connecting (the socket has none)."""
        return self.model_requested == "auto"

    def use_model(self, model: Optional[str]) -> None:
        """The model ``auto`` resolved to (``None``: no resolver, STREAMING.md's fallback)."""
        chosen = model if model is not None else AUTO_FALLBACK_MODEL
        logger.debug("chat stream: model 'auto' resolved to %r", chosen)
        self.model_requested = chosen

    def request(self, api_key: Optional[str]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "chat",
            "model": self.model_requested,
            "messages": self.messages,
        }
        if self.project_id is not None:
            message["project_id"] = self.project_id
        return message

    def handle(self, raw: Union[str, bytes]) -> tuple[str, ...]:
        # Fast path for the frame nearly every chat frame is: no generator, no list.
        frame = decode_frame(raw)
        if frame.get("type") != "token":
            return self._handle_frame(frame)
        self.frames += 1
        text = frame.get("content")
        if isinstance(text, str) and text:
            size = self.content_size + len(text)
            if size > self.content_limit:  # bounded memory: never keep more than the cap
                raise self.too_much_content()
            self.content_size = size
            self.content_parts.append(text)
            return (text,)
        return ()

    def _handle(self, kind: str, frame: dict[str, Any]) -> Iterable[str]:
        # ``token`` frames never get here: ``handle`` serves them itself.
        if kind == "done":
            self.finished = True
            self.usage = parse_usage(frame.get("usage"))
            cost = frame.get("cost")
            self.cost = float(cost) if isinstance(cost, (int, float)) else None
            model = frame.get("model")
            self.model = model if isinstance(model, str) else self.model_requested
            if not self.content_parts:
                # STREAMING.md's known defect: `done` with no token frames.
                logger.debug("chat stream: done without any token frame (known service defect)")
        else:
            logger.debug("chat stream: ignoring a frame of type %r", kind)
        return ()


ResultParser = Callable[[dict[str, Any]], TaskResult]
TaskEvent = Union[ThinkingEvent, TaskResult]
"""What iterating a task stream yields: progress events, then the task's result."""


class TaskProtocol(Protocol[TaskEvent]):
    """``{"type": "agentic_task"}``: ``thinking``, then ``result`` (or ``error``)."""

    kind = "agentic task"

    def __init__(
        self,
        *,
        description: str,
        allow_tools: Sequence[str],
        allow_agents: Sequence[str],
        allow_skills: Sequence[str],
        timeout: Optional[int],
        max_cost: Optional[float],
        parse_result: Optional[ResultParser] = None,
    ) -> None:
        super().__init__()
        if not isinstance(description, str) or not description.strip():
            raise InvalidInputError("description must be a non-empty string", param="description")
        self.fields: dict[str, Any] = {
            "description": description,
            "allow_tools": list(allow_tools),
            "allow_agents": list(allow_agents),
            "allow_skills": list(allow_skills),
        }
        if timeout is not None:
            self.fields["timeout"] = timeout
        if max_cost is not None:
            self.fields["max_cost"] = max_cost
        self.task_timeout = timeout
        self.parse_result = parse_result
        self.result: Any = None

    @classmethod
    def for_settings(cls, settings: StreamSettings, **fields: Any) -> TaskProtocol:
        """The protocol of a task stream; without a key it fails before connecting."""
        if settings.keys is None or not settings.keys.has_key:
            cls._require_key(None)
        return cls(**fields)

    @staticmethod
    def _require_key(api_key: Optional[str]) -> str:
        if not api_key:
            raise AuthenticationError("an API key is required to stream an agentic task")
        return api_key

    sends_key = True  # the protocol puts the key in the task message

    def request(self, api_key: Optional[str]) -> dict[str, Any]:
        return {"type": "agentic_task", "api_key": self._require_key(api_key), **self.fields}

    def _run_limit(self) -> float:
        run = self.task_timeout if self.task_timeout is not None else SERVICE_TASK_TIMEOUT
        return float(run) + TASK_IDLE_GRACE

    def idle_timeout(self, settings: StreamSettings) -> Optional[float]:
        # The service is silent while the task runs: allow the task its own timeout.
        if settings.idle_timeout is None:
            return None
        return max(settings.idle_timeout, self._run_limit())

    def overall_timeout(self, settings: StreamSettings) -> Optional[float]:
        # The caller's deadline: the task's own timeout was derived from it, smaller.
        return settings.timeout

    def _handle(self, kind: str, frame: dict[str, Any]) -> Iterator[TaskEvent]:
        if kind == "thinking":
            yield ThinkingEvent(frame)
        elif kind == "result":
            self.finished = True
            body = {k: v for k, v in frame.items() if k != "type"}
            parse = self.parse_result or parse_stream_task_result
            result = parse(body)
            self.result = result
            error = error_from_task_result(result)
            if error is not None:
                raise error
            yield result
        else:
            logger.debug("agentic task stream: ignoring a frame of type %r", kind)


# --------------------------------------------------------------------------- connecting


class QuietLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The logger handed to ``websockets``: warnings and errors only.

    ``websockets`` logs the handshake headers (``Authorization``) and every frame
    (an agentic task carries ``api_key``) at DEBUG. Reporting DEBUG as disabled
    turns those records off at their source, whatever the application's log level.
    """

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


def websockets_logger() -> QuietLogger:
    return QuietLogger(logging.getLogger("claude_client.websockets"), {})


def close_wait(close_timeout: float, end: Optional[float]) -> float:
    """How long closing may wait for the service's close frame.

    ``close_timeout``, but never past ``end`` (the call's deadline, ``time.monotonic``
    based; ``None`` without one) by more than :data:`CLOSE_GRACE`.
    """
    if end is None:
        return close_timeout
    return min(close_timeout, max(end - time.monotonic(), CLOSE_GRACE))


def remaining_or_none(deadline: Deadline) -> Optional[float]:
    """Seconds left as a timeout value (``None`` without a deadline)."""
    remaining = deadline.remaining()
    return None if math.isinf(remaining) else remaining


class Connector:
    """The connection attempts of one stream: what each gets, what a failure means.

    No I/O: the sync and async connectors are thin loops around it::

        connector = Connector(settings, deadline, protocol)
        while True:
            options = connector.attempt()   # raises once the deadline passed
            try:
                return connect(settings.ws_url, **options)
            except Exception as exc:
                sleep(connector.failed(exc))   # raises our error when giving up

    Failures are mapped by :func:`~claude_client._errors.error_from_ws_connect` and
    retried per the one :class:`~claude_client._retry.RetryState` (``max_retries``,
    backoff, ``Retry-After``, the call's deadline).
    """

    __slots__ = ("deadline", "options", "protocol", "retry", "settings")

    def __init__(
        self, settings: StreamSettings, deadline: Deadline, protocol: Protocol[Any]
    ) -> None:
        self.settings = settings
        self.deadline = deadline
        self.protocol = protocol
        self.retry = RetryState(deadline, settings.max_retries)
        extra_headers, user_agent = settings.handshake_headers()
        options: dict[str, Any] = settings.connect_options()
        if user_agent is not None:
            options["user_agent_header"] = user_agent
        options.update(
            additional_headers=extra_headers,
            close_timeout=settings.close_timeout,
            max_size=settings.max_response_bytes,
            logger=websockets_logger(),
        )
        self.options = options

    def attempt(self) -> dict[str, Any]:
        """``connect()`` keywords for the next attempt (``open_timeout`` fits the deadline)."""
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise self.protocol.deadline_passed(self.deadline.timeout)
        options = {**self.options, "open_timeout": min(self.settings.connect_timeout, remaining)}
        pinned = self.settings.pinned_key_headers()  # a rotating key: asked per connection
        if pinned is not None:
            options["additional_headers"] = pinned
        number = self.retry.started()
        logger.debug("stream: connecting to %s (attempt %d)", self.settings.ws_url, number)
        return options

    def failed(self, exc: BaseException) -> float:
        """Seconds to wait before the next attempt; raises our error when giving up."""
        forget_frames(exc)
        failure = error_from_ws_connect(exc, self.settings.ws_url)
        decision = self.retry.after(failure)
        error = failure.error
        if decision.delay is None:
            logger.debug("stream: connecting failed, not retrying: %s", error.message)
            raise error from exc
        logger.debug(
            "stream: connecting failed (%s), retry %d in %.2f s",
            error.message,
            self.retry.attempts,
            decision.delay,
        )
        return decision.delay


def refuse_redirect(exc: Exception) -> NoReturn:
    """Re-raise a handshake failure; a 3xx as :class:`~claude_client._errors.RedirectRefused`.

    Recent ``websockets`` follow a 3xx to wherever ``Location`` points; an exception
    that is not its ``InvalidStatus`` makes it give up instead.
    """
    refused = redirect_refused(exc)
    if refused is None:
        raise exc
    raise refused from exc


def start_deadline(settings: StreamSettings, protocol: Protocol[Any], sock: Any) -> Deadline:
    """The deadline of one stream call, on the settings' clock; ``sock`` learns when
    it ends (``time.monotonic``) and how long closing may wait."""
    deadline = Deadline(protocol.overall_timeout(settings), clock=settings.clock)
    remaining = deadline.remaining()
    sock.close_timeout = settings.close_timeout
    sock.end = None if math.isinf(remaining) else time.monotonic() + remaining
    return deadline


# --------------------------------------------------------------------------- stream objects

G = TypeVar("G")
"""A stream's generator: ``Generator[T, None, None]`` or ``AsyncGenerator[T, None]``."""
R = TypeVar("R")
"""What a chat stream's ``resolve_model`` returns: ``str``, or an awaitable of one."""


class StreamCore(Generic[T, G]):
    """What a stream object does besides I/O (sync and async alike).

    Who holds the generator: ``next()`` / ``anext()`` drive one the stream holds; a
    ``for`` loop is handed the generator itself (no Python-level ``__next__`` per
    chunk) and the stream keeps a weak reference, so leaving the loop early frees
    the generator, whose ``finally`` closes the socket. ``_sock`` is the side's
    socket holder (``closing`` once closed); ``_start`` makes the side's generator.
    """

    _protocol: Protocol[T]
    _sock: Any
    _otel: Optional[Telemetry] = (
        None  # the client's Telemetry, set by ClientBase._track (None: untraced)
    )

    def __init__(self, settings: StreamSettings, protocol: Protocol[T]) -> None:
        self._settings = settings
        self._protocol = protocol
        protocol.content_limit = settings.max_response_bytes
        protocol.url = request_url(settings.ws_url)
        self._gen: Optional[G] = None  # driven by next() / anext()
        self._loop_gen: Optional[weakref.ref[G]] = None  # handed to a for loop, which owns it

    def _start(self) -> G:
        raise NotImplementedError

    def _for_loop(self) -> Optional[G]:
        """The generator to hand a ``for`` loop, or ``None``: hand it the stream (it stops)."""
        gen = self._gen
        if gen is None:
            gen = self._loop_gen() if self._loop_gen is not None else None
            if gen is not None:
                return gen  # a loop is running it (``iter(stream)`` again)
            if self._loop_gen is not None or self._sock.closing:
                return None  # left early or closed
            gen = self._start()
        self._gen = None
        self._loop_gen = weakref.ref(gen)
        return gen

    def _driven(self) -> Optional[G]:
        """The generator the next item comes from, or ``None``: the stream is over."""
        gen = self._gen
        if gen is None:
            if self._loop_gen is not None:
                return self._loop_gen()  # None: the loop that ran it was left, closing it
            if self._sock.closing:
                return None
            gen = self._gen = self._start()
        return gen

    def _running(self) -> Optional[G]:
        """The generator running now, if any (to close it with the stream)."""
        gen = self._gen
        if gen is None and self._loop_gen is not None:
            return self._loop_gen()
        return gen

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


class StreamNotFinishedError(RuntimeError):
    """A finished stream's value (``usage``, ``cost``, ``model``) was read before the end.

    Iterate the stream to the end, or call ``until_done()``, first. A ``RuntimeError``:
    it is a mistake in the calling code, not a failure of the service.
    """


AWAIT_MESSAGE = (
    "{name} is not awaitable: iterate it with `async for chunk in client.{method}(...)` "
    "(or `async with client.{method}(...) as s:`), or get the finished stream with "
    "`s = await client.{method}(...).until_done()`"
)


class ChatAccessors(StreamCore[str, Any], Generic[R]):
    """What a chat stream takes and exposes (sync and async alike)."""

    _protocol: ChatProtocol

    def __init__(
        self,
        settings: StreamSettings,
        *,
        messages: Sequence[Mapping[str, Any]],
        model: str = "sonnet",
        project_id: Optional[str] = None,
        resolve_model: Optional[Callable[[Optional[float]], R]] = None,
    ) -> None:
        super().__init__(
            settings, ChatProtocol(model=model, messages=messages, project_id=project_id)
        )
        self._resolve_model = resolve_model

    @property
    def content(self) -> str:
        """The text received so far (the whole answer once the stream finished)."""
        return self._protocol.content

    def _after_done(self, name: str) -> None:
        if self._protocol.usage is None:
            raise StreamNotFinishedError(
                f"{type(self).__name__}.{name} is known once the stream has finished: "
                "iterate it to the end or call until_done() first"
                + (" (it ended without its 'done' frame)" if self._sock.closing else "")
            )

    @property
    def usage(self) -> Usage:
        """Token counts from the ``done`` frame.

        Raises :class:`StreamNotFinishedError` (a ``RuntimeError``) before it arrived:
        iterate the stream to the end, or call ``until_done()``, first.
        """
        self._after_done("usage")
        return cast(Usage, self._protocol.usage)

    @property
    def cost(self) -> float:
        """Cost in USD from the ``done`` frame (0.0 when it names none); as :attr:`usage`."""
        self._after_done("cost")
        cost = self._protocol.cost
        return cost if cost is not None else 0.0

    @property
    def model(self) -> str:
        """The model that answered (the ``done`` frame's, else the one asked for); as
        :attr:`usage`."""
        self._after_done("model")
        return self._protocol.model or self._protocol.model_requested


class TaskAccessors(StreamCore[Any, Any]):
    """What a task stream takes and exposes (sync and async alike)."""

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

    @property
    def result(self) -> Optional[TaskResult]:
        """The task result once the ``result`` frame arrived (else ``None``).

        Also set when the task did not complete (the exception raised carries it too).
        """
        return cast(Optional[TaskResult], self._protocol.result)


def close_code_of(conn: Any) -> Optional[int]:
    """The close code of a closed connection (``close_code`` appeared in websockets 13.1)."""
    code = getattr(conn, "close_code", None)
    if code is None:
        code = getattr(getattr(conn, "protocol", None), "close_code", None)
    return code if isinstance(code, int) else None
