"""One exception hierarchy for every failure the SDK reports.

Every error raised by ``claude_client`` (REST, the generated endpoints called
through a facade client, and the WebSocket stream) is a :class:`ClaudeAPIError`.
Which subclass is chosen follows ``shared/contract/BEHAVIOUR.md``: the status
code first, then the service's ``detail`` text where one status means two things
(429 rate limit vs 429 budget; 403 permission vs 403 budget vs the 403
"Not authenticated" of older deployments).

``TimeoutError`` and ``PermissionError`` also derive from the builtins of the same
name, so ``except TimeoutError:`` works without importing ours.
"""

from __future__ import annotations

import builtins
import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any, Optional

__all__ = [
    "APIConnectionError",
    "AuthenticationError",
    "BudgetExceededError",
    "ClaudeAPIError",
    "ClientClosedError",
    "InvalidInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "PermissionError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "StreamInterruptedError",
    "TaskFailedError",
    "TimeoutError",
    "ValidationError",
    "error_from_response",
    "error_from_stream_message",
    "error_from_task_result",
    "parse_retry_after",
]

# How much of a non-JSON body (an nginx HTML page, truncated JSON) an error keeps.
BODY_EXCERPT_CHARS = 300
# How much of the service's ``detail`` an error message shows (``.body`` keeps it whole).
DETAIL_MESSAGE_CHARS = 2000


