"""httpx transports that give every request the SDK's auth, deadline, retries and errors.

:class:`RetryTransport` / :class:`AsyncRetryTransport` wrap an inner transport
(by default ``httpx.HTTPTransport()`` / ``httpx.AsyncHTTPTransport()``). They sit
under the pool that the facade *and* the generated client share, so a generated
endpoint called through ``client.generated`` behaves exactly like a facade method.

For each request they:

* set ``Authorization: Bearer <key>``: the key of the call's project (from the
  per-call :class:`CallOptions`) or the client's default key. The key lives in a
  :class:`~claude_client._config.KeyRing` (whose repr hides it), never in the
  httpx client's default headers nor in the generated client;
* read per-call options from a :class:`contextvars.ContextVar` the facade sets for
  the duration of a call (:func:`call_options`). Without it (a direct generated
  call) the client's defaults apply. Context variables are per thread and per
  asyncio task, so one client can serve many threads / tasks at once;
* enforce one :class:`~claude_client._retry.Deadline` per call over all attempts
  and backoff sleeps: each attempt's httpx timeouts are capped to what remains,
  no retry starts unless its sleep plus a useful attempt still fit, and for chat
  the body's ``timeout`` field (the service-side limit) is lowered on a retry so
  the service gives up before the client does;
* retry per :mod:`claude_client._retry` (agentic tasks, ``/v1/task``, use the
  strict policy); ``sleep`` / ``clock`` / ``rng`` are injectable for tests;
* turn every final failure into the SDK's hierarchy: status >= 400 ->
  :func:`~claude_client._exceptions.error_from_response` (so non-IANA codes like
  520 never reach the generated layer, whose ``HTTPStatus(520)`` would raise),
  ``httpx.TimeoutException`` -> :class:`TimeoutError`, any other
  ``httpx.TransportError`` -> :class:`APIConnectionError`; the httpx exception is
  kept as ``__cause__``;
* log on the ``claude_client`` logger: every retry at INFO (method, path, status,
  attempt, delay), every attempt at DEBUG (method, path, status, elapsed,
  ``X-Request-ID``). Header values are never logged.

Against hostile or broken servers (issue 11):

* the key goes only to the origin (scheme, host, port) of ``base_url``: a request
  to any other origin (an httpx client that follows a redirect elsewhere, an
  absolute URL) is sent without it;
* the body is read here, incrementally, decompressed in small steps, and capped at
  ``max_response_bytes`` (decompressed): over it the call fails with
  :class:`ResponseValidationError` and memory stays near the cap; a bad
  ``Content-Encoding`` is a :class:`ResponseValidationError` too;
* every socket operation of an httpx transport it wraps is bounded by the call's
  deadline (:class:`_DeadlineBackend`, installed into the transport's connection
  pool), so a server trickling headers or a body byte by byte cannot stretch a call
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
import os
import random
import socket
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import httpx

from ._config import DEFAULT_MAX_RESPONSE_BYTES, KeyRing
from ._exceptions import (
    APIConnectionError,
    ClaudeAPIError,
    ClientClosedError,
    ResponseValidationError,
    TaskFailedError,
    TimeoutError,
    error_from_response,
)
from ._logging import logger
from ._retry import (
    MAX_OVERLOAD_RETRIES,
    OVERLOADED_PREFIX,
    Deadline,
    backoff_delay,
    is_pool_overloaded,
    is_retryable_connection_error,
    is_retryable_status,
    overload_delay,
)

__all__ = [
    "AsyncRetryTransport",
    "CallOptions",
    "RetryTransport",
    "call_options",
    "current_options",
]

SERVICE_TIMEOUT_DEFAULT = 30.0
"""The service's default ``timeout`` for chat and batch when the body omits it."""
SERVICE_TIMEOUT_MIN = 1.0
SERVICE_TIMEOUT_MAX = 300.0
MIN_ATTEMPT_SECONDS = 0.25
"""A retry starts only if at least this much time is left after its sleep."""

_TIMEOUT_KEYS = ("connect", "read", "write", "pool")


