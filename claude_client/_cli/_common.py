"""What every command shares: exit statuses, error reporting, the client, JSON output.

Imported only by the command line (``claude-client``), never by ``import claude_client``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, Optional

from .. import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BudgetExceededError,
    ClaudeAPIError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TaskFailedError,
    ValidationError,
)

if TYPE_CHECKING:
    import argparse

    from .. import AsyncClaudeClient, ClaudeClient

PROG = "claude-client"

# Exit statuses (README "Command line" documents this table).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3
EXIT_AUTH = 4
EXIT_PERMISSION = 5
EXIT_NOT_FOUND = 6
EXIT_REJECTED = 7
EXIT_RATE_LIMITED = 8
EXIT_BUDGET = 9
EXIT_TIMEOUT = 10
EXIT_SERVER = 11
EXIT_TASK_FAILED = 12
EXIT_INTERRUPTED = 130

# Most specific first: the first class a failure is an instance of decides its status, so
# subclasses added to the hierarchy later land on their parent's status.
EXIT_BY_ERROR: tuple[tuple[type[ClaudeAPIError], int], ...] = (
    (TaskFailedError, EXIT_TASK_FAILED),
    (BudgetExceededError, EXIT_BUDGET),
    (APITimeoutError, EXIT_TIMEOUT),
    (APIConnectionError, EXIT_CONNECTION),
    (AuthenticationError, EXIT_AUTH),
    (PermissionDeniedError, EXIT_PERMISSION),
    (NotFoundError, EXIT_NOT_FOUND),
    (ValidationError, EXIT_REJECTED),
    (InvalidInputError, EXIT_REJECTED),
    (RateLimitError, EXIT_RATE_LIMITED),
    (ServerError, EXIT_SERVER),
)

# What to do about it, unless the SDK's message already names it (the marker).
HINTS: tuple[tuple[type[ClaudeAPIError], str, str], ...] = (
    (
        APIConnectionError,
        "CLAUDE_API_URL",
        "check --url / CLAUDE_API_URL and that the service is running",
    ),
    (AuthenticationError, "CLAUDE_API_KEY", "check CLAUDE_API_KEY (or --key)"),
    (PermissionDeniedError, "permission profile", "the key's permission profile forbids it"),
    (RateLimitError, "try again", "wait a minute and try again"),
    (BudgetExceededError, "raise", "raise the budget or the cost limit"),
    (ServerError, "try again", "the service failed; try again later"),
)


class UsageError(Exception):
    """A command-line mistake found before anything is sent (exit status 2)."""


def exit_status(exc: BaseException) -> int:
    """The documented exit status of a failure."""
    if isinstance(exc, UsageError):
        return EXIT_USAGE
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, ClaudeAPIError):
        for cls, status in EXIT_BY_ERROR:
            if isinstance(exc, cls):
                return status
    return EXIT_ERROR


class Redactor:
    """Replaces the API keys in any text the command prints with ``cc_...<last 4>``."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self.secrets = [s for s in secrets if s]

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, f"{secret[:3]}...{secret[-4:]}")
        return text


redact = Redactor()


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def error_message(exc: BaseException) -> str:
    """One line: what failed and what to do about it (keys redacted)."""
    if isinstance(exc, UsageError):
        return redact(one_line(str(exc)))
    name = type(exc).__name__
    text = one_line(str(exc)) or name
    if isinstance(exc, ClaudeAPIError):
        for cls, marker, hint in HINTS:
            if isinstance(exc, cls) and marker.lower() not in text.lower():
                text = f"{text} ({hint})"
                break
    return redact(f"{name}: {text}")


def report(exc: BaseException) -> int:
    """Print the one-line error on stderr; return the exit status."""
    print(f"{PROG}: error: {error_message(exc)}", file=sys.stderr, flush=True)
    return exit_status(exc)


def warn(text: str) -> None:
    print(f"{PROG}: warning: {redact(text)}", file=sys.stderr, flush=True)


def info(args: argparse.Namespace, text: str) -> None:
    """A human-oriented line on stderr (silenced by --quiet)."""
    if not getattr(args, "quiet", False):
        print(redact(text), file=sys.stderr, flush=True)


def plain(value: Any) -> Any:
    """A result (typed, dict-compatible) as plain JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def dumps(value: Any) -> str:
    return redact(json.dumps(plain(value), ensure_ascii=False))


def print_json(value: Any, out: Optional[IO[str]] = None) -> None:
    stream = out if out is not None else sys.stdout
    stream.write(redact(json.dumps(plain(value), ensure_ascii=False, indent=2)) + "\n")
    stream.flush()


def want_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def _client_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    key = getattr(args, "key", None)
    secrets = [key] if key else []
    env_key = os.environ.get("CLAUDE_API_KEY")
    if env_key:
        secrets.append(env_key.strip())
    redact.secrets = [s for s in secrets if s]
    return {
        "base_url": getattr(args, "url", None),
        "api_key": key or None,
        "timeout": getattr(args, "timeout", None),
        "project_id": getattr(args, "project", None),
    }


def _configuration_error(exc: InvalidInputError) -> UsageError:
    return UsageError(str(exc))


def make_client(args: argparse.Namespace) -> ClaudeClient:
    """The sync client from --url/--key/--project/--timeout and the environment."""
    from .. import ClaudeClient

    try:
        return ClaudeClient(**_client_kwargs(args))
    except InvalidInputError as exc:
        raise _configuration_error(exc) from None


def make_async_client(args: argparse.Namespace) -> AsyncClaudeClient:
    """The async client from --url/--key/--project/--timeout and the environment."""
    from .. import AsyncClaudeClient

    try:
        return AsyncClaudeClient(**_client_kwargs(args))
    except InvalidInputError as exc:
        raise _configuration_error(exc) from None


def read_text_argument(value: Optional[str], what: str) -> str:
    """``value``, or standard input when it is absent or ``-``."""
    if value is not None and value != "-":
        return value
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError(f"{what}: give it as an argument or on standard input")
    return sys.stdin.read()


def money(value: Optional[float]) -> str:
    return "n/a" if value is None else f"${value:.6f}"
