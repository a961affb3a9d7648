"""Argument validation shared by every facade call, REST and streams alike.

Each checker takes the value and the parameter's name and returns the value in the
form the request needs, or raises :class:`InvalidInputError` naming the parameter
before anything is sent. Limits come from :mod:`claude_client._config`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from ._config import (
    MAX_COST_LIMIT,
    MESSAGE_ROLES,
    MODELS,
    PERIODS,
    PROVIDERS,
    SERVICE_TIMEOUT_MIN,
    resolve_max_retries,
)
from ._exceptions import InvalidInputError

__all__ = [
    "bad",
    "batch_items",
    "call_timeout",
    "chat_messages",
    "extra_body",
    "extra_headers",
    "extra_query",
    "http_client",
    "max_cost",
    "messages",
    "model",
    "number",
    "opt_text",
    "period",
    "positive_int",
    "project",
    "provider",
    "retries",
    "routing_prompt",
    "service_timeout",
    "str_list",
    "text",
    "tool_choice",
    "tools",
    "transport",
]

_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def bad(param: str, message: str) -> InvalidInputError:
    """The error for a bad ``param``: its name leads the message."""
    return InvalidInputError(f"{param}: {message}", param=param)


_HTTPX_MIGRATION = "replace `import httpx` with `import httpx2`"  # httpx2-codemod: keep


def _from_old_httpx(value: object) -> bool:
    """Whether ``value`` comes from the old ``httpx`` / ``httpcore`` packages.

    Told by its type's module name, so ``httpx`` is never imported to check.
    """
    module = type(value).__module__.partition(".")[0]
    return module in ("httpx", "httpcore")  # httpx2-codemod: keep


def http_client(value: Any, expected: type[Any]) -> None:
    """``http_client=`` must be an ``expected`` (``httpx2.Client`` / ``httpx2.AsyncClient``).

    A client of the old ``httpx`` package is refused with the migration in the message:
    the SDK runs on httpx2, whose clients, transports and requests are other types.
    """
    if value is None or isinstance(value, expected):
        return
    name = f"httpx2.{expected.__name__}"
    if _from_old_httpx(value):
        raise bad(
            "http_client",
            f"got a {type(value).__module__}.{type(value).__name__} from the old `httpx` "
            f"package; the SDK runs on httpx2: pass an {name} ({_HTTPX_MIGRATION})",
        )
    raise bad("http_client", f"must be an {name}, not {type(value).__name__}")


def transport(value: Any) -> None:
    """``transport=`` must not come from the old ``httpx`` package (see :func:`http_client`)."""
    if value is not None and _from_old_httpx(value):
        raise bad(
            "transport",
            f"got a {type(value).__module__}.{type(value).__name__} from the old `httpx` "
            f"package; the SDK runs on httpx2: pass an httpx2 transport ({_HTTPX_MIGRATION})",
        )


def text(value: Any, param: str) -> str:
    """A non-blank string."""
    if not isinstance(value, str):
        raise bad(param, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise bad(param, "must not be empty")
    return value


def opt_text(value: Any, param: str) -> Optional[str]:
    """``None`` or a non-blank string."""
    return None if value is None else text(value, param)


_FULL_MODEL_ID = re.compile(r"claude-[a-z0-9][a-z0-9.\-]*\Z")


def model(value: Any, param: str = "model", *, full_ids: bool = False) -> Optional[str]:
    """``None`` for auto (the field is omitted so the service routes), else the model name.

    ``full_ids``: also a full Claude model id (``claude-3-5-sonnet-20241022``), sent as
    given (REST chat, batch and tasks take them; the socket takes aliases only).
    """
    if value is None:
        return None
    if isinstance(value, str):
        name = value.strip().lower()
        if name == "auto":
            return None
        if name in MODELS:
            return name
        if full_ids and _FULL_MODEL_ID.match(value):
            return value
    expected = f"auto, {', '.join(MODELS)}" + (" or a full claude-... model id" if full_ids else "")
    raise bad(param, f"must be one of {expected}; got {value!r}")


def number(value: Any, param: str) -> float:
    """A real number (not a bool, not NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise bad(param, f"must be a number, not {type(value).__name__}")
    return float(value)


def _seconds(value: Any, param: str, low: float, high: float) -> float:
    seconds = number(value, param)
    if not low <= seconds <= high:
        raise bad(param, f"must be between {low:g} and {high:g} seconds, got {value!r}")
    return seconds


def service_timeout(
    value: Any, deadline: float, *, maximum: float, wait_extra: float = 0.0
) -> Optional[float]:
    """``service_timeout=``: the service-side limit a caller asks for (1..``maximum`` s).

    It must fit inside the call's deadline ``deadline`` (the ``timeout``), with the
    ``wait_extra`` seconds the service waits beyond it (tasks: 10 s); ``None`` passes.
    """
    if value is None:
        return None
    seconds = _seconds(value, "service_timeout", SERVICE_TIMEOUT_MIN, maximum)
    if seconds + wait_extra >= deadline:
        extra = f" + {wait_extra:g} s the service waits beyond it" if wait_extra else ""
        raise bad(
            "service_timeout",
            f"service_timeout={seconds:g}{extra} does not fit inside the call's "
            f"timeout={deadline:g} s (the deadline of the whole call): raise timeout or "
            "lower service_timeout",
        )
    return seconds


def max_cost(value: Any, param: str = "max_cost") -> float:
    """A task's budget in USD (0..10)."""
    cost = number(value, param)
    if not 0 <= cost <= MAX_COST_LIMIT:
        raise bad(param, f"must be between 0 and {MAX_COST_LIMIT:g} USD, got {value!r}")
    return cost


def call_timeout(value: Any, param: str = "timeout") -> Optional[float]:
    """A client-side limit in seconds (> 0), or ``None`` for the client's."""
    if value is None:
        return None
    seconds = number(value, param)
    if seconds <= 0:
        raise bad(param, f"must be > 0 seconds, got {value!r}")
    return seconds


def str_list(value: Any, param: str) -> Optional[list[str]]:
    """``None`` or a list of non-blank strings (a bare string is refused)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, set, frozenset)):
        raise bad(param, f"must be a list of strings (e.g. ['Read']), not {type(value).__name__}")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise bad(param, f"every item must be a non-empty string, got {item!r}")
        out.append(item)
    return out


def extra_headers(value: Any, param: str = "extra_headers") -> Optional[dict[str, str]]:
    """``None`` or headers that are valid on the wire and never set ``Authorization``."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise bad(
            param, f"must be a mapping of header names to strings, not {type(value).__name__}"
        )
    out: dict[str, str] = {}
    for name, val in value.items():
        if not isinstance(name, str) or not isinstance(val, str):
            raise bad(param, "header names and values must be strings")
        if not name or not _TOKEN_CHARS.issuperset(name):
            # The name is shown escaped (ascii()), so a control character is visible.
            raise bad(param, f"header name {name!a} is not a valid HTTP token")
        if name.lower() == "authorization":
            raise bad(param, "must not set Authorization: pass api_key= to the client instead")
        if not val.isascii() or any((c < " " and c != "\t") or c == "\x7f" for c in val):
            # Never echo the value: a header may carry a secret.
            raise bad(
                param,
                f"header {name!r}: the value must be printable ASCII (no line break, NUL "
                "or other control character, no non-ASCII character)",
            )
        out[name] = val
    return out