class ClaudeAPIError(Exception):
    """Base class of every error the SDK raises.

    Attributes:
        message: what went wrong, in words (the service's ``detail`` where it sent one).
        status_code: the HTTP status, or ``None`` when no response arrived.
        body: the parsed JSON body, or a short text excerpt of a non-JSON body.
        headers: the response headers (empty when no response arrived).
        request_id: the service's ``X-Request-ID``, worth quoting in a bug report.
        error_category: ``X-Error-Category`` (``rate_limited``, ``overloaded``, ``timeout`` ...).
        retry_after: seconds the service asked us to wait (``Retry-After``), if any.
        upstream_status: ``X-Upstream-Status``, the status the model API gave.
        task_result: for errors an agentic task ended with, the whole task result.
    """

    task_result: Any = None

    def __init__(
        self,
        message: str,
        *,
        status_code: Optional[int] = None,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        request_id: Optional[str] = None,
        error_category: Optional[str] = None,
        retry_after: Optional[float] = None,
        upstream_status: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body
        self.headers: Mapping[str, str] = dict(headers) if headers is not None else {}
        self.request_id = request_id
        self.error_category = error_category
        self.retry_after = retry_after
        self.upstream_status = upstream_status

    def __str__(self) -> str:
        parts = [self.message]
        if self.status_code is not None:
            parts.append(f"(HTTP {self.status_code}")
            if self.request_id:
                parts[-1] += f", request id {self.request_id}"
            parts[-1] += ")"
        elif self.request_id:
            parts.append(f"(request id {self.request_id})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status_code={self.status_code!r})"


class APIConnectionError(ClaudeAPIError):
    """No usable response: the connection failed, was reset, or the socket dropped."""


class StreamInterruptedError(APIConnectionError):
    """A stream ended before its final frame. ``partial_content`` is the text received."""

    def __init__(self, message: str, *, partial_content: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.partial_content = partial_content


class TimeoutError(ClaudeAPIError, builtins.TimeoutError):
    """The call ran out of time: client deadline, HTTP 504/408, or a task that timed out.

    Also a builtin ``TimeoutError``, so ``except TimeoutError:`` catches it.
    """


class AuthenticationError(ClaudeAPIError):
    """401 (or the 403 "Not authenticated" of older deployments), or no API key at all."""


class PermissionError(ClaudeAPIError, builtins.PermissionError):
    """403: the key's permission profile forbids this (tool, agent, timeout, cost ...)."""


PermissionDeniedError = PermissionError


class NotFoundError(ClaudeAPIError):
    """404: no such resource (e.g. an unknown provider)."""


class ValidationError(ClaudeAPIError):
    """400 / 422: the service rejected the request's content.

    ``errors`` holds FastAPI's per-field list (``[{"loc", "msg", "type", ...}]``)
    for a 422, and is empty for a 400 with a plain ``detail``.
    """

    def __init__(self, message: str, *, errors: Optional[list[Any]] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors: list[Any] = list(errors or [])


class InvalidInputError(ValidationError, builtins.ValueError):
    """Bad input or configuration caught before any request was sent.

    ``param`` names the offending parameter. Also a builtin ``ValueError``, and a
    :class:`ValidationError` (what the service would have answered with a 400/422).
    """

    def __init__(self, message: str, *, param: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.param = param


class RateLimitError(ClaudeAPIError):
    """429 rate limit: retrying later helps. See ``retry_after``."""


class BudgetExceededError(ClaudeAPIError):
    """The project's budget or the task's ``max_cost`` is exhausted; retrying does not help.

    ``estimated_cost`` is the cost the service reported, when it reported one.
    """

    def __init__(
        self, message: str, *, estimated_cost: Optional[float] = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.estimated_cost = estimated_cost


class ServerError(ClaudeAPIError):
    """5xx, including non-IANA proxy codes such as 520-529."""


class ResponseValidationError(ClaudeAPIError):
    """The answer is not one the SDK can use.

    A 2xx body that does not fit the expected shape (or cannot be decoded, or is
    larger than ``max_response_bytes``), and a status that carries no JSON body: a
    redirect the SDK does not follow (``status_code`` 3xx, ``Location`` named in
    the message), 204 or 304.
    """


class ClientClosedError(ClaudeAPIError):
    """The client was closed; create a new one."""


class TaskFailedError(ClaudeAPIError):
    """An agentic task ended with status ``failed``. ``task_result`` is the full result."""


# --------------------------------------------------------------------------- helpers


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
    # httpx.Headers is case-insensitive; a plain dict may not be.
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
    path: str = "",
) -> ClaudeAPIError:
    """Map an error response (status >= 400) to the right exception of the hierarchy.

    Never raises: a body that is not JSON (an HTML page from a proxy, truncated
    JSON) becomes the class its status calls for, with a short excerpt as ``body``.
    """
    content_type = _header(headers, "content-type") or ""
    body, excerpt = _decode_body(content, content_type)
    detail = body.get("detail") if isinstance(body, Mapping) else None
    where = f" on {method} {path}" if method else ""
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
    }

    if detail_text.startswith("Budget exceeded") and status_code in (403, 429):
        return BudgetExceededError(message, **common)
    if status_code in (400, 422):
        errors = detail if isinstance(detail, list) else None
        return ValidationError(message, errors=errors, **common)
    if status_code == 401 or (status_code == 403 and detail_text == "Not authenticated"):
        return AuthenticationError(message, **common)
    if status_code == 403:
        return PermissionError(message, **common)
    if status_code == 404:
        return NotFoundError(message, **common)
    if status_code == 429:
        return RateLimitError(message, **common)
    if status_code in (408, 504):
        return TimeoutError(message, **common)
    if status_code >= 500:
        return ServerError(message, **common)
    return ClaudeAPIError(message, **common)


def error_from_stream_message(message: str) -> ClaudeAPIError:
    """Map the text of a WebSocket ``{"type": "error"}`` frame (STREAMING.md) to an exception."""
    if message.startswith("Budget exceeded"):
        return BudgetExceededError(message)
    if message.startswith("Permission denied"):
        return PermissionError(message)
    if message.startswith("api_key required"):
        return AuthenticationError(message)
    if message.startswith(
        ("Invalid model", "No messages provided", "Invalid JSON format", "Unknown message type")
    ):
        return ValidationError(message)
    if message.startswith(("Streaming error", "Task execution error", "Server error")):
        return ServerError(message)
    return ClaudeAPIError(message)


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def error_from_task_result(task: Any) -> Optional[ClaudeAPIError]:
    """The exception an agentic task result stands for, or ``None`` when it completed.

    ``task`` is the task body (a mapping or the dict-compatible task result):
    ``cost_exceeded`` -> :class:`BudgetExceededError` (``estimated_cost`` = reported cost),
    ``timeout`` -> :class:`TimeoutError`, ``failed`` -> :class:`TaskFailedError`
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
        exc = TimeoutError(message)
    elif status == "failed" and message.startswith("Insufficient budget"):
        exc = BudgetExceededError(message)
    elif status == "failed":
        exc = TaskFailedError(message)
    else:
        exc = ResponseValidationError(f"task result has an unknown status {status!r}")
    exc.task_result = task
    return exc
