"""An embedded fake of the Claude Code API Service, for tests, examples and benchmarks.

Install with the ``testing`` extra (``pip install 'claude-code-client[testing]'``): it
needs FastAPI and uvicorn. ``import claude_client`` never imports this package.

The fake speaks the service's contract: every route of ``openapi.json`` (same paths,
methods, request validation -> FastAPI's 422), the WebSocket ``/v1/stream``
(``STREAMING.md``), and the statuses, ``detail`` strings and headers of
``BEHAVIOUR.md`` (401/403/404/400/422, 429 rate limit vs budget, 5xx with
``X-Error-Category`` / ``Retry-After`` / ``X-Upstream-Status``, 501, ``X-Request-ID``).

Running it::

    from claude_client.testing import serve

    with serve() as fake:                      # uvicorn on 127.0.0.1, a free port
        client = ClaudeClient(base_url=fake.base_url, api_key=fake.api_key)
        assert client.complete("hello world").content == fake.expected_answer("hello world")

or in pytest (the plugin is registered by the package's ``pytest11`` entry point)::

    def test_it(claude_fake):                  # session-wide server, reset per test
        ...

    def test_client(claude_fake_client):       # a ClaudeClient on that server
        ...

or standalone: ``python -m claude_client.testing --port 8006`` (prints a key).

The deterministic model
-----------------------
The answer to a conversation is derived from its last user message ``p``:
``fake.expected_answer(p) == "Answer: " + " ".join(p.split())``, so every answer echoes
its own prompt. ``input_tokens`` = words of the flattened conversation (``"role:
content"`` joined by blank lines; ``"user: " + p`` for one message), ``output_tokens`` =
words of the answer, ``cost`` from the service's price table (haiku 0.25/1.25, sonnet
3/15, opus 15/75 USD per million tokens); ``fake.expected_usage(p)``,
``fake.expected_cost(p, model)``. ``model`` ``None``/``"auto"`` is routed by prompt
length like ``POST /v1/route`` (<= 20 words haiku, <= 200 sonnet, else opus;
``fake.expected_model(p)``). On the socket the answer arrives one word per ``token``
frame (``stream_chunks``). A prompt containing ``[fail]`` fails as a backend error
(chat 502 ``cli_error``, a failed batch item, a ``Streaming error`` frame).

Keys (``cc_`` + 40 hex): ``fake.api_key`` (profile pro, project ``default``),
``fake.free_key`` (free, ``free-project``), ``fake.enterprise_key`` (enterprise,
``enterprise-project``), more with ``fake.add_key(profile=, project_id=, rpm=)``. Every
key allows 100 requests per wall-clock minute like the service (429 ``Rate limit
exceeded. Please try again later.``, no ``Retry-After``): raise it for load tests with
``serve(rpm=...)`` or ``fake.set_rate_limit(key, rpm)``.

Controls (thread-safe; call them from the test while the server runs)
---------------------------------------------------------------------
* ``fail_next(n=1, status=503, retry_after=None, category=None, detail=None, path=None,
  body=None, content_type="application/json", *, upstream_status=None, method=None,
  headers=None)``: the next ``n`` REST requests fail (any status incl. 520/529; HTML or
  any raw ``body``).
* ``inject(Fault.X, times=1, path=None, method=None, skip=0, ...)``: one API for
  every fault; see :class:`Fault`: ``ERROR``, ``HTML``, ``RESET`` (headers and half the
  body, then close), ``DISCONNECT`` (close without a response), ``TCP_RESET`` (RST
  without a response), ``HANG`` (never answers; ends on client disconnect or server
  stop), ``TRUNCATED_JSON``, ``WRONG_SHAPE`` (``drop=("content",)``,
  ``replace={"usage": "n/a"}``), ``NOT_AUTHENTICATED_401`` / ``NOT_AUTHENTICATED_403``,
  ``POOL_OVERLOADED``, ``CLI_BREAKER_OPEN`` / ``UPSTREAM_BREAKER_OPEN``; WebSocket:
  ``WS_ERROR_FRAME``, ``WS_DROP`` (1006), ``WS_SILENT``, ``WS_CLOSE_1001``,
  ``WS_NO_TOKENS``, ``WS_REFUSE`` (HTTP status on the upgrade). ``after=N`` = frames
  sent before a WS fault strikes; ``skip=N`` = matching requests let through first;
  ``times=None`` = until ``clear_faults()``. Returns an :class:`Injection` whose
  ``hits`` counts the requests it struck. Faults are applied before authentication
  and never to ``/openapi.json`` or ``/docs``.
* ``drop_stream_after(chunks)``: shorthand for ``inject(Fault.WS_DROP, after=chunks)``.
* ``latency(seconds)``: per request (chat/process/task: against their ``timeout`` ->
  504 / task ``timeout``); per item on ``/v1/batch``; before the first frame on the socket.
* ``set_token_delay(seconds)``: pause between token frames.
* ``set_batch_concurrency(n)``: batch items run ``n`` at a time (service: about 5).
* ``set_answer_words(n)``: every answer exactly ``n`` words = ``n`` token frames.
* ``next_task_status(status, times=1)``: ``completed`` / ``failed`` / ``timeout`` /
  ``cost_exceeded`` / ``crash`` for the next agentic tasks (or put ``[failed]``,
  ``[timeout]``, ``[cost_exceeded]``, ``[crash]`` in the description).
* ``requests`` / ``requests_to(path, method=None)`` / ``clear_requests()``: what arrived
  (:class:`RecordedRequest`: method, path, query, headers with ``Authorization``
  redacted, JSON body with keys redacted, status, request_id, key_suffix, project_id,
  and ``key_found_in``: where else a key-looking string was sent, so redaction never
  hides a leak). ``set_recording(False)`` for long benchmark runs.
* ``add_key``, ``revoke_key``, ``set_rate_limit``, ``set_budget(project_id, tokens)``,
  ``add_usage``, ``set_tool_passthrough``, ``set_health``, ``set_ready``, ``clear_faults``.
* ``reset()``: everything back to the start (the three built-in keys stay valid).

Helpers: ``unused_url()`` (a port that refuses connections), ``create_app(controls)``
(the ASGI app, e.g. for ``httpx.ASGITransport``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import create_app
    from ._model import PRICES, expected_answer, route, stream_chunks
    from ._pool import PoolStats
    from ._server import FakeService, serve, unused_url
    from ._state import (
        DEFAULT_RPM,
        FakeControls,
        Fault,
        Injection,
        KeyInfo,
        RecordedRequest,
        new_key,
    )

# Names are loaded on first use, so that importing this package (e.g. by the pytest
# plugin entry point, which every pytest run loads) works without the extra; using the
# fake without FastAPI/uvicorn raises an ImportError that names the extra.
_EXPORTS = {
    "create_app": "._app",
    "PRICES": "._model",
    "expected_answer": "._model",
    "route": "._model",
    "stream_chunks": "._model",
    "PoolStats": "._pool",
    "FakeService": "._server",
    "serve": "._server",
    "unused_url": "._server",
    "DEFAULT_RPM": "._state",
    "FakeControls": "._state",
    "Fault": "._state",
    "Injection": "._state",
    "KeyInfo": "._state",
    "RecordedRequest": "._state",
    "new_key": "._state",
}

MISSING_EXTRA = (
    "claude_client.testing needs FastAPI and uvicorn: install the 'testing' extra, "
    "e.g. pip install 'claude-code-client[testing]'"
)


def require_extra() -> None:
    """Raise a clear ImportError when the ``testing`` extra is not installed."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ImportError(f"{MISSING_EXTRA} ({exc})") from exc


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if module_name in ("._app", "._server"):
        require_extra()
    value = getattr(importlib.import_module(module_name, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_RPM",
    "PRICES",
    "FakeControls",
    "FakeService",
    "Fault",
    "Injection",
    "KeyInfo",
    "PoolStats",
    "RecordedRequest",
    "create_app",
    "expected_answer",
    "new_key",
    "require_extra",
    "route",
    "serve",
    "stream_chunks",
    "unused_url",
]