@dataclass(slots=True)
class CallOptions:
    """Options of one facade call, visible to the transport through a context variable.

    ``api_key`` is ``None`` for "the client's default key" and is left out of repr.
    ``task`` forces the agentic-task retry policy (``None``: decided by the path).
    When ``service_timeout_margin`` is set, each attempt's JSON body ``timeout``
    is kept <= ``remaining - margin`` (bounded 1..300); ``service_timeout`` is
    what the caller asked for (``None``: the service default, 30 s).
    ``retry_overloaded=False`` hands the worker pool's 503 refusal straight back
    (``batch()`` paces its chunks itself). ``attempts`` and ``overloads`` (pool
    refusals met) are filled in by the transport.
    """

    deadline: Deadline
    max_retries: int
    api_key: Optional[str] = field(default=None, repr=False)
    extra_headers: Optional[Mapping[str, str]] = None
    task: Optional[bool] = None
    service_timeout: Optional[float] = None
    service_timeout_margin: Optional[float] = None
    retry_overloaded: bool = True
    attempts: int = 0
    overloads: int = 0


_CURRENT: contextvars.ContextVar[Optional[CallOptions]] = contextvars.ContextVar(
    "claude_client_call_options", default=None
)


def current_options() -> Optional[CallOptions]:
    return _CURRENT.get()


@contextmanager
def call_options(options: CallOptions) -> Iterator[CallOptions]:
    """Make ``options`` apply to requests sent in this thread / task until exit."""
    token = _CURRENT.set(options)
    try:
        yield options
    finally:
        _CURRENT.reset(token)


_DEADLINE: contextvars.ContextVar[Optional[Deadline]] = contextvars.ContextVar(
    "claude_client_socket_deadline", default=None
)
"""The deadline of the call whose requests this thread / task is sending (see
:class:`_DeadlineBackend`); ``None`` outside a call."""

_DECODE_STEP = 1024
"""Compressed bytes handed to the decoder at a time: one step inflates to about 1 MiB
at most (deflate's ratio is ~1032:1), so the cap is checked before memory runs away."""


def _clamp(timeout: Optional[float], error: str) -> Optional[float]:
    """``timeout`` lowered to what remains of the current call's deadline.

    ``error`` names the httpcore timeout raised when nothing remains (imported only
    then: this runs on every socket read and write).
    """
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline.remaining()
    if left <= 0:
        import httpcore

        raise getattr(httpcore, error)("the call's deadline passed")
    return left if timeout is None or left < timeout else timeout


class _DeadlineStream:
    """An httpcore network stream whose every read / write ends by the call's deadline.

    It also remembers the process that opened it: after ``os.fork()`` the child sees
    it as closed by the server (``is_readable``), so httpcore drops the inherited
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


class _DeadlineBackend:
    """httpcore network backend wrapping another: its streams are :class:`_DeadlineStream`."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.streams: weakref.WeakSet[_DeadlineStream] = weakref.WeakSet()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: Optional[float] = None,
        local_address: Optional[str] = None,
        socket_options: Optional[Iterable[Any]] = None,
    ) -> _DeadlineStream:
        stream = self._backend.connect_tcp(
            host,
            port,
            _clamp(timeout, "ConnectTimeout"),
            local_address,
            socket_options,
        )
        return _DeadlineStream(stream, self.streams)

    def connect_unix_socket(
        self,
        path: str,
        timeout: Optional[float] = None,
        socket_options: Optional[Iterable[Any]] = None,
    ) -> _DeadlineStream:
        stream = self._backend.connect_unix_socket(
            path, _clamp(timeout, "ConnectTimeout"), socket_options
        )
        return _DeadlineStream(stream, self.streams)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)

    def shutdown_all(self) -> None:
        for stream in list(self.streams):
            stream.shutdown()


