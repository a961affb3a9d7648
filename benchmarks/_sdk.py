"""Every assumption the benchmarks make about the SDK's surface, in one place.

Each helper raises `NotAvailable(reason)` when the part of the SDK it needs does not
exist (yet), so a row reads "not available: <reason>" instead of a made-up number.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

PROMPT = "Say hello"
MODEL = "haiku"
# The JSON the facade sends for complete(PROMPT, model=MODEL): the raw side sends the same.
CHAT_BODY = {"messages": [{"role": "user", "content": PROMPT}], "model": MODEL}


class NotAvailable(Exception):
    pass


def _facade() -> Any:
    try:
        import claude_client
    except Exception as e:  # pragma: no cover - depends on the tree's state
        raise NotAvailable(f"import claude_client failed: {e!r}") from e
    if not hasattr(claude_client, "ClaudeClient"):
        raise NotAvailable("claude_client.ClaudeClient does not exist yet (issue 4)")
    return claude_client


def sync_client(base_url: str, api_key: str, **kw: Any) -> Any:
    cc = _facade()
    return cc.ClaudeClient(base_url=base_url, api_key=api_key, **kw)


def async_client(base_url: str, api_key: str, **kw: Any) -> Any:
    cc = _facade()
    if not hasattr(cc, "AsyncClaudeClient"):
        raise NotAvailable("claude_client.AsyncClaudeClient does not exist yet (issue 4)")
    return cc.AsyncClaudeClient(base_url=base_url, api_key=api_key, **kw)


def generated_of(client: Any) -> Any:
    if not hasattr(client, "generated"):
        raise NotAvailable("client.generated does not exist yet (issue 4)")
    return client.generated


def plain_generated_client(base_url: str, api_key: str) -> Any:
    """The generated AuthenticatedClient on its own (no facade transport)."""
    from claude_code_api import AuthenticatedClient

    return AuthenticatedClient(base_url=base_url, token=api_key)


def chat_request() -> Any:
    from claude_code_api.models.chat_completion_request import ChatCompletionRequest

    return ChatCompletionRequest.from_dict(CHAT_BODY)


def check_stream(client: Any) -> None:
    if not hasattr(client, "stream"):
        raise NotAvailable("client.stream() does not exist yet (issue 5)")


def batch_parser() -> Callable[[bytes], Any] | None:
    """bytes of a /v1/batch 200 body -> what `client.batch()` returns, by the SDK's code.

    None when the SDK has no such parser yet.
    """
    try:
        from claude_client import _models
    except Exception:
        return None
    cls = getattr(_models, "BatchResponse", None)
    for name in ("from_json", "parse_json"):
        fn = getattr(cls, name, None)
        if fn is not None:
            return fn  # type: ignore[no-any-return]
    for name in ("from_dict", "parse", "from_body"):
        fn = getattr(cls, name, None)
        if fn is not None:
            f = fn
            return lambda body: f(json.loads(body))
    for name in ("parse_batch_response", "parse_batch"):
        fn = getattr(_models, name, None)
        if fn is not None:
            g = fn
            return lambda body: g(json.loads(body))
    return None
