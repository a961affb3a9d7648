"""How the service's backend fails (BEHAVIOUR.md §7): the failure markers a prompt
carries (``[fail]``, ``[fail:<category>]``), the CLI's and the Anthropic API's failures
per category with their status, ``detail`` and headers, and the crash of a route.

Shared by the REST routes (``_rest``), the fault middleware (``_faults``) and the
socket (``_ws``).
"""

import re
from collections.abc import Mapping
from typing import Any, Optional

from fastapi.responses import JSONResponse

from . import _model

MARKER_RE = re.compile(r"\[fail(?::([a-z_]+))?\]")
EMPTY_PROMPT_STDERR = (
    "Error: Input must be provided either through stdin or as a prompt argument when using --print"
)
CLI_BREAKER_OPEN = "CLI circuit breaker open — too many recent failures"
SDK_BREAKER_OPEN = "Upstream API circuit breaker open — too many recent failures"

#: Status of each ``X-Error-Category`` (§7).
STATUS_FOR_CATEGORY: dict[str, int] = {
    "rate_limited": 429,
    "overloaded": 503,
    "upstream_error": 502,
    "auth_error": 502,
    "connection_error": 502,
    "cli_error": 502,
    "timeout": 504,
    "bad_request": 400,
    "internal_error": 500,
}
#: Stderr of a failing CLI run per marker category; the category header is derived from
#: it by the service's rules (``_model.cli_category``), so markers the CLI cannot produce
#: (``connection_error``, ``bad_request``, ``internal_error``) come out as ``cli_error``.
CLI_STDERR: dict[str, str] = {
    "rate_limited": "Error: rate limit reached (429)",
    "overloaded": "Error: API overloaded (529)",
    "timeout": "Error: request timed out",
    "upstream_error": "API Error: internal server error",
    "auth_error": "Error: authentication failed (401)",
    "connection_error": "Error: connection refused",
    "bad_request": "Error: invalid request",
    "internal_error": "Error: simulated failure",
    "cli_error": "Error: simulated failure",
}


class ServiceCrash(Exception):
    """An unhandled error in a route, as the service has one: plain-text 500 without
    ``X-Request-ID``, then the TCP connection is closed (``_faults.FaultMiddleware``)."""


def error(status: int, detail: str, headers: Optional[Mapping[str, str]] = None) -> JSONResponse:
    """The service's error answer: ``{"detail": detail}`` with ``status``."""
    return JSONResponse({"detail": detail}, status_code=status, headers=dict(headers or {}))


def marker_category(text: str) -> Optional[str]:
    """The failure a prompt asks for (``[fail]`` -> ``cli_error``), or None."""
    m = MARKER_RE.search(text)
    if m is None:
        return None
    category = m.group(1) or "cli_error"
    return category if category in STATUS_FOR_CATEGORY else "cli_error"


def cli_failure(stderr: str) -> tuple[int, str, str]:
    """(status, detail, category) of a CLI run that exited with code 1 (§7)."""
    category = _model.cli_category(stderr)
    return (
        STATUS_FOR_CATEGORY[category],
        f"Process exited with code 1\nStderr: {stderr}",
        category,
    )


#: (status, detail, ``X-Upstream-Status``) of an Anthropic API failure per category (§7).
SDK_FAILURES: dict[str, tuple[int, str, Optional[str]]] = {
    "rate_limited": (429, "Rate limited by Anthropic API: simulated", "429"),
    "overloaded": (503, "Anthropic server error (529): Overloaded", "529"),
    "upstream_error": (502, "Anthropic server error (500): Internal server error", "500"),
    "timeout": (504, "Anthropic API timeout: Request timed out.", None),
    "connection_error": (502, "Anthropic API connection error: Connection error.", None),
    "auth_error": (502, "Anthropic auth error: invalid x-api-key", "401"),
    "bad_request": (400, "Bad request to Anthropic API: simulated", "400"),
    "internal_error": (500, "Direct completion error: simulated", None),
}


def sdk_failure(category: str) -> tuple[int, str, Optional[str], dict[str, str]]:
    """(status, detail, category, extra headers) of an Anthropic API failure (§7)."""
    if category not in SDK_FAILURES:
        return 502, "Anthropic API error: simulated", "upstream_error", {}
    status, detail, upstream = SDK_FAILURES[category]
    return status, detail, category, {} if upstream is None else {"X-Upstream-Status": upstream}


def categorized(status: int, detail: str, category: Optional[str], **headers: str) -> JSONResponse:
    """:func:`error` with ``X-Error-Category: category`` (when given) and ``headers``."""
    h = dict(headers)
    if category:
        h["X-Error-Category"] = category
    return error(status, detail, h)


def pool_timeout(timeout: Any) -> JSONResponse:
    """504 of an expired wait: ``timeout`` printed as Python prints it (chat: ``30.0``)."""
    return error(504, f"Task timed out after {timeout} seconds")


def cli_stderr(model: str, prompt: str, text: str) -> Optional[str]:
    """The stderr of a CLI run that fails, or None when it succeeds: an empty prompt, a
    model name the CLI rejects, or a failure marker in ``text``."""
    if not prompt.strip():
        return EMPTY_PROMPT_STDERR
    if not _model.cli_accepts(model):
        return f"Error: Invalid model name '{model}'"
    category = marker_category(text)
    return None if category is None else CLI_STDERR[category]