class _AsyncDeadlineBackend:
    """Async twin of :class:`_DeadlineBackend`."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: Optional[float] = None,
        local_address: Optional[str] = None,
        socket_options: Optional[Iterable[Any]] = None,
    ) -> _AsyncDeadlineStream:
        stream = await self._backend.connect_tcp(
            host,
            port,
            _clamp(timeout, "ConnectTimeout"),
            local_address,
            socket_options,
        )
        return _AsyncDeadlineStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: Optional[float] = None,
        socket_options: Optional[Iterable[Any]] = None,
    ) -> _AsyncDeadlineStream:
        stream = await self._backend.connect_unix_socket(
            path, _clamp(timeout, "ConnectTimeout"), socket_options
        )
        return _AsyncDeadlineStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def _install_backend(transport: object, backend_cls: type[Any]) -> Any:
    """Put a deadline backend under an httpx transport's connection pool, if it has one.

    Works for ``httpx.HTTPTransport`` / ``AsyncHTTPTransport`` (and their proxy
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


def _origin(url: httpx.URL) -> tuple[str, str, int]:
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
    """Reads a response body in steps: decoded size capped, deadline checked per chunk."""

    __slots__ = ("chunks", "deadline", "decoder", "limit", "size")

    def __init__(self, response: httpx.Response, limit: int, deadline: Deadline) -> None:
        self.limit = limit
        self.deadline = deadline
        self.size = 0
        self.chunks: list[bytes] = []
        encoding = response.headers.get("content-encoding")
        self.decoder = (
            response._get_content_decoder()
            if encoding and encoding.strip().lower() != "identity"
            else None
        )

    def feed(self, raw: bytes, *, check_deadline: bool) -> None:
        """Take the next raw chunk off the wire.

        ``check_deadline``: for transports whose sockets the deadline does not bound
        (not an httpx one): a slow body still ends soon after the deadline.
        """
        self.add(raw)
        if check_deadline and self.deadline.expired:
            raise httpx.ReadTimeout("the call's deadline passed while reading the body")

    def add(self, raw: bytes) -> None:
        if self.decoder is None:
            self._add(raw)
        else:
            decode = self.decoder.decode
            for start in range(0, len(raw), _DECODE_STEP):
                self._add(decode(raw[start : start + _DECODE_STEP]))

    def finish(self) -> bytes:
        if self.decoder is not None:
            self._add(self.decoder.flush())
        return self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)

    def _add(self, data: bytes) -> None:
        if data:
            self.size += len(data)
            self.chunks.append(data)
            if self.size > self.limit:
                raise _BodyTooLarge(self.chunks, self.limit)


def _is_task_path(path: str) -> bool:
    return path.rstrip("/").endswith("/v1/task")


def _detail(body: Any) -> Any:
    return body.get("detail") if isinstance(body, Mapping) else None


