"""One exception hierarchy for every failure the SDK reports.

Every error raised by ``claude_client`` (REST, the generated endpoints called
through a facade client, and the WebSocket stream) is a :class:`ClaudeAPIError`::

    ClaudeAPIError
    ├── APIConnectionError ............ no usable response: connect failed, reset, dropped
    │   └── StreamInterruptedError .... a stream ended before its final frame
    ├── TimeoutError .................. + builtins.TimeoutError: deadline, 408/504, task timeout
    ├── AuthenticationError ........... 401, the 403 "Not authenticated", no API key
    ├── PermissionError ............... + builtins.PermissionError: 403 (PermissionDeniedError)
    ├── NotFoundError ................. 404
    ├── ValidationError ............... 400 / 422: the service rejected the request
    │   └── InvalidInputError ......... + builtins.ValueError: caught before sending
    ├── RateLimitError ................ 429 rate limit
    ├── BudgetExceededError ........... budget or a task's max_cost exhausted
    ├── ServerError ................... 5xx, non-IANA 520-529 included
    ├── ResponseValidationError ....... an answer the SDK cannot use
    ├── ClientClosedError ............. the client was closed
    └── TaskFailedError ............... an agentic task ended "failed"

(``tests/foundation/test_errors.py`` checks this drawing against the classes.)

Which class a failure becomes is decided in one place, :mod:`claude_client._errors`,
following ``shared/contract/BEHAVIOUR.md``: the status code first, then the
service's ``detail`` text where one status means two things (429 rate limit vs 429
budget; 403 permission vs 403 budget vs the 403 "Not authenticated" of older
deployments). This module holds the classes only and imports nothing of ours.

``TimeoutError``, ``PermissionError`` and ``InvalidInputError`` also derive from
builtins, so ``except TimeoutError:`` works without importing ours.
"""

from __future__ import annotations

import builtins
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
]

# How much of a non-JSON body (an nginx HTML page, truncated JSON) an error keeps.
BODY_EXCERPT_CHARS = 300


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


_MOVED_TO_ERRORS = frozenset(
    {
        "error_from_response",
        "error_from_stream_message",
        "error_from_task_result",
        "parse_retry_after",
    }
)


def __getattr__(name: str) -> Any:
    """The mapping functions that lived here, now in :mod:`claude_client._errors`.

    Imported on first use so that this module still imports nothing of ours; new
    code imports them from ``_errors``.
    """
    if name in _MOVED_TO_ERRORS:
        from . import _errors

        return getattr(_errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
