"""Every failure mapped to the hierarchy of :mod:`claude_client._exceptions`, in one place.

What each kind of failure becomes:

* an HTTP error status and its body (:func:`error_from_response`; REST, generated
  endpoints, a refused WebSocket upgrade), the ``/v1/task`` 200 the worker pool
  refused (:func:`task_refusal`), a status that carries no JSON
  (:func:`error_for_no_json_status`), a body over the cap or undecodable
  (:func:`error_body_too_large`, :func:`error_bad_encoding`);
* a stream's ``{"type": "error"}`` frame (:func:`error_from_stream_message`) and a
  task's result (:func:`error_from_task_result`), REST and stream alike;
* httpx2 exceptions (:func:`error_from_httpx`);
* ``websockets`` exceptions, recognised by class name and module so that nothing
  here imports the library (:func:`error_from_ws_connect`, :func:`error_from_ws_closed`);
* what the generated client's parser raises on a 2xx body it cannot read, and the
  I/O layer's ``RuntimeError`` (:func:`error_from_generated`).

The functions return the exception (they never raise it): the caller raises it,
with the original as ``__cause__``. Which failures are retried is the policy's
business (:mod:`claude_client._retry`); :func:`failure_from_response` and
:func:`failure_from_httpx` hand it a :class:`~claude_client._retry.Failure`.
"""

from __future__ import annotations

import builtins
import email.utils
import json
import logging
import time
import traceback
import urllib.parse
from collections.abc import Mapping
from typing import Any, Optional

import httpx2

from ._config import DEFAULT_BASE_URL
from ._exceptions import (
    BODY_EXCERPT_CHARS,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BudgetExceededError,
    ClaudeAPIError,
    ClientClosedError,
    HTTPBudgetExceededError,
    HTTPTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    StreamInterruptedError,
    TaskFailedError,
    ValidationError,
)
from ._retry import (
    OVERLOADED_PREFIX,
    Deadline,
    Failure,
    is_pool_overloaded,
    is_retryable_connection_error,
    is_retryable_status,
)

__all__ = [
    "GENERATED_ERRORS",
    "PARSE_ERRORS",
    "RedirectRefused",
    "close_details",
    "error_bad_encoding",
    "error_body_too_large",
    "error_for_no_json_status",
    "error_from_generated",
    "error_from_httpx",
    "error_from_response",
    "error_from_stream_message",
    "error_from_task_result",
    "error_from_ws_closed",
    "error_from_ws_connect",
    "failure_from_httpx",
    "failure_from_response",
    "forget_frames",
    "parse_retry_after",
    "redirect_refused",
    "request_url",
    "task_refusal",
]

logger = logging.getLogger("claude_client")

# How much of the service's ``detail`` an error message shows (``.body`` keeps it whole).
DETAIL_MESSAGE_CHARS = 2000
STREAM_PATH = "/v1/stream"


# --------------------------------------------------------------------------- HTTP status + body

NOT_RUNNING_HINT = (
    f"; is the service running? The default is {DEFAULT_BASE_URL}; set base_url= or CLAUDE_API_URL"
)
V1_HINT = (
    "; base_url ends in /v1, but the SDK adds /v1 itself: "
    "set base_url to the service's root (e.g. http://localhost:8006)"
)


def request_url(url: httpx2.URL | str) -> str:
    """``scheme://host[:port]/path`` of ``url``: no user info, query or fragment (secrets)."""
    if isinstance(url, str):
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port is not None else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"
    host = url.host
    if ":" in host:
        host = f"[{host}]"
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{host}{port}{url.path}"


def _at(method: str, url: str) -> dict[str, Any]:
    return {"method": method or None, "url": url or None}


def parse_retry_after(value: Optional[str], *, now: Optional[float] = None) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0)
    0.0
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(0.0, seconds)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > BODY_EXCERPT_CHARS:
        return text[:BODY_EXCERPT_CHARS] + "..."
    return text


def _truncated(text: str, limit: int = DETAIL_MESSAGE_CHARS) -> str:
    if len(text) > limit:
        return f"{text[:limit]}... ({len(text) - limit} more characters in .body)"
    return text


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    # httpx2.Headers is case-insensitive; a plain dict may not be.
    value = headers.get(name)
    if value is None:
        lower = name.lower()
        for key, val in headers.items():
            if key.lower() == lower:
                return val
    return value