class _Core:
    """What the sync and async transports share: everything but the I/O."""

    def __init__(
        self,
        *,
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
        base = httpx.URL(origin) if origin is not None else None
        self.origin = _origin(base) if base is not None else None
        # The usual request (base_url joined with a path) matches these exactly.
        self.origin_fast = (base.scheme, base.netloc) if base is not None else None
        self.max_response_bytes = max_response_bytes
        self.closed = False

    def options(self) -> CallOptions:
        opts = _CURRENT.get()
        if opts is None:
            opts = CallOptions(
                deadline=Deadline(
                    None if math.isinf(self.timeout) else self.timeout, clock=self.clock
                ),
                max_retries=self.max_retries,
            )
        return opts

    def authorize(self, request: httpx.Request, opts: CallOptions) -> None:
        url = request.url
        if (
            self.origin is not None
            and (url.scheme, url.netloc) != self.origin_fast
            and _origin(url) != self.origin
        ):
            # Another origin (a redirect followed by the user's httpx client, an
            # absolute URL): never the key. httpx already dropped any it carried.
            request.headers.pop("Authorization", None)
        else:
            key = opts.api_key if opts.api_key is not None else self.keys.default_key()
            if key is not None:
                request.headers["Authorization"] = f"Bearer {key}"
        if opts.extra_headers:
            for name, value in opts.extra_headers.items():
                request.headers[name] = value

    def check_open(self, request: httpx.Request, cause: Optional[BaseException] = None) -> None:
        """Raise :class:`ClientClosedError` once the client was closed (nothing re-sent)."""
        if self.closed:
            err = ClientClosedError(
                f"{request.method} {request.url.path}: the client was closed during the call"
            )
            if cause is not None:
                raise err from cause
            raise err

    def body_reader(self, response: httpx.Response, opts: CallOptions) -> _BodyReader:
        return _BodyReader(response, self.max_response_bytes, opts.deadline)

    def body_too_large(
        self, request: httpx.Request, response: httpx.Response, exc: _BodyTooLarge, task: bool
    ) -> tuple[ClaudeAPIError, bool]:
        """An error status keeps its class (from the body's first bytes); a success fails."""
        limit = self.max_response_bytes
        chunks = exc.chunks
        if response.status_code >= 400:
            response._content = exc.prefix()
            err, retryable, _ = self.error_for_response(request, response, task)
            err.message += f" (body over max_response_bytes={limit}, not read whole)"
            return err, retryable
        chunks.clear()  # free the partial body before the error travels up
        return (
            ResponseValidationError(
                f"{request.method} {request.url.path}: the response body is larger than "
                f"max_response_bytes={limit} bytes (after decompression); reading stopped. "
                "Pass max_response_bytes= to the client to allow more",
                status_code=response.status_code,
                headers=response.headers,
                request_id=response.headers.get("x-request-id"),
            ),
            False,
        )

    @staticmethod
    def bad_encoding(
        request: httpx.Request, response: httpx.Response, exc: httpx.DecodingError
    ) -> ClaudeAPIError:
        encoding = response.headers.get("content-encoding", "")
        return ResponseValidationError(
            f"{request.method} {request.url.path}: the response body could not be decoded "
            f"(Content-Encoding {encoding[:50]!r}): {str(exc)[:200]}",
            status_code=response.status_code,
            headers=response.headers,
            request_id=response.headers.get("x-request-id"),
        )

    def need(self, opts: CallOptions) -> float:
        if opts.service_timeout_margin is not None:
            return opts.service_timeout_margin + SERVICE_TIMEOUT_MIN
        return MIN_ATTEMPT_SECONDS

    def attempt_request(
        self, request: httpx.Request, opts: CallOptions, original_timeout: Mapping[str, Any]
    ) -> httpx.Request:
        """The request for this attempt: timeouts capped, service timeout adjusted."""
        remaining = opts.deadline.remaining()
        if remaining <= 0:
            raise TimeoutError(
                f"{request.method} {request.url.path}: the call's deadline of "
                f"{opts.deadline.timeout:g} s passed before attempt {opts.attempts + 1}"
            )
        if not math.isinf(remaining):
            capped = {}
            for name in _TIMEOUT_KEYS:
                value = original_timeout.get(name)
                capped[name] = remaining if value is None else min(value, remaining)
            request.extensions["timeout"] = capped
        if opts.service_timeout_margin is not None and not math.isinf(remaining):
            request = self._fit_service_timeout(request, opts, remaining)
        return request

    def _fit_service_timeout(
        self, request: httpx.Request, opts: CallOptions, remaining: float
    ) -> httpx.Request:
        assert opts.service_timeout_margin is not None
        wanted = (
            opts.service_timeout if opts.service_timeout is not None else SERVICE_TIMEOUT_DEFAULT
        )
        allowed = remaining - opts.service_timeout_margin
        if allowed >= wanted - 1.0:
            # The usual first attempt (its deadline is wanted + margin): nothing to change.
            # The 1 s slack keeps a retry's ask below ``remaining`` (margin > 1 s).
            return request
        new_value = max(
            SERVICE_TIMEOUT_MIN, min(SERVICE_TIMEOUT_MAX, math.floor(allowed * 10) / 10)
        )
        try:
            body = json.loads(request.content)
        except (ValueError, httpx.RequestNotRead):
            return request
        if not isinstance(body, dict) or body.get("timeout") == new_value:
            return request
        body["timeout"] = new_value
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        raw = content.encode("utf-8")
        headers = request.headers.copy()
        headers["Content-Length"] = str(len(raw))
        return httpx.Request(
            request.method,
            request.url,
            headers=headers,
            content=raw,
            extensions=request.extensions,
        )

    @staticmethod
    def map_transport_error(
        exc: httpx.TransportError, request: httpx.Request, opts: CallOptions, elapsed: float
    ) -> tuple[ClaudeAPIError, bool]:
        """(our exception, whether the request may have reached the service)."""
        where = f"{request.method} {request.url.path}"
        sent = not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
        err: ClaudeAPIError
        if isinstance(exc, httpx.TimeoutException):
            kind = type(exc).__name__
            if opts.deadline.expired:
                err = TimeoutError(
                    f"{where}: no answer within the call's timeout of "
                    f"{opts.deadline.timeout:g} s ({kind}, attempt {opts.attempts})"
                )
            else:
                err = TimeoutError(
                    f"{where} timed out ({kind}) after {elapsed:.2f} s on attempt {opts.attempts}"
                )
        else:
            reason = str(exc) or type(exc).__name__
            err = APIConnectionError(f"{where}: connection failed: {reason}")
        return err, sent

    def log_attempt(
        self,
        request: httpx.Request,
        response: Optional[httpx.Response],
        elapsed: float,
        opts: CallOptions,
    ) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            status = response.status_code if response is not None else None
            request_id = response.headers.get("x-request-id") if response is not None else None
            logger.debug(
                "%s %s -> %s in %.1f ms (attempt %d, request id %s)",
                request.method,
                request.url.path,
                status if status is not None else "no response",
                elapsed * 1000,
                opts.attempts,
                request_id or "-",
                extra={
                    "method": request.method,
                    "path": request.url.path,
                    "status": status,
                    "elapsed": elapsed,
                    "attempt": opts.attempts,
                    "request_id": request_id,
                },
            )

    def retry_delay(
        self,
        request: httpx.Request,
        opts: CallOptions,
        err: ClaudeAPIError,
        retryable: bool,
        overloaded: bool = False,
    ) -> Optional[float]:
        """Seconds to sleep before the next attempt, or ``None`` to raise ``err``.

        A worker-pool refusal (``overloaded``) has its own allowance and backoff
        (``_retry`` module doc); other failures count against ``max_retries``.
        """
        if overloaded:
            opts.overloads += 1
            if not opts.retry_overloaded:
                return None
        failures = opts.attempts - opts.overloads
        if not retryable or opts.max_retries <= 0 or failures > opts.max_retries:
            return None
        if overloaded:
            if opts.overloads > MAX_OVERLOAD_RETRIES:
                return None
            delay = (
                overload_delay(opts.overloads - 1, rng=self.rng)
                if err.retry_after is None
                else backoff_delay(0, retry_after=err.retry_after)
            )
        else:
            delay = backoff_delay(failures - 1, retry_after=err.retry_after, rng=self.rng)
        status: Union[int, str] = (
            err.status_code if err.status_code is not None else type(err).__name__
        )
        if math.isinf(delay):
            logger.info(
                "Not retrying %s %s after %s: Retry-After %.0f s is longer than allowed",
                request.method,
                request.url.path,
                status,
                err.retry_after or 0.0,
            )
            return None
        if not opts.deadline.can_fit(delay, self.need(opts)):
            logger.info(
                "Not retrying %s %s after %s: %.2f s left of the call's deadline",
                request.method,
                request.url.path,
                status,
                opts.deadline.remaining(),
            )
            return None
        logger.info(
            "Retrying %s %s after %s (attempt %d of %d) in %.2f s",
            request.method,
            request.url.path,
            status,
            opts.attempts + 1,
            opts.max_retries + 1,
            delay,
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": err.status_code,
                "attempt": opts.attempts,
                "delay": delay,
            },
        )
        return delay

    def error_for_response(
        self, request: httpx.Request, response: httpx.Response, task: bool
    ) -> tuple[ClaudeAPIError, bool, bool]:
        """(our exception, whether to retry it, whether it is the pool's refusal)."""
        err = error_from_response(
            response.status_code,
            response.headers,
            response.content,
            method=request.method,
            path=request.url.path,
        )
        detail = _detail(err.body)
        retryable = is_retryable_status(
            response.status_code, detail, task=task, retry_after=err.retry_after
        )
        return err, retryable, response.status_code == 503 and is_pool_overloaded(detail)

    @staticmethod
    def task_refused(request: httpx.Request, response: httpx.Response) -> Optional[ClaudeAPIError]:
        """A ``/v1/task`` 200 whose task the pool refused (status ``failed``, ``result.error``
        ``Worker pool overloaded: ...``): proof it never ran, so it may be retried."""
        content = response.content
        if OVERLOADED_PREFIX.encode() not in content[:4096]:
            return None
        try:
            body = json.loads(content)
            error = body["result"]["error"] if body.get("status") == "failed" else None
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        if not is_pool_overloaded(error):
            return None
        return TaskFailedError(
            f"{error} ({request.method} {request.url.path} answered status 'failed')",
            status_code=response.status_code,
            body=body,
            headers=response.headers,
            request_id=response.headers.get("x-request-id"),
        )


