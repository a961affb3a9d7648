"""httpx2 transports that give every request the SDK's auth, deadline, retries and errors.

:class:`RetryTransport` / :class:`AsyncRetryTransport` wrap an inner transport
(by default ``httpx2.HTTPTransport()`` / ``httpx2.AsyncHTTPTransport()``). They sit
under the pool that the facade *and* the generated client share, so a generated
endpoint called through ``client.generated`` behaves exactly like a facade method.

For each request they:

* set ``Authorization: Bearer <key>``: the key of the call's project (from the
  per-call :class:`CallOptions`) or the client's default key. The key lives in a
  :class:`~claude_client._config.KeyRing` (whose repr hides it), never in the
  httpx2 client's default headers nor in the generated client;
* read per-call options from a :class:`contextvars.ContextVar` the facade sets for
  the duration of a call (:func:`call_options`). Without it (a direct generated
  call) the client's defaults apply. Context variables are per thread and per
  asyncio task, so one client can serve many threads / tasks at once;
* enforce one :class:`~claude_client._retry.Deadline` per call over all attempts
  and backoff sleeps: each attempt's httpx timeouts are capped to what remains,
  no retry starts unless its sleep plus a useful attempt still fit, and for chat,
  batch and tasks the body's ``timeout`` field (the service-side limit, a
  :class:`ServiceLimit`) is lowered on a retry to fit what remains, so the service
  gives up before the client does (README "Timeouts");
* retry as :class:`~claude_client._retry.RetryState` decides (agentic tasks,
  ``/v1/task``, use the strict policy); ``sleep`` / ``clock`` / ``rng`` are
  injectable for tests. The per-request state and every decision live in
  :class:`_Call` (no I/O); the two transports are the same thin loop around it;
* turn every final failure into the SDK's hierarchy through
  :mod:`claude_client._errors`: status >= 400 -> ``error_from_response`` (so
  non-IANA codes like 520 never reach the generated layer, whose ``HTTPStatus(520)``
  would raise), ``httpx2.TimeoutException`` -> :class:`APITimeoutError`, any other
  ``httpx2.TransportError`` -> :class:`APIConnectionError`; the httpx exception is
  kept as ``__cause__``;
* log on the ``claude_client`` logger: every retry at INFO (method, path, status,
  attempt, delay), every attempt at DEBUG (method, path, status, elapsed,
  ``X-Request-ID``). Header values are never logged.

Against hostile or broken servers (issue 11):

* the key goes only to the origin (scheme, host, port) of ``base_url``: a request
  to any other origin (an httpx2 client that follows a redirect elsewhere, an
  absolute URL) is sent without it;
* the body is read here, incrementally, decompressed in small steps, and capped at
  ``max_response_bytes`` (decompressed): over it the call fails with
  :class:`ResponseValidationError` and memory stays near the cap; a bad
  ``Content-Encoding`` is a :class:`ResponseValidationError` too;
* every socket operation of an httpx2 transport it wraps is bounded by the call's
  deadline (:mod:`claude_client._sockets`, installed into the transport's
  connection pool), so a server trickling headers or a body byte by byte cannot stretch a call
  past its ``timeout``; the same hook makes connections opened before
  ``os.fork()`` unusable in the child (it opens its own) and lets :meth:`close`
  wake a call blocked on a socket in another thread;
* after :meth:`RetryTransport.close` nothing is sent or re-sent: an in-flight call
  ends with :class:`ClientClosedError`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import httpx2

from . import _telemetry
from ._config import (
    DEFAULT_MAX_RESPONSE_BYTES,
    SERVICE_MARGIN_MAX,
    SERVICE_MARGIN_MIN,
    SERVICE_MARGIN_SHARE,
    SERVICE_TIMEOUT_MAX,
    SERVICE_TIMEOUT_MIN,
    KeyRing,
    KeySource,
    resolve_key,
)
from ._errors import (
    V1_HINT,
    error_bad_encoding,
    error_body_too_large,
    failure_from_httpx,
    failure_from_response,
    request_url,
    task_refusal,
)
from ._exceptions import APITimeoutError, ClaudeAPIError, ClientClosedError, InvalidInputError
from ._logging import logger
from ._retry import GIVE_UP_DEADLINE, GIVE_UP_RETRY_AFTER, Deadline, Failure, RetryState
from ._sockets import DEADLINE, AsyncDeadlineBackend, DeadlineBackend, install_backend

__all__ = [
    "AsyncRetryTransport",
    "CallOptions",
    "RetryTransport",
    "ServiceLimit",
    "call_options",
    "current_options",
]

MIN_ATTEMPT_SECONDS = 0.25
"""A retry starts only if at least this much time is left after its sleep."""

_TIMEOUT_KEYS = ("connect", "read", "write", "pool")

QueryValue = Union[str, int, float, bool]
"""A value of ``extra_query``."""


def service_margin(deadline: float) -> float:
    """How long before the caller's deadline the service is asked to give up.

    5 % of the deadline, at least 1 s and at most 5 s (README "Timeouts"): room for
    the service's 504 (or its answer) to travel back before the client's deadline.
    """
    if math.isinf(deadline):
        return SERVICE_MARGIN_MAX
    return min(SERVICE_MARGIN_MAX, max(SERVICE_MARGIN_MIN, SERVICE_MARGIN_SHARE * deadline))


def _fit_limit(
    remaining: float,
    margin: float,
    maximum: float,
    wait_extra: float,
    cap: Optional[float],
    integer: bool,
) -> float:
    """``remaining - wait_extra - margin`` bounded to ``SERVICE_TIMEOUT_MIN..min(cap,
    maximum)``, rounded down (whole seconds, or tenths)."""
    top = maximum if cap is None else min(cap, maximum)
    value = min(top, remaining - wait_extra - margin)
    value = float(math.floor(value)) if integer else math.floor(value * 10) / 10
    return max(SERVICE_TIMEOUT_MIN, value)


@dataclass(frozen=True, slots=True)
class ServiceLimit:
    """How a body's ``timeout`` field (the service's own limit) follows the call's deadline.

    The value sent is ``remaining - wait_extra - margin``, bounded to
    ``SERVICE_TIMEOUT_MIN..maximum`` and to ``cap`` (the caller's ``service_timeout=``);
    ``wait_extra`` is how much longer than its limit the service waits (tasks: 10 s).
    ``sent`` is the value the request was built with; the transport rewrites the body
    only when what remains calls for noticeably less (more than half the margin).
    """

    margin: float
    sent: float
    maximum: float = SERVICE_TIMEOUT_MAX
    wait_extra: float = 0.0
    cap: Optional[float] = None
    integer: bool = False

    @classmethod
    def for_deadline(
        cls,
        deadline: float,
        *,
        maximum: float = SERVICE_TIMEOUT_MAX,
        wait_extra: float = 0.0,
        cap: Optional[float] = None,
        integer: bool = False,
    ) -> ServiceLimit:
        """The limit of a call whose whole deadline is ``deadline`` s (``math.inf``: none)."""
        margin = service_margin(deadline)
        sent = _fit_limit(deadline, margin, maximum, wait_extra, cap, integer)
        return cls(margin, sent, maximum, wait_extra, cap, integer)

    def fit(self, remaining: float) -> float:
        """The service-side limit to send when ``remaining`` s are left of the deadline."""
        return _fit_limit(
            remaining, self.margin, self.maximum, self.wait_extra, self.cap, self.integer
        )

    @property
    def body_value(self) -> float | int:
        """:attr:`sent` as the JSON body carries it (an integer for tasks)."""
        return int(self.sent) if self.integer else self.sent


@dataclass(slots=True)
class CallOptions:
    """Options of one facade call, visible to the transport through a context variable.

    ``api_key`` is ``None`` for "the client's default key" and is left out of repr;
    a key provider (a callable) is called by the transport for each attempt.
    ``task`` forces the agentic-task retry policy (``None``: decided by the path).
    When ``service_limit`` is set, each attempt's JSON body ``timeout`` is fitted
    to what remains of the deadline (:class:`ServiceLimit`).
    ``retry_overloaded=False`` hands the worker pool's 503 refusal straight back
    (``batch()`` paces its chunks itself). ``extra_query`` / ``extra_body`` are
    merged into the URL's query / the JSON body, last (they win), before the first
    attempt (see :func:`with_extras`).
    """

    deadline: Deadline
    max_retries: int
    api_key: Optional[KeySource] = field(default=None, repr=False)
    extra_headers: Optional[Mapping[str, str]] = None
    task: Optional[bool] = None
    service_limit: Optional[ServiceLimit] = None
    retry_overloaded: bool = True
    extra_query: Optional[Mapping[str, QueryValue]] = None
    extra_body: Optional[Mapping[str, Any]] = None


def with_extras(
    request: httpx2.Request,
    extra_query: Optional[Mapping[str, QueryValue]],
    extra_body: Optional[Mapping[str, Any]],
) -> httpx2.Request:
    """``request`` with ``extra_query`` merged into its URL and ``extra_body`` into its
    JSON body (re-encoded only then); the caller validated both (``_validation``)."""
    url = request.url
    if extra_query:
        params = url.params
        for name, value in extra_query.items():
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            params = params.set(name, text)
        url = url.copy_with(params=params)
    if not extra_body:
        request.url = url
        return request
    if request.method in ("GET", "HEAD", "DELETE"):
        raise InvalidInputError(
            f"extra_body is not allowed on {request.method} {url.path} (it has no body)",
            param="extra_body",
        )
    try:
        body = json.loads(request.content) if request.content else {}
    except (ValueError, httpx2.RequestNotRead):
        body = None
    if not isinstance(body, dict):
        raise InvalidInputError(
            f"extra_body: {request.method} {url.path} has no JSON object body to merge into",
            param="extra_body",
        )
    body.update(extra_body)
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    headers = request.headers.copy()
    headers["Content-Length"] = str(len(raw))
    headers["Content-Type"] = "application/json"
    return httpx2.Request(
        request.method, url, headers=headers, content=raw, extensions=request.extensions
    )


_CURRENT: contextvars.ContextVar[Optional[CallOptions]] = contextvars.ContextVar(
    "claude_client_call_options", default=None
)


def current_options() -> Optional[CallOptions]:
    return _CURRENT.get()


Captured = list[tuple[httpx2.Response, float]]
_CAPTURE: contextvars.ContextVar[Optional[Captured]] = contextvars.ContextVar(
    "claude_client_captured_responses", default=None
)


@contextmanager
def capture_responses() -> Iterator[Captured]:
    """Collect the final :class:`httpx2.Response` of each request sent in this thread /
    task until exit, with the seconds its last attempt took (``with_raw_response``)."""
    captured: Captured = []
    token = _CAPTURE.set(captured)
    try:
        yield captured
    finally:
        _CAPTURE.reset(token)


@contextmanager
def call_options(options: CallOptions) -> Iterator[CallOptions]:
    """Make ``options`` apply to requests sent in this thread / task until exit."""
    token = _CURRENT.set(options)
    try:
        yield options
    finally:
        _CURRENT.reset(token)


_DECODE_STEP = 1024
"""Compressed bytes handed to the decoder at a time: one step inflates to about 1 MiB
at most (deflate's ratio is ~1032:1), so the cap is checked before memory runs away."""


def _origin(url: httpx2.URL) -> tuple[str, str, int]:
    port = url.port
    if port is None:
        port = 443 if url.scheme == "https" else 80
    return url.scheme, url.host, port


class _BodyTooLarge(Exception):
    """The body passed the cap; :meth:`prefix` joins what was read (at most the cap)."""

    def __init__(self, chunks: list[bytes], limit: int) -> None:
        super().__init__()
        self.chunks = chunks
        self.limit = limit

    def prefix(self) -> bytes:
        return b"".join(self.chunks)[: self.limit]


class _BodyReader:
    """Reads a response body in steps: decoded size capped, deadline checked per chunk.

    ``deadline`` is checked between chunks only for transports whose sockets the
    deadline does not bound (not an httpx2 one; ``None`` otherwise): a slow body still
    ends soon after it. ``pending`` is false for a response whose body was already
    read (a mock transport's): then :meth:`finish` leaves it as it is.
    """

    __slots__ = ("chunks", "deadline", "decoder", "limit", "pending", "response", "size")

    def __init__(self, response: httpx2.Response, limit: int, deadline: Optional[Deadline]) -> None:
        self.response = response
        self.limit = limit
        self.deadline = deadline
        self.pending = not response.is_stream_consumed
        self.size = 0
        self.chunks: list[bytes] = []
        encoding = response.headers.get("content-encoding")
        self.decoder = (
            response._get_content_decoder()
            if encoding and encoding.strip().lower() != "identity"
            else None
        )
        if not self.pending:
            self.add(response.content)

    def feed(self, raw: bytes) -> None:
        """Take the next raw chunk off the wire."""
        self.add(raw)
        if self.deadline is not None and self.deadline.expired:
            raise httpx2.ReadTimeout("the call's deadline passed while reading the body")

    def add(self, raw: bytes) -> None:
        if self.decoder is None:
            self._add(raw)
        else:
            # httpx2's decoders yield their output in pieces (an iterator each call).
            decode = self.decoder.decode
            for start in range(0, len(raw), _DECODE_STEP):
                for piece in decode(raw[start : start + _DECODE_STEP]):
                    self._add(piece)

    def finish(self) -> None:
        """The whole body arrived: it becomes the response's content."""
        if not self.pending:
            return
        if self.decoder is not None:
            for piece in self.decoder.flush():
                self._add(piece)
        chunks = self.chunks
        self.response._content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()  # the loop keeps the reader: it must not keep a second copy

    def _add(self, data: bytes) -> None:
        if data:
            self.size += len(data)
            self.chunks.append(data)
            if self.size > self.limit:
                raise _BodyTooLarge(self.chunks, self.limit)


def _is_task_path(path: str) -> bool:
    return path.rstrip("/").endswith("/v1/task")


class _Core:
    """What the sync and async transports share: configuration, auth, the open flag."""

    def __init__(
        self,
        keys: KeyRing,
        timeout: float,
        max_retries: int,
        clock: Callable[[], float],
        rng: Callable[[], float],
        origin: Optional[str],
        max_response_bytes: int,
    ) -> None:
        self.keys = keys
        self.timeout = timeout
        self.max_retries = max_retries
        self.clock = clock
        self.rng = rng
        base = httpx2.URL(origin) if origin is not None else None
        self.origin = _origin(base) if base is not None else None
        # The usual request (base_url joined with a path) matches these exactly.
        self.origin_fast = (base.scheme, base.netloc) if base is not None else None
        # A 404 under a base_url that ends in /v1 (the SDK adds /v1 itself) says so.
        self.not_found_hint = (
            V1_HINT if base is not None and base.path.rstrip("/").endswith("/v1") else ""
        )
        self.max_response_bytes = max_response_bytes
        self.bounded = False  # sockets bounded by the deadline (an httpx2 transport's pool)
        self.closed = False

    def begin(self, request: httpx2.Request) -> _Call:
        """The state of one request through the transport (auth applied)."""
        opts = _CURRENT.get()
        if opts is None:
            opts = CallOptions(
                deadline=Deadline(
                    None if math.isinf(self.timeout) else self.timeout, clock=self.clock
                ),
                max_retries=self.max_retries,
            )
        if opts.extra_query is not None or opts.extra_body is not None:
            request = with_extras(request, opts.extra_query, opts.extra_body)
        provider = self.authorize(request, opts)
        return _Call(self, request, opts, provider)

    def authorize(self, request: httpx2.Request, opts: CallOptions) -> Optional[KeySource]:
        """Set the key and extra headers; returns the key provider to call per attempt."""
        url = request.url
        provider: Optional[KeySource] = None
        if (
            self.origin is not None
            and (url.scheme, url.netloc) != self.origin_fast
            and _origin(url) != self.origin
        ):
            # Another origin (a redirect followed by the user's httpx2 client, an
            # absolute URL): never the key. httpx2 already dropped any it carried.
            request.headers.pop("Authorization", None)
        else:
            key = opts.api_key if opts.api_key is not None else self.keys.default_source()
            if isinstance(key, str):
                request.headers["Authorization"] = f"Bearer {key}"
            elif key is not None:
                provider = key  # called for each attempt (_Call.attempt)
        if opts.extra_headers:
            for name, value in opts.extra_headers.items():
                request.headers[name] = value
        return provider

    def check_open(self, request: httpx2.Request, cause: Optional[BaseException] = None) -> None:
        """Raise :class:`ClientClosedError` once the client was closed (nothing re-sent)."""
        if self.closed:
            err = ClientClosedError(
                f"{request.method} {request_url(request.url)}: the client was closed during "
                "the call",
                method=request.method,
                url=request_url(request.url),
            )
            if cause is not None:
                raise err from cause
            raise err


class _Call:
    """One request through a retry transport: the retry loop's state, and no I/O.

    The sync and async transports are the same thin loop around it; only sending,
    reading the body, closing the response and sleeping are theirs::

        with core.begin(request) as call:
            while True:
                attempt = call.attempt()          # raises: closed, deadline passed
                response = None
                try:
                    response = send(attempt)
                    reader = call.received(response)
                    ... feed reader.pending body chunks, reader.finish()
                except Exception as exc:
                    close(response)
                    call.failed(exc, response)       # raises, or sets call.delay
                else:
                    if call.succeeded(response):     # raises, or sets call.delay
                        return response
                sleep(call.delay)

    What failed is mapped by :mod:`~claude_client._errors`; whether and when to try
    again is the :class:`~claude_client._retry.RetryState`'s decision.
    """

    __slots__ = (
        "core",
        "delay",
        "key_provider",
        "opts",
        "original_timeout",
        "request",
        "retry",
        "sent",
        "start",
        "task",
        "token",
    )

    def __init__(
        self,
        core: _Core,
        request: httpx2.Request,
        opts: CallOptions,
        key_provider: Optional[KeySource] = None,
    ) -> None:
        self.core = core
        self.request = request
        self.opts = opts
        self.key_provider = key_provider
        self.task = opts.task if opts.task is not None else _is_task_path(request.url.path)
        self.original_timeout = dict(request.extensions.get("timeout") or {})
        limit = opts.service_limit
        self.sent = limit.sent if limit is not None else 0.0
        self.retry = RetryState(
            opts.deadline,
            opts.max_retries,
            need=(
                MIN_ATTEMPT_SECONDS
                if limit is None
                else limit.margin + limit.wait_extra + SERVICE_TIMEOUT_MIN
            ),
            retry_overloaded=opts.retry_overloaded,
            rng=core.rng,
        )
        self.start = 0.0
        self.delay = 0.0  # seconds to sleep before the next attempt
        self.token: Optional[contextvars.Token[Optional[Deadline]]] = None

    def __enter__(self) -> _Call:
        self.token = DEADLINE.set(self.opts.deadline)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.token is not None:
            DEADLINE.reset(self.token)

    # ------------------------------------------------------------------ one attempt

    def attempt(self) -> httpx2.Request:
        """The request to send next: timeouts capped to the deadline, service timeout fitted."""
        request = self.request
        self.core.check_open(request)
        opts = self.opts
        remaining = opts.deadline.remaining()
        if remaining <= 0:
            url = request_url(request.url)
            raise APITimeoutError(
                f"{request.method} {url}: the call's deadline of "
                f"{opts.deadline.timeout:g} s passed before attempt {self.retry.attempts + 1}",
                method=request.method,
                url=url,
            )
        if not math.isinf(remaining):
            capped = {}
            for name in _TIMEOUT_KEYS:
                value = self.original_timeout.get(name)
                capped[name] = remaining if value is None else min(value, remaining)
            request.extensions["timeout"] = capped
            limit = opts.service_limit
            if limit is not None:
                value = limit.fit(remaining)
                if value < self.sent - limit.margin / 2:
                    request = self.request = _with_service_timeout(request, limit, value)
                    self.sent = value
        if self.key_provider is not None:
            # A rotating key: asked for each attempt, never kept past it.
            request.headers["Authorization"] = f"Bearer {resolve_key(self.key_provider)}"
        self.retry.started()
        self.start = self.core.clock()
        if _telemetry.ACTIVE:  # opentelemetry is importable: send the trace context
            _telemetry.inject(request)
        return request

    def received(self, response: httpx2.Response) -> _BodyReader:
        """The status line arrived: log it; the reader the body is read into (it checks
        the deadline between chunks unless the sockets are bounded by it)."""
        self._log_attempt(response)
        deadline = None if self.core.bounded else self.opts.deadline
        return _BodyReader(response, self.core.max_response_bytes, deadline)

    def succeeded(self, response: httpx2.Response) -> bool:
        """After a whole answer: ``True`` to return it; else raise, or :attr:`delay` is set."""
        self.core.check_open(self.request)
        if response.status_code < 400:
            refused = task_refusal(self.request, response) if self.task else None
            if refused is None:
                if _telemetry.ACTIVE:
                    self._traced(response.status_code, None, None, response)
                return True
            # Retried like the pool's 503; when retries run out the 200 goes back
            # to the caller, whose parser raises TaskFailedError.
            decision = self.retry.after(refused)
            if _telemetry.ACTIVE:
                self._traced(response.status_code, refused.error, decision.delay, response)
            if decision.delay is None:
                self._log_give_up(refused.error, decision.reason)
                return True
            self._log_retry(refused.error, decision.delay)
            self.delay = decision.delay
            return False
        failure = failure_from_response(
            self.request, response, task=self.task, hint=self.core.not_found_hint
        )
        self._next(failure, failure.error)
        return False

    def returned(self, response: httpx2.Response) -> httpx2.Response:
        """``response`` goes back to the caller (kept when raw responses are captured)."""
        captured = _CAPTURE.get()
        if captured is not None:
            captured.append((response, self.core.clock() - self.start))
        return response

    def failed(self, exc: Exception, response: Optional[httpx2.Response]) -> None:
        """After an exception (``response``: the one whose body failed): raise, or set
        :attr:`delay`."""
        request = self.request
        cause: BaseException = exc
        if isinstance(exc, _BodyTooLarge) and response is not None:
            limit = self.core.max_response_bytes
            prefix = exc.prefix() if response.status_code >= 400 else b""
            exc.chunks.clear()  # free the partial body before the error travels up
            failure = error_body_too_large(
                request, response, prefix, limit, task=self.task, hint=self.core.not_found_hint
            )
            cause = failure.error
        elif isinstance(exc, httpx2.DecodingError) and response is not None:
            raise error_bad_encoding(request, response, exc) from None
        elif isinstance(exc, httpx2.TransportError):
            self.core.check_open(request, exc)
            if response is None:
                self._log_attempt(None)
            failure = failure_from_httpx(
                exc,
                request,
                task=self.task,
                deadline=self.opts.deadline,
                attempt=self.retry.attempts,
                elapsed=self.core.clock() - self.start,
                answered=response is not None,
            )
        else:
            raise exc  # not a failure of the wire: the caller's or a bug, as it is
        self._next(failure, cause)

    def _next(self, failure: Failure, cause: BaseException) -> None:
        """Raise ``failure``'s error, or set :attr:`delay` before the next attempt."""
        decision = self.retry.after(failure)
        err = failure.error
        if _telemetry.ACTIVE:
            self._traced(err.status_code, err, decision.delay, None)
        if decision.delay is None:
            self._log_give_up(err, decision.reason)
            if cause is err:
                raise err
            raise err from cause
        self._log_retry(err, decision.delay)
        self.delay = decision.delay

    def _traced(
        self,
        status: Optional[int],
        error: Optional[ClaudeAPIError],
        delay: Optional[float],
        response: Optional[httpx2.Response],
    ) -> None:
        """The attempt's event on the call's span (retries are events, not child spans)."""
        request_id = (
            response.headers.get("x-request-id")
            if response is not None
            else (error.request_id if error is not None else None)
        )
        _telemetry.attempt_ended(self.retry.attempts, status, error, delay, request_id)

    # ------------------------------------------------------------------ logging

    def _log_attempt(self, response: Optional[httpx2.Response]) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            request = self.request
            elapsed = self.core.clock() - self.start
            attempt = self.retry.attempts
            status = response.status_code if response is not None else None
            request_id = response.headers.get("x-request-id") if response is not None else None
            logger.debug(
                "%s %s -> %s in %.1f ms (attempt %d, request id %s)",
                request.method,
                request.url.path,
                status if status is not None else "no response",
                elapsed * 1000,
                attempt,
                request_id or "-",
                extra={
                    "method": request.method,
                    "path": request.url.path,
                    "status": status,
                    "elapsed": elapsed,
                    "attempt": attempt,
                    "request_id": request_id,
                },
            )

    def _log_give_up(self, err: ClaudeAPIError, reason: str) -> None:
        request = self.request
        status = err.status_code if err.status_code is not None else type(err).__name__
        if reason == GIVE_UP_RETRY_AFTER:
            logger.info(
                "Not retrying %s %s after %s: Retry-After %.0f s is longer than allowed",
                request.method,
                request.url.path,
                status,
                err.retry_after or 0.0,
            )
        elif reason == GIVE_UP_DEADLINE:
            logger.info(
                "Not retrying %s %s after %s: %.2f s left of the call's deadline",
                request.method,
                request.url.path,
                status,
                self.opts.deadline.remaining(),
            )

    def _log_retry(self, err: ClaudeAPIError, delay: float) -> None:
        request = self.request
        status = err.status_code if err.status_code is not None else type(err).__name__
        logger.info(
            "Retrying %s %s after %s (attempt %d of %d) in %.2f s",
            request.method,
            request.url.path,
            status,
            self.retry.attempts + 1,
            self.opts.max_retries + 1,
            delay,
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": err.status_code,
                "attempt": self.retry.attempts,
                "delay": delay,
            },
        )


def _with_service_timeout(
    request: httpx2.Request, limit: ServiceLimit, value: float
) -> httpx2.Request:
    """``request`` with its JSON body's ``timeout`` set to ``value``."""
    try:
        body = json.loads(request.content)
    except (ValueError, httpx2.RequestNotRead):
        return request
    if not isinstance(body, dict):
        return request
    body["timeout"] = int(value) if limit.integer else value
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    raw = content.encode("utf-8")
    headers = request.headers.copy()
    headers["Content-Length"] = str(len(raw))
    return httpx2.Request(
        request.method,
        request.url,
        headers=headers,
        content=raw,
        extensions=request.extensions,
    )


class RetryTransport(httpx2.BaseTransport):
    """Sync transport: auth, per-call deadline, retries and error mapping (see module doc).

    ``origin``: the base URL whose origin alone receives the key (``None``: any, for
    tests). ``max_response_bytes``: the body cap (decompressed). ``owns_inner``:
    whether :meth:`close` closes ``inner`` (not for a view sharing another's pool).
    """

    def __init__(
        self,
        inner: Optional[httpx2.BaseTransport] = None,
        *,
        keys: KeyRing,
        timeout: float,
        max_retries: int,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        origin: Optional[str] = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        owns_inner: bool = True,
    ) -> None:
        self._inner = inner if inner is not None else httpx2.HTTPTransport()
        self._backend: Optional[DeadlineBackend] = install_backend(self._inner, DeadlineBackend)
        self._core = _Core(keys, timeout, max_retries, clock, rng, origin, max_response_bytes)
        self._core.bounded = self._backend is not None
        self._sleep = sleep
        self._owns_inner = owns_inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        # The body is read here, for successes too, so a connection cut off mid-body
        # is an error of ours (and retried as one), never a bare httpx2 error raised
        # later while the caller reads the response.
        with self._core.begin(request) as call:
            while True:
                attempt = call.attempt()
                response = None
                try:
                    response = self._inner.handle_request(attempt)
                    reader = call.received(response)
                    if reader.pending:
                        for raw in response.iter_raw():
                            reader.feed(raw)
                    reader.finish()
                except Exception as exc:
                    if response is not None:
                        response.close()
                    call.failed(exc, response)
                else:
                    if call.succeeded(response):
                        return call.returned(response)
                self._sleep(call.delay)

    def close(self) -> None:
        """Refuse further requests, wake calls blocked on a socket, close the pool.

        With ``owns_inner=False`` (a ``with_options`` view) only this transport
        refuses requests: the shared pool stays open for its owner.
        """
        self._core.closed = True
        if not self._owns_inner:
            return
        if self._backend is not None:
            self._backend.shutdown_all()
        self._inner.close()


class AsyncRetryTransport(httpx2.AsyncBaseTransport):
    """Async twin of :class:`RetryTransport` (``sleep`` is an async callable)."""

    def __init__(
        self,
        inner: Optional[httpx2.AsyncBaseTransport] = None,
        *,
        keys: KeyRing,
        timeout: float,
        max_retries: int,
        sleep: Optional[Callable[[float], Awaitable[None]]] = None,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        origin: Optional[str] = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        owns_inner: bool = True,
    ) -> None:
        if sleep is None:
            import asyncio

            sleep = asyncio.sleep
        self._inner = inner if inner is not None else httpx2.AsyncHTTPTransport()
        self._backend: Optional[AsyncDeadlineBackend] = install_backend(
            self._inner, AsyncDeadlineBackend
        )
        self._core = _Core(keys, timeout, max_retries, clock, rng, origin, max_response_bytes)
        self._core.bounded = self._backend is not None
        self._sleep = sleep
        self._owns_inner = owns_inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        with self._core.begin(request) as call:
            while True:
                attempt = call.attempt()
                response = None
                try:
                    response = await self._inner.handle_async_request(attempt)
                    reader = call.received(response)
                    if reader.pending:
                        async for raw in response.aiter_raw():
                            reader.feed(raw)
                    reader.finish()
                except Exception as exc:
                    if response is not None:
                        await response.aclose()
                    call.failed(exc, response)
                else:
                    if call.succeeded(response):
                        return call.returned(response)
                await self._sleep(call.delay)

    async def aclose(self) -> None:
        """Refuse further requests and close the pool (not a shared one: see ``close``)."""
        self._core.closed = True
        if self._owns_inner:
            await self._inner.aclose()