def _int_or_none(value: Optional[str]) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _decode_body(content: bytes, content_type: str) -> tuple[Any, Optional[str]]:
    """(parsed body, excerpt when the body is not JSON)."""
    if not content:
        return None, ""
    try:
        return json.loads(content), None
    except (ValueError, UnicodeDecodeError, RecursionError):  # Recursion: absurd nesting
        # Only a prefix is decoded: a huge body must not cost more than its bytes.
        # (4 bytes per character at most, and whitespace runs collapse.)
        prefix = content[: BODY_EXCERPT_CHARS * 16]
        text = _excerpt(prefix.decode("utf-8", errors="replace"))
        if len(prefix) < len(content) and not text.endswith("..."):
            text += "..."
        return text, text


def _message_from_detail(detail: Any) -> str:
    if isinstance(detail, str):
        return _truncated(detail)
    if isinstance(detail, list):
        msgs = []
        for item in detail[:5]:
            if isinstance(item, Mapping):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                msg = str(item.get("msg", item))
                msgs.append(f"{loc}: {msg}" if loc else msg)
            else:
                msgs.append(str(item))
        more = f" (+{len(detail) - 5} more)" if len(detail) > 5 else ""
        return _truncated("; ".join(msgs)) + more if msgs else "validation error"
    return json.dumps(detail)[:BODY_EXCERPT_CHARS]


def error_from_response(
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    *,
    method: str = "",
    url: str = "",
    hint: str = "",
) -> ClaudeAPIError:
    """Map an error response (status >= 400) to the right exception of the hierarchy.

    Never raises: a body that is not JSON (an HTML page from a proxy, truncated
    JSON) becomes the class its status calls for, with a short excerpt as ``body``.
    ``method`` and ``url`` (``scheme://host:port/path``) lead the message;
    ``hint`` (for a 404) ends it.
    """
    content_type = _header(headers, "content-type") or ""
    body, excerpt = _decode_body(content, content_type)
    detail = body.get("detail") if isinstance(body, Mapping) else None
    where = f" on {method} {url}" if method else ""
    if detail is not None:
        message = _message_from_detail(detail)
    elif excerpt:
        kind = content_type.split(";")[0].strip() or "non-JSON"
        message = f"HTTP {status_code}{where} with a {kind} body: {excerpt}"
    else:
        message = f"HTTP {status_code}{where}"
    detail_text = detail if isinstance(detail, str) else ""
    common: dict[str, Any] = {
        "status_code": status_code,
        "body": body,
        "headers": headers,
        "request_id": _header(headers, "x-request-id"),
        "error_category": _header(headers, "x-error-category"),
        "retry_after": parse_retry_after(_header(headers, "retry-after")),
        "upstream_status": _int_or_none(_header(headers, "x-upstream-status")),
        **_at(method, url),
    }
    if status_code == 404 and hint:
        message += hint

    if detail_text.startswith("Budget exceeded") and status_code in (403, 429):
        return HTTPBudgetExceededError(message, **common)
    if status_code in (400, 422):
        errors = detail if isinstance(detail, list) else None
        return ValidationError(message, errors=errors, **common)
    if status_code == 401 or (status_code == 403 and detail_text == "Not authenticated"):
        return AuthenticationError(message, **common)
    if status_code == 403:
        return PermissionDeniedError(message, **common)
    if status_code == 404:
        return NotFoundError(message, **common)
    if status_code == 429:
        return RateLimitError(message, **common)
    if status_code in (408, 504):
        return HTTPTimeoutError(message, **common)
    if status_code >= 500:
        return ServerError(message, **common)
    return APIStatusError(message, **common)


def _detail(body: Any) -> Any:
    return body.get("detail") if isinstance(body, Mapping) else None


def failure_from_response(
    request: httpx2.Request, response: httpx2.Response, *, task: bool, hint: str = ""
) -> Failure:
    """An error response (status >= 400, body read) as the retry policy sees it."""
    err = error_from_response(
        response.status_code,
        response.headers,
        response.content,
        method=request.method,
        url=request_url(request.url),
        hint=hint,
    )
    detail = _detail(err.body)
    retryable = is_retryable_status(
        response.status_code, detail, task=task, retry_after=err.retry_after
    )
    return Failure(err, retryable, response.status_code == 503 and is_pool_overloaded(detail))