class RetryTransport(httpx.BaseTransport):
    """Sync transport: auth, per-call deadline, retries and error mapping (see module doc).

    ``origin``: the base URL whose origin alone receives the key (``None``: any, for
    tests). ``max_response_bytes``: the body cap (decompressed).
    """

    def __init__(
        self,
        inner: Optional[httpx.BaseTransport] = None,
        *,
        keys: KeyRing,
        timeout: float,
        max_retries: int,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        origin: Optional[str] = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._inner = inner if inner is not None else httpx.HTTPTransport()
        self._backend: Optional[_DeadlineBackend] = _install_backend(self._inner, _DeadlineBackend)
        self._core = _Core(
            keys=keys,
            timeout=timeout,
            max_retries=max_retries,
            clock=clock,
            rng=rng,
            origin=origin,
            max_response_bytes=max_response_bytes,
        )
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = self._core
        opts = core.options()
        task = opts.task if opts.task is not None else _is_task_path(request.url.path)
        core.authorize(request, opts)
        original_timeout = dict(request.extensions.get("timeout") or {})
        token = _DEADLINE.set(opts.deadline)
        try:
            while True:
                core.check_open(request)
                attempt = core.attempt_request(request, opts, original_timeout)
                opts.attempts += 1
                start = core.clock()
                overloaded = False
                try:
                    response = self._inner.handle_request(attempt)
                except httpx.TransportError as exc:
                    core.check_open(request, exc)
                    elapsed = core.clock() - start
                    core.log_attempt(attempt, None, elapsed, opts)
                    err, sent = core.map_transport_error(exc, attempt, opts, elapsed)
                    retryable = is_retryable_connection_error(request_sent=sent, task=task)
                    cause: BaseException = exc
                else:
                    elapsed = core.clock() - start
                    core.log_attempt(attempt, response, elapsed, opts)
                    # The body is read here, for successes too, so a connection cut off
                    # mid-body is an error of ours (and retried as one), never a bare
                    # httpx error raised later while the caller reads the response.
                    try:
                        self._read(response, core.body_reader(response, opts))
                    except httpx.TransportError as exc:
                        response.close()
                        core.check_open(request, exc)
                        err, _ = core.map_transport_error(exc, attempt, opts, elapsed)
                        retryable = is_retryable_connection_error(request_sent=True, task=task)
                        cause = exc
                    except httpx.DecodingError as exc:
                        response.close()
                        raise core.bad_encoding(attempt, response, exc) from None
                    except _BodyTooLarge as exc:
                        response.close()
                        err, retryable = core.body_too_large(attempt, response, exc, task)
                        cause = err
                    else:
                        core.check_open(request)
                        if response.status_code < 400:
                            refused = core.task_refused(attempt, response) if task else None
                            if refused is None:
                                return response
                            # Retried like the pool's 503; when retries run out the 200
                            # goes back to the caller, whose parser raises TaskFailedError.
                            delay = core.retry_delay(attempt, opts, refused, True, True)
                            if delay is None:
                                return response
                            self._sleep(delay)
                            request = attempt
                            continue
                        err, retryable, overloaded = core.error_for_response(
                            attempt, response, task
                        )
                        cause = err
                delay = core.retry_delay(attempt, opts, err, retryable, overloaded)
                if delay is None:
                    if cause is err:
                        raise err
                    raise err from cause
                self._sleep(delay)
                request = attempt
        finally:
            _DEADLINE.reset(token)

    def _read(self, response: httpx.Response, reader: _BodyReader) -> None:
        if response.is_stream_consumed:  # already read (a mock transport's response)
            reader.add(response.content)
            return
        unbounded = self._backend is None
        for raw in response.iter_raw():
            reader.feed(raw, check_deadline=unbounded)
        response._content = reader.finish()

    def close(self) -> None:
        """Refuse further requests, wake calls blocked on a socket, close the pool."""
        self._core.closed = True
        if self._backend is not None:
            self._backend.shutdown_all()
        self._inner.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """Async twin of :class:`RetryTransport` (``sleep`` is an async callable)."""

    def __init__(
        self,
        inner: Optional[httpx.AsyncBaseTransport] = None,
        *,
        keys: KeyRing,
        timeout: float,
        max_retries: int,
        sleep: Optional[Callable[[float], Awaitable[None]]] = None,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        origin: Optional[str] = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        if sleep is None:
            import asyncio

            sleep = asyncio.sleep
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self._backend: Optional[_AsyncDeadlineBackend] = _install_backend(
            self._inner, _AsyncDeadlineBackend
        )
        self._core = _Core(
            keys=keys,
            timeout=timeout,
            max_retries=max_retries,
            clock=clock,
            rng=rng,
            origin=origin,
            max_response_bytes=max_response_bytes,
        )
        self._sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core = self._core
        opts = core.options()
        task = opts.task if opts.task is not None else _is_task_path(request.url.path)
        core.authorize(request, opts)
        original_timeout = dict(request.extensions.get("timeout") or {})
        token = _DEADLINE.set(opts.deadline)
        try:
            while True:
                core.check_open(request)
                attempt = core.attempt_request(request, opts, original_timeout)
                opts.attempts += 1
                start = core.clock()
                overloaded = False
                try:
                    response = await self._inner.handle_async_request(attempt)
                except httpx.TransportError as exc:
                    core.check_open(request, exc)
                    elapsed = core.clock() - start
                    core.log_attempt(attempt, None, elapsed, opts)
                    err, sent = core.map_transport_error(exc, attempt, opts, elapsed)
                    retryable = is_retryable_connection_error(request_sent=sent, task=task)
                    cause: BaseException = exc
                else:
                    elapsed = core.clock() - start
                    core.log_attempt(attempt, response, elapsed, opts)
                    # The body is read here, for successes too (see RetryTransport).
                    try:
                        await self._read(response, core.body_reader(response, opts))
                    except httpx.TransportError as exc:
                        await response.aclose()
                        core.check_open(request, exc)
                        err, _ = core.map_transport_error(exc, attempt, opts, elapsed)
                        retryable = is_retryable_connection_error(request_sent=True, task=task)
                        cause = exc
                    except httpx.DecodingError as exc:
                        await response.aclose()
                        raise core.bad_encoding(attempt, response, exc) from None
                    except _BodyTooLarge as exc:
                        await response.aclose()
                        err, retryable = core.body_too_large(attempt, response, exc, task)
                        cause = err
                    else:
                        core.check_open(request)
                        if response.status_code < 400:
                            refused = core.task_refused(attempt, response) if task else None
                            if refused is None:
                                return response
                            # Retried like the pool's 503; when retries run out the 200
                            # goes back to the caller, whose parser raises TaskFailedError.
                            delay = core.retry_delay(attempt, opts, refused, True, True)
                            if delay is None:
                                return response
                            await self._sleep(delay)
                            request = attempt
                            continue
                        err, retryable, overloaded = core.error_for_response(
                            attempt, response, task
                        )
                        cause = err
                delay = core.retry_delay(attempt, opts, err, retryable, overloaded)
                if delay is None:
                    if cause is err:
                        raise err
                    raise err from cause
                await self._sleep(delay)
                request = attempt
        finally:
            _DEADLINE.reset(token)

    async def _read(self, response: httpx.Response, reader: _BodyReader) -> None:
        if response.is_stream_consumed:
            reader.add(response.content)
            return
        unbounded = self._backend is None
        raw_chunks: AsyncIterator[bytes] = response.aiter_raw()
        async for raw in raw_chunks:
            reader.feed(raw, check_deadline=unbounded)
        response._content = reader.finish()

    async def aclose(self) -> None:
        """Refuse further requests and close the pool."""
        self._core.closed = True
        await self._inner.aclose()
