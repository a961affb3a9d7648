"""One exception hierarchy for every failure the SDK reports.

Every error raised by ``claude_client`` (REST, the generated endpoints called
through a facade client, and the WebSocket stream) is a :class:`ClaudeAPIError`::

    ClaudeAPIError
    ├── APIConnectionError ............ no usable response: connect failed, reset, dropped
    │   └── StreamInterruptedError .... a stream ended before its final frame
    ├── APITimeoutError ............... out of time: the call's deadline, a task's timeout
    │   └── HTTPTimeoutError .......... + APIStatusError: the service answered 408 / 504
    ├── APIStatusError ................ the service answered with an error status
    │   ├── AuthenticationError ....... 401, the 403 "Not authenticated", no API key
    │   ├── PermissionDeniedError ..... 403: the key's permission profile forbids it
    │   ├── NotFoundError ............. 404
    │   ├── ValidationError ........... 400 / 422: the service rejected the request
    │   ├── RateLimitError ............ 429 rate limit
    │   └── ServerError ............... 5xx, non-IANA 520-529 included
    ├── BudgetExceededError ........... budget or a task's max_cost exhausted
    │   └── HTTPBudgetExceededError ... + APIStatusError: the 403 / 429 "Budget exceeded"
    ├── InvalidInputError ............. + builtins.ValueError: caught before sending
    ├── ResponseValidationError ....... an answer the SDK cannot use
    ├── ClientClosedError ............. the client was closed
    └── TaskFailedError ............... an agentic task ended "failed"

(``tests/foundation/test_errors.py`` checks this drawing against the classes.)

So ``except APIStatusError`` catches every error that carries an HTTP error status
(``status_code`` is then always an ``int``), and ``except APITimeoutError`` every
timeout, the client's deadline and the service's 408 / 504 alike; the two classes
with two parents are raised where both are true. A stream's ``{"type": "error"}``
frame becomes the class (and carries the status) the REST route answers the same
failure with (permission 403, missing key 401, bad model or messages 422, server
500); a missing API key, found before anything is sent, is an
:class:`AuthenticationError` with status 401, what the service would answer.

Which class a failure becomes is decided in one place, :mod:`claude_client._errors`,
following ``shared/contract/BEHAVIOUR.md``: the status code first, then the
service's ``detail`` text where one status means two things (429 rate limit vs 429
budget; 403 permission vs 403 budget vs the 403 "Not authenticated" of older
deployments). This module holds the classes only and imports nothing of ours.

Breaking change (1.0): ``APITimeoutError`` and ``PermissionDeniedError`` were called
``TimeoutError`` and ``PermissionError`` and derived from the builtins of those
names, both ``OSError`` subclasses: ``from claude_client import *`` shadowed the
builtins, and ``except OSError`` around file code caught API errors. They no longer
derive from the builtins; the old names remain importable from ``claude_client``
as aliases (outside ``__all__``). ``InvalidInputError`` is still a builtin
``ValueError`` (bad arguments), and no longer a :class:`ValidationError` (that is
the service's 400 / 422 answer; an ``InvalidInputError`` was never sent).

Every error names the request it belongs to: ``method`` and ``url`` (scheme, host,
port and path; never the key nor the query) are set when one was made.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any, Optional

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BudgetExceededError",
    "ClaudeAPIError",
    "ClientClosedError",
    "HTTPBudgetExceededError",
    "HTTPTimeoutError",
    "InvalidInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "StreamInterruptedError",
    "TaskFailedError",
    "ValidationError",
]

# How much of a non-JSON body (an nginx HTML page, truncated JSON) an error keeps.
BODY_EXCERPT_CHARS = 300


class ClaudeAPIError(Exception):
    """Base class of every error the SDK raises.

    Attributes:
        message: what went wrong, in words (the service's ``detail`` where it sent one);
            ``str(error)`` adds the method and URL, the status and the request id.
        status_code: the HTTP status, or ``None`` when no response arrived.
        body: the parsed JSON body, or a short text excerpt of a non-JSON body.
        headers: the response headers (empty when no response arrived).
        request_id: the service's ``X-Request-ID``, worth quoting in a bug report.
        error_category: ``X-Error-Category`` (``rate_limited``, ``overloaded``, ``timeout`` ...).
        retry_after: seconds the service asked us to wait (``Retry-After``), if any.
        upstream_status: ``X-Upstream-Status``, the status the model API gave.
        task_result: for errors an agentic task ended with, the whole task result.
        method: the HTTP method of the request (``GET`` for a stream), or ``None``.
        url: its URL, ``scheme://host:port/path`` (never a key or query), or ``None``.
    """

    task_result: Any = None
    method: Optional[str] = None
    url: Optional[str] = None

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
        method: Optional[str] = None,
        url: Optional[str] = None,
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
        if method is not None:
            self.method = method
        if url is not None:
            self.url = url

    def __str__(self) -> str:
        parts = [self.message]
        if self.method and self.url and self.url not in self.message:
            # ``message`` keeps the service's words; the string names the request.
            parts[0] = f"{self.method} {self.url}: {self.message}"
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


class APITimeoutError(ClaudeAPIError):
    """The call ran out of time: its deadline (``timeout``), or a task that timed out.

    The service's own 408 / 504 answers are :class:`HTTPTimeoutError`, also a
    subclass. Not a builtin ``TimeoutError`` (an ``OSError``): see the module docs.
    """


class APIStatusError(ClaudeAPIError):
    """The service answered with an error status; ``status_code`` is always an ``int``."""

    status_code: int

    def __init__(self, message: str, *, status_code: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(message, status_code=status_code, **kwargs)
        if self.status_code is None:  # unpickling passes only the message
            self.status_code = self._default_status
        assert isinstance(self.status_code, int)

    _default_status = 500


class HTTPTimeoutError(APITimeoutError, APIStatusError):
    """The service (or a proxy) answered 408 or 504: caught as either parent."""

    _default_status = 504


class AuthenticationError(APIStatusError):
    """401 (or the 403 "Not authenticated" of older deployments), or no API key at all."""

    _default_status = 401


class PermissionDeniedError(APIStatusError):
    """403: the key's permission profile forbids this (tool, agent, timeout, cost ...).

    Not a builtin ``PermissionError`` (an ``OSError``): see the module docs.
    """

    _default_status = 403


class NotFoundError(APIStatusError):
    """404: no such resource (e.g. an unknown provider).

    When ``base_url`` ends in ``/v1`` the message says so: the SDK adds ``/v1`` itself.
    """

    _default_status = 404


class ValidationError(APIStatusError):
    """400 / 422: the service rejected the request's content.

    ``errors`` holds FastAPI's per-field list (``[{"loc", "msg", "type", ...}]``)
    for a 422, and is empty for a 400 with a plain ``detail``. Input the SDK
    rejects before sending is an :class:`InvalidInputError` instead.
    """

    _default_status = 422

    def __init__(self, message: str, *, errors: Optional[list[Any]] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors: list[Any] = list(errors or [])


class InvalidInputError(ClaudeAPIError, builtins.ValueError):
    """Bad input or configuration caught before any request was sent.

    ``param`` names the offending parameter. Also a builtin ``ValueError``; not a
    :class:`ValidationError` (the service's answer), since nothing was sent.
    """

    def __init__(self, message: str, *, param: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.param = param


class RateLimitError(APIStatusError):
    """429 rate limit: retrying later helps. See ``retry_after``."""

    _default_status = 429


class BudgetExceededError(ClaudeAPIError):
    """The project's budget or the task's ``max_cost`` is exhausted; retrying does not help.

    ``estimated_cost`` is the cost the service reported, when it reported one. The
    HTTP 403 / 429 "Budget exceeded" answers are :class:`HTTPBudgetExceededError`.
    """

    def __init__(
        self, message: str, *, estimated_cost: Optional[float] = None, **kwargs: Any
    ) -> None:
        super().__init__(message, **kwargs)
        self.estimated_cost = estimated_cost


class HTTPBudgetExceededError(BudgetExceededError, APIStatusError):
    """The service answered 403 / 429 "Budget exceeded": caught as either parent."""

    _default_status = 429


class ServerError(APIStatusError):
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


# The old names (they shadowed builtins): importable, outside ``__all__``.
TimeoutError = APITimeoutError
PermissionError = PermissionDeniedError

for _name in __all__:
    # Tracebacks show ``claude_client.APITimeoutError``; pickle finds it there too.
    globals()[_name].__module__ = "claude_client"
del _name


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