def task_refusal(request: httpx2.Request, response: httpx2.Response) -> Optional[Failure]:
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
    refused = TaskFailedError(
        f"{error} ({request.method} {request_url(request.url)} answered status 'failed')",
        status_code=response.status_code,
        body=body,
        headers=response.headers,
        request_id=response.headers.get("x-request-id"),
        **_at(request.method, request_url(request.url)),
    )
    return Failure(refused, retryable=True, overloaded=True)


def error_body_too_large(
    request: httpx2.Request,
    response: httpx2.Response,
    prefix: bytes,
    limit: int,
    *,
    task: bool,
    hint: str = "",
) -> Failure:
    """A body over ``max_response_bytes``: an error status keeps its class (read from
    the body's first ``prefix`` bytes, retried as that status is); a success fails."""
    if response.status_code >= 400:
        response._content = prefix
        failure = failure_from_response(request, response, task=task, hint=hint)
        failure.error.message += f" (body over max_response_bytes={limit}, not read whole)"
        return Failure(failure.error, failure.retryable)
    return Failure(
        ResponseValidationError(
            f"{request.method} {request_url(request.url)}: the response body is larger than "
            f"max_response_bytes={limit} bytes (after decompression); reading stopped. "
            "Pass max_response_bytes= to the client to allow more",
            status_code=response.status_code,
            headers=response.headers,
            request_id=response.headers.get("x-request-id"),
            **_at(request.method, request_url(request.url)),
        ),
        retryable=False,
    )


def error_bad_encoding(
    request: httpx2.Request, response: httpx2.Response, exc: httpx2.DecodingError
) -> ClaudeAPIError:
    """A body whose ``Content-Encoding`` could not be undone.

    An error status keeps the class it calls for (an :class:`APIStatusError`), its
    body unread; a success is a :class:`ResponseValidationError`.
    """
    encoding = response.headers.get("content-encoding", "")
    if response.status_code >= 400:
        err = error_from_response(
            response.status_code,
            response.headers,
            b"",
            method=request.method,
            url=request_url(request.url),
        )
        err.message += f" (body not decodable: Content-Encoding {encoding[:50]!r})"
        return err
    return ResponseValidationError(
        f"{request.method} {request_url(request.url)}: the response body could not be "
        f"decoded (Content-Encoding {encoding[:50]!r}): {str(exc)[:200]}",
        status_code=response.status_code,
        headers=response.headers,
        request_id=response.headers.get("x-request-id"),
        **_at(request.method, request_url(request.url)),
    )


def error_for_no_json_status(
    status: int, headers: Mapping[str, str], where: str
) -> Optional[ClaudeAPIError]:
    """The error for a status that cannot carry the JSON a route answers with, or ``None``.

    3xx (a redirect the SDK did not follow: its key must not travel to another
    origin, and a POST must not silently become a GET), 204, 205 and 304.
    """
    if 200 <= status < 300 and status not in (204, 205):
        return None
    common: dict[str, Any] = {
        "status_code": status,
        "headers": headers,
        "request_id": headers.get("x-request-id"),
    }
    if 300 <= status < 400 and status != 304:
        location = headers.get("location")
        target = repr(location[:200]) if location is not None else "no Location header"
        return ResponseValidationError(
            f"{where}: the server answered HTTP {status}, a redirect to {target}, which the "
            "SDK does not follow (the API key goes only to base_url's origin); point "
            "base_url at the service itself",
            **common,
        )
    return ResponseValidationError(
        f"{where}: the server answered HTTP {status} without the JSON body this route returns",
        **common,
    )


# --------------------------------------------------------------------------- stream frames, tasks