def extra_query(value: Any) -> Optional[dict[str, Union[str, int, float, bool]]]:
    """``None`` or query parameters: string names, str / int / float / bool values."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise bad(
            "extra_query", f"must be a mapping of names to values, not {type(value).__name__}"
        )
    out: dict[str, Union[str, int, float, bool]] = {}
    for name, val in value.items():
        if not isinstance(name, str) or not name:
            raise bad("extra_query", "parameter names must be non-empty strings")
        if not isinstance(val, (str, int, float)):
            raise bad(
                "extra_query",
                f"{name!r}: values must be str, int, float or bool, not {type(val).__name__}",
            )
        if isinstance(val, float) and not math.isfinite(val):
            raise bad("extra_query", f"{name!r}: the value must be a finite number")
        out[name] = val
    return out


def extra_body(value: Any, *, method: str = "POST") -> Optional[dict[str, Any]]:
    """``None`` or fields to merge into a JSON request body (JSON-encodable values)."""
    if value is None:
        return None
    if method == "GET":
        raise bad("extra_body", "is not allowed on a GET request (it has no body)")
    if not isinstance(value, Mapping):
        raise bad(
            "extra_body", f"must be a mapping of field names to values, not {type(value).__name__}"
        )
    out = dict(value)
    for name in out:
        if not isinstance(name, str) or not name:
            raise bad("extra_body", "field names must be non-empty strings")
    try:
        json.dumps(out, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise bad("extra_body", f"must be JSON-encodable: {exc}") from None
    return out


def project(value: Any, param: str = "project_id") -> Optional[str]:
    """``None`` (the client's project) or a project name."""
    return opt_text(value, param)


def retries(value: Any) -> Optional[int]:
    """``None`` (the client's) or a retry count >= 0."""
    return None if value is None else resolve_max_retries(value)


def positive_int(value: Any, param: str) -> int:
    """An integer >= 1 (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad(param, f"must be an integer >= 1, got {value!r}")
    return value


def period(value: Any) -> str:
    """A usage period: month, week or day."""
    if value not in PERIODS:
        raise bad("period", f"must be one of {', '.join(PERIODS)}; got {value!r}")
    return str(value)


def provider(value: Any) -> str:
    """An ai-services provider: anthropic or claudecode."""
    if value not in PROVIDERS:
        raise bad("provider", f"must be 'anthropic' or 'claudecode', got {value!r}")
    return str(value)


def messages(value: Any, param: str = "messages") -> list[dict[str, Any]]:
    """A conversation: a list of ``{'role', 'content'}`` dicts (copied)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise bad(
            param, f"must be a list of {{'role', 'content'}} dicts, not {type(value).__name__}"
        )
    out = []
    for i, msg in enumerate(value):
        if not isinstance(msg, Mapping):
            raise bad(param, f"item {i} must be a dict with 'role' and 'content'")
        role = msg.get("role")
        if role not in MESSAGE_ROLES:
            raise bad(param, f"item {i} has role {role!r}; use one of {', '.join(MESSAGE_ROLES)}")
        if "content" not in msg and "tool_calls" not in msg:
            raise bad(param, f"item {i} has no 'content'")
        out.append(dict(msg))
    return out


def chat_messages(
    prompt: Optional[str], conversation: Optional[Sequence[Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """The conversation to send: ``messages`` (validated) plus ``prompt`` as the last turn."""
    if conversation is None:
        return [{"role": "user", "content": text(prompt, "prompt")}]
    msgs = messages(conversation)
    if prompt is not None:
        msgs.append({"role": "user", "content": text(prompt, "prompt")})
    if not msgs:
        raise bad("messages", "must not be empty")
    return msgs


def routing_prompt(msgs: Sequence[Mapping[str, Any]]) -> str:
    """The text ``POST /v1/route`` judges: the last turn with string content."""
    for message in reversed(msgs):
        content = message.get("content")
        if isinstance(content, str) and content.strip():
            return content
    return "\n".join(str(m.get("content", "")) for m in msgs) or "?"


def tools(value: Any, param: str = "tools") -> Optional[list[dict[str, Any]]]:
    """``None`` or a list of tool definition dicts (OpenAI format), copied."""
    if value is None:
        return None
    if (
        isinstance(value, (str, bytes))
        or not isinstance(value, (list, tuple))
        or not all(isinstance(t, Mapping) for t in value)
    ):
        raise bad(param, "must be a list of tool definition dicts (OpenAI format)")
    return [dict(t) for t in value]


def tool_choice(value: Any) -> Union[str, dict[str, Any], None]:
    """``None``, a string (``auto``, ``none`` ...) or a dict naming a tool."""
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        raise bad("tool_choice", "must be a string or a dict")
    return dict(value)


BATCH_ITEM_KEYS = ("prompt", "id")
"""The keys of a ``batch()`` dict item (the service's ``BatchPrompt``)."""


def batch_items(prompts: Any) -> list[dict[str, Any]]:
    """``batch()``'s prompts as ``{'prompt', 'id'?}`` dicts."""
    if isinstance(prompts, (str, bytes, Mapping)) or not isinstance(prompts, Sequence):
        raise bad("prompts", "must be a list of strings or {'prompt', 'id'} dicts")
    if not prompts:
        raise bad("prompts", "must not be empty")
    items: list[dict[str, Any]] = []
    for i, p in enumerate(prompts):
        if isinstance(p, str):
            items.append({"prompt": text(p, f"prompts[{i}]")})
        elif isinstance(p, Mapping):
            unknown = [k for k in p if k not in BATCH_ITEM_KEYS]
            if unknown:
                # The service reads only these: a "model" here would be dropped silently.
                raise bad(
                    f"prompts[{i}]",
                    f"unknown key(s) {', '.join(repr(k) for k in unknown)}; an item accepts "
                    "only 'prompt' and 'id' (model and timeout apply to the whole batch: "
                    "pass them to batch())",
                )
            item = {"prompt": text(p.get("prompt"), f"prompts[{i}]['prompt']")}
            pid = p.get("id")
            if pid is not None:
                if not isinstance(pid, str):
                    raise bad(f"prompts[{i}]['id']", "must be a string")
                item["id"] = pid
            items.append(item)
        else:
            raise bad(f"prompts[{i}]", f"must be a string or a dict, not {type(p).__name__}")
    return items
