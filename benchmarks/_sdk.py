"""Every assumption the benchmarks make about the SDK's surface, in one place.

Each helper raises `NotAvailable(reason)` when the part of the SDK it needs does not
exist (yet), so a row reads "not available: <reason>" instead of a made-up number.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

PROMPT = "Say hello"
MODEL = "haiku"
# The JSON the facade sends for complete(PROMPT, model=MODEL): the raw side sends the same.
CHAT_BODY = {"messages": [{"role": "user", "content": PROMPT}], "model": MODEL, "timeout": 30.0}


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
    from claude_client.generated import AuthenticatedClient

    return AuthenticatedClient(base_url=base_url, token=api_key)


def chat_request() -> Any:
    from claude_client.generated.models.chat_completion_request import ChatCompletionRequest

    return ChatCompletionRequest.from_dict(CHAT_BODY)


def facade_stream_missing(asynchronous: bool) -> str | None:
    """Why the facade's stream() cannot be measured, or None when it can."""
    try:
        cc = _facade()
    except NotAvailable as e:
        return str(e)
    cls = getattr(cc, "AsyncClaudeClient" if asynchronous else "ClaudeClient", None)
    if cls is None or not hasattr(cls, "stream"):
        name = "AsyncClaudeClient" if asynchronous else "ClaudeClient"
        return f"{name} has no stream() yet (issue 5)"
    return None


def stream_opener(
    base_url: str, api_key: str, *, asynchronous: bool
) -> tuple[str, Callable[[], Any], Any]:
    """(label, open() -> (async) iterable of str chunks, client to close or None).

    The facade's `stream()` when it exists; until then the streaming layer's own
    chat stream class, labelled as such (the facade only builds settings for it).
    """
    client = None
    with contextlib.suppress(NotAvailable):
        client = (async_client if asynchronous else sync_client)(base_url, api_key)
    if client is not None and hasattr(client, "stream"):
        label = ("AsyncClaudeClient" if asynchronous else "ClaudeClient") + ".stream()"
        return label, lambda: client.stream(PROMPT, model=MODEL), client
    if client is not None and not asynchronous:
        client.close()
    try:
        from claude_client._streaming import AsyncChatStream, ChatStream, StreamSettings
    except ImportError as e:
        raise NotAvailable(
            f"no client.stream() and no claude_client._streaming (issue 5): {e}"
        ) from e
    settings = StreamSettings.from_client(base_url=base_url, api_key=api_key)
    cls = AsyncChatStream if asynchronous else ChatStream
    messages = [{"role": "user", "content": PROMPT}]
    label = f"{cls.__name__}, streaming layer direct"
    return label, lambda: cls(settings, messages=messages, model=MODEL), None


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