def error_from_stream_message(message: str, ws_url: str = "") -> ClaudeAPIError:
    """Map the text of a WebSocket ``{"type": "error"}`` frame (STREAMING.md) to an exception.

    The classes that carry a status get the one the REST route answers the same
    failure with (see :mod:`~claude_client._exceptions`). ``ws_url`` names the socket.
    """
    at = _at("GET", request_url(ws_url)) if ws_url else {}
    if message.startswith("Budget exceeded"):
        return BudgetExceededError(message, **at)
    if message.startswith("Permission denied"):
        return PermissionDeniedError(message, status_code=403, **at)
    if message.startswith("api_key required"):
        return AuthenticationError(message, status_code=401, **at)
    if message.startswith(
        ("Invalid model", "No messages provided", "Invalid JSON format", "Unknown message type")
    ):
        return ValidationError(message, status_code=422, **at)
    if message.startswith(("Streaming error", "Task execution error", "Server error")):
        return ServerError(message, status_code=500, **at)
    return ClaudeAPIError(message, **at)


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def error_from_task_result(task: Any) -> Optional[ClaudeAPIError]:
    """The exception an agentic task result stands for, or ``None`` when it completed.

    ``task`` is the task body (a mapping or the dict-compatible task result):
    ``cost_exceeded`` -> :class:`BudgetExceededError` (``estimated_cost`` = reported cost),
    ``timeout`` -> :class:`APITimeoutError`, ``failed`` -> :class:`TaskFailedError`
    (:class:`BudgetExceededError` for "Insufficient budget"). Each carries ``task_result``.
    """
    status = _get(task, "status")
    if status == "completed":
        return None
    result = _get(task, "result")
    error_text = _get(result, "error") if result is not None else None
    message = str(error_text) if error_text else f"task ended with status {status!r}"
    usage = _get(task, "usage")
    exc: ClaudeAPIError
    if status == "cost_exceeded":
        cost = _get(usage, "total_cost") if usage is not None else None
        exc = BudgetExceededError(
            message, estimated_cost=float(cost) if isinstance(cost, (int, float)) else None
        )
    elif status == "timeout":
        exc = APITimeoutError(message)
    elif status == "failed" and message.startswith("Insufficient budget"):
        exc = BudgetExceededError(message)
    elif status == "failed":
        exc = TaskFailedError(message)
    else:
        exc = ResponseValidationError(f"task result has an unknown status {status!r}")
    exc.task_result = task
    return exc


# --------------------------------------------------------------------------- httpx2


def error_from_httpx(
    exc: httpx2.TransportError,
    request: httpx2.Request,
    *,
    deadline: Deadline,
    attempt: int,
    elapsed: float,
) -> tuple[ClaudeAPIError, bool]:
    """(our exception, whether the request may have reached the service).

    Timeouts become :class:`APITimeoutError` (worded as the call's deadline once it
    passed), anything else :class:`APIConnectionError`. A connect error or a
    connect/pool timeout proves the request was never sent. A connection refused at
    the default ``base_url`` says how to point the client elsewhere.
    """
    url = request_url(request.url)
    where = f"{request.method} {url}"
    at = _at(request.method, url)
    sent = not isinstance(exc, (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout))
    err: ClaudeAPIError
    if isinstance(exc, httpx2.TimeoutException):
        kind = type(exc).__name__
        if deadline.expired:
            err = APITimeoutError(
                f"{where}: no answer within the call's timeout of "
                f"{deadline.timeout:g} s ({kind}, attempt {attempt})",
                **at,
            )
        else:
            err = APITimeoutError(
                f"{where} timed out ({kind}) after {elapsed:.2f} s on attempt {attempt}", **at
            )
    else:
        reason = str(exc) or type(exc).__name__
        hint = ""
        if isinstance(exc, httpx2.ConnectError) and url.startswith(DEFAULT_BASE_URL + "/"):
            hint = NOT_RUNNING_HINT
        err = APIConnectionError(f"{where}: connection failed: {reason}{hint}", **at)
    return err, sent


def failure_from_httpx(
    exc: httpx2.TransportError,
    request: httpx2.Request,
    *,
    task: bool,
    deadline: Deadline,
    attempt: int,
    elapsed: float,
    answered: bool = False,
) -> Failure:
    """A transport failure as the retry policy sees it (``answered``: the status line
    had arrived and the body failed, so the request surely reached the service)."""
    err, sent = error_from_httpx(exc, request, deadline=deadline, attempt=attempt, elapsed=elapsed)
    return Failure(err, is_retryable_connection_error(request_sent=sent or answered, task=task))


# --------------------------------------------------------------------------- websockets


class RedirectRefused(Exception):
    """The service answered the WebSocket upgrade with a 3xx (raised in the handshake).

    Not a ``websockets`` exception on purpose: ``websockets`` follows a redirect it
    recognises (to another origin too, where an agentic task would carry the key in
    its message); this one it passes through, and :func:`error_from_ws_connect` words it.
    """

    def __init__(self, status: int, location: Optional[str]) -> None:
        super().__init__(status, location)
        self.status = status
        self.location = location


def _is_ws_exception(exc: BaseException, name: str) -> bool:
    return any(
        cls.__name__ == name and cls.__module__.startswith("websockets")
        for cls in type(exc).__mro__
    )


def redirect_refused(exc: BaseException) -> Optional[RedirectRefused]:
    """A :class:`RedirectRefused` for a handshake answered with a 3xx, else ``None``."""
    if not _is_ws_exception(exc, "InvalidStatus"):
        return None
    response = getattr(exc, "response", None)
    status = int(getattr(response, "status_code", 0) or 0)
    if not 300 <= status < 400:
        return None
    headers = getattr(response, "headers", None)
    location = headers.get("Location") if headers is not None else None
    return RedirectRefused(status, location if isinstance(location, str) else None)


def forget_frames(exc: BaseException) -> None:
    """Drop the local variables of the finished frames in ``exc``'s tracebacks.

    ``websockets`` frames hold the handshake headers and the message sent (an agentic
    task's carries the key); a traceback rendered with locals (Sentry, rich,
    ``pytest --showlocals``) would print them. Running frames (ours) are left alone.
    """
    seen: set[int] = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        current = current.__cause__ or current.__context__


def error_from_ws_connect(exc: BaseException, ws_url: str) -> Failure:
    """An exception raised while opening the socket, as the retry policy sees it."""
    where = request_url(ws_url)
    at = _at("GET", where)
    if isinstance(exc, RedirectRefused):
        location = exc.location if exc.location is not None else "(none)"
        if len(location) > 300:
            location = location[:300] + "..."
        return Failure(
            APIConnectionError(
                f"the service answered the WebSocket upgrade of {where} with a redirect "
                f"(HTTP {exc.status}, Location: {location!r}); redirects are not followed: "
                "the socket connects only to the client's base_url",
                status_code=exc.status,
                **at,
            ),
            retryable=False,
        )
    if _is_ws_exception(exc, "InvalidStatus"):
        response = getattr(exc, "response", None)
        status = int(getattr(response, "status_code", 0) or 0)
        headers = getattr(response, "headers", None) or {}
        body = getattr(response, "body", None) or b""
        error = error_from_response(
            status, dict(headers.items()), bytes(body), method="GET", url=where
        )
        error.message = error.message.replace(
            f"GET {where}", f"the service refused the WebSocket upgrade of {where}", 1
        )
        # Nothing has been sent on a socket that was never opened, so even a task
        # stream may retry like an ordinary call: the task cannot have started.
        retryable = is_retryable_status(
            status, _detail(error.body), task=False, retry_after=error.retry_after
        )
        return Failure(error, retryable)
    if isinstance(exc, builtins.TimeoutError):
        return Failure(APITimeoutError(f"timed out opening {where}", **at), retryable=True)
    if _is_ws_exception(exc, "InvalidURI"):
        return Failure(APIConnectionError(f"invalid WebSocket URL {where}: {exc}", **at), False)
    if _is_ws_exception(exc, "InvalidMessage") or isinstance(exc, (OSError, EOFError)):
        hint = ""
        if isinstance(exc, ConnectionRefusedError) and where.startswith(
            DEFAULT_BASE_URL.replace("http", "ws", 1) + "/"
        ):
            hint = NOT_RUNNING_HINT
        return Failure(
            APIConnectionError(f"could not open {where}: {exc}{hint}", **at), retryable=True
        )
    if _is_ws_exception(exc, "InvalidHandshake"):
        return Failure(
            APIConnectionError(f"{where} did not accept a WebSocket: {exc}", **at), False
        )
    return Failure(
        APIConnectionError(f"could not open {where}: {type(exc).__name__}: {exc}", **at), False
    )


def close_details(exc: BaseException) -> tuple[Optional[int], str]:
    """(close code, reason) of a ``websockets.exceptions.ConnectionClosed``."""
    frame = getattr(exc, "rcvd", None)  # None: no close frame came (1006)
    if frame is None:
        return None, ""
    return getattr(frame, "code", None), str(getattr(frame, "reason", "") or "")


def error_from_ws_closed(
    exc: Optional[BaseException],
    *,
    kind: str,
    frames: int,
    partial_content: str,
    limit: int,
    code: Optional[int] = None,
    reason: str = "",
    url: str = "",
) -> ClaudeAPIError:
    """A socket that closed before the stream's final frame.

    ``exc`` is the ``ConnectionClosed`` (``None`` when the close was seen otherwise:
    then ``code`` / ``reason``). A close websockets sent itself with 1009 means a
    frame over ``limit`` bytes; anything else is a :class:`StreamInterruptedError`
    carrying the text received so far. ``url`` (the socket's) names it.
    """
    at = _at("GET", url) if url else {}
    name = f"{kind} stream (GET {url})" if url else f"{kind} stream"
    if exc is not None:
        sent = getattr(exc, "sent", None)
        if getattr(sent, "code", None) == 1009:  # websockets refused a frame over max_size
            logger.debug("stream: %s frame over the size limit", kind)
            return ResponseValidationError(
                f"{name}: the service sent a frame larger than "
                f"max_response_bytes ({limit:,} bytes), so the socket was "
                f"closed after {frames} frames; raise the client's max_response_bytes "
                "to accept bigger frames",
                **at,
            )
        code, reason = close_details(exc)
    logger.debug("stream: %s interrupted after %d frames (close code %s)", kind, frames, code)
    if code is None or code == 1006:
        how = "the connection dropped (no close frame, code 1006)"
    else:
        how = f"the service closed the socket (code {code}{', ' + reason if reason else ''})"
    got = f"; {len(partial_content)} characters received" if partial_content else ""
    return StreamInterruptedError(
        f"{name} ended before its final frame: {how}{got}",
        partial_content=partial_content,
        **at,
    )


# --------------------------------------------------------------------------- generated client

PARSE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
)
"""What the generated parser raises on a 2xx body it cannot read (JSONDecodeError is a
ValueError; RecursionError: absurd nesting)."""
GENERATED_ERRORS: tuple[type[Exception], ...] = (*PARSE_ERRORS, RuntimeError)
"""Everything :func:`error_from_generated` maps (``except GENERATED_ERRORS``)."""

_EVENT_LOOP_MODULES = ("asyncio", "anyio", "sniffio")


def _raised_by_event_loop(exc: BaseException) -> bool:
    """Whether asyncio / anyio itself raised ``exc`` (where it was raised, not its words).

    An async pool used from another event loop than the one its connections belong
    to (or after that loop closed) fails inside the event loop library: "Event loop
    is closed", "attached to a different loop", anyio's and sniffio's own errors.
    """
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    module = str(tb.tb_frame.f_globals.get("__name__", ""))
    return module.split(".", 1)[0] in _EVENT_LOOP_MODULES


def error_from_generated(
    where: str, exc: Exception, *, closed: bool, client: str
) -> ClaudeAPIError:
    """Map what escapes a generated endpoint call to the SDK's hierarchy.

    The transport already raises ours for every HTTP and connection failure; what
    remains is the generated parser choking on a 2xx body (:data:`PARSE_ERRORS`) and
    ``RuntimeError`` of the I/O layer: a closed client (``closed``), an async pool
    driven from an event loop it does not belong to. ``client`` names the client
    class for the message.
    """
    if isinstance(exc, PARSE_ERRORS):
        return ResponseValidationError(
            f"{where}: the response could not be parsed ({type(exc).__name__}: {exc})"
        )
    if closed:
        return ClientClosedError(f"this {client} is closed; create a new one")
    if _raised_by_event_loop(exc):
        return APIConnectionError(
            f"{where}: {exc}. An {client} keeps its connections on the "
            "event loop it first ran in: create one client per event loop (for example "
            "inside the coroutine passed to asyncio.run)"
        )
    return APIConnectionError(f"{where}: the request failed ({type(exc).__name__}: {exc})")
