"""An embedded fake of the Claude Code API Service, for tests, examples and benchmarks.

Install with the ``testing`` extra (``pip install 'claude-code-client[testing]'``): it
needs FastAPI and uvicorn. ``import claude_client`` never imports this package.

The fake speaks the service's contract: every route of the service's ``/openapi.json``
(same paths, methods, request validation -> FastAPI's 422), the WebSocket ``/v1/stream``,
and the service's statuses, ``detail`` strings, headers, body shapes, decision rules and
capacity. Only the wording of answers and the token counts are the fake's own (below).

Running it::

    from claude_client.testing import serve

    with serve() as fake, ClaudeClient(**fake.client_kwargs()) as client:  # 127.0.0.1
        assert client.complete("hello world").content == fake.expected_answer("hello world")

or in pytest (the plugin is registered by the package's ``pytest11`` entry point)::

    def test_it(claude_fake):                  # session-wide server, reset per test
        ...

    def test_client(claude_fake_client):       # a ClaudeClient on that server
        ...

    async def test_async(claude_fake_async_client):  # an AsyncClaudeClient (pytest-asyncio)
        ...

or standalone: ``python -m claude_client.testing --port 8006 --max-workers 5`` (prints a key).

The deterministic model
-----------------------
The answer to a conversation is derived from its last user message ``p``:
``fake.expected_answer(p) == "Answer: " + " ".join(p.split())``, so every answer echoes
its own prompt. ``input_tokens`` = words of the prompt as the service sends it to the
CLI (chat: ``"<role>: <text>"`` joined by blank lines, so ``"user: " + p`` for one
message; ``/v1/process``: ``System:/User:/Assistant:``; batch items count like a
one-message chat), ``output_tokens`` = words of the answer; ``cost`` from the service's
price table for the three exact aliases (haiku 0.25/1.25, sonnet 3/15, opus 15/75 USD per
million tokens), 0.0 for any other name the CLI accepts; ``fake.expected_usage(p)``,
``fake.expected_cost(p, model)``.

Rules as the service: a null/absent ``model`` is routed by keywords,
context size and the project's remaining budget (``fake.expected_model(p, chat=True)``,
``route()``); ``"auto"`` is not special. The fake's CLI accepts the aliases and full
``claude-...`` ids (echoed, cost 0.0); any other name fails as 502 ``cli_error``
(``Process exited with code 1\nStderr: ...``; a failed batch item; a task 500). The
budget pre-check refuses when month usage + the request's estimate would pass the limit.
Failure markers in a prompt: ``[fail]`` (the CLI fails: 502 ``cli_error``) or
``[fail:<category>]`` (``rate_limited``, ``overloaded``, ``timeout``, ``upstream_error``,
``auth_error``, ... with the status, detail and headers of the path taken, §7); they
also drive ``/v1/process``'s circuit breakers and ``/health``'s ``error_rates``.

Capacity
--------
One worker pool per server: ``max_workers`` model runs at once (``serve(max_workers=5)``,
``set_max_workers(n)`` while running, ``--max-workers``), a FIFO queue of 10 x that, and
503 ``Worker pool overloaded: <n> active workers, <m> queued tasks. Try again later.``
beyond it. Its users: chat (CLI path), each batch prompt (a batch that overflows fails as
a whole; its admitted prompts keep running, results dropped), ``/v1/process`` (CLI path),
agentic tasks (overflow: a 200 ``failed``). Not its users: the chat tool path, the
process SDK path, the socket chat. ``latency(seconds, jitter=0.0)`` is how long ONE model
run holds its worker (``seconds + uniform(0, jitter)``, seeded); routes that run no model
stay instant. Waits as the service: chat waits its ``timeout`` from submission (queue
time counts: 504 ``Task timed out after 30.0 seconds``), process ``max(30, max_tokens /
10)``, a batch item ``timeout`` from when collection reaches it, a task ``timeout + 10``
(an overrun is 500 ``Task execution failed: object of type 'NoneType' has no len()``); a
running prompt is killed ``timeout`` s after its start; a prompt whose wait expired while
queued still runs later. ``fake.pool_stats()`` -> :class:`PoolStats`,
``fake.prompt_runs()`` -> runs started per prompt. Not modelled: the service's 0.5 s
monitor tick (results arrive at once here), the ≤ 2 s kill grace, its shared threads.

The socket ``/v1/stream``
-------------------------
Chat: ``model`` ``haiku``/``sonnet``/``opus`` only (absent -> sonnet; ``null``, ``"auto"``
or any other name -> ``Invalid model: <m>. Must be haiku, sonnet, or opus``); the
messages are flattened as the service does (``"role: content"``, a list content in its
Python text form), the budget pre-check is month usage + 2 x words of that prompt against
``project_id`` (default ``default``; ``null`` streams the answer, then a ``Streaming
error`` frame follows ``done`` and nothing is billed). The answer is cut like the service
cuts it: pieces of ``max(1, len(answer) // 20)`` characters (``stream_chunks``; 20 to 39
``token`` frames, one per character under 20 characters), ``set_token_delay`` apart
(default the service's 0.01 s). A failure marker gives ``Streaming error: Claude CLI
exited with code 1``. The chat's model run is outside the worker pool, and the service
reads it synchronously: while it runs (one ``latency``) the fake answers nothing else,
HTTP requests and other sockets wait until it ends and socket chats run one at a time
(``set_stream_stall(False)`` turns this off; runs already in the pool keep running).
Not modelled: the service's 30 s limit on reading the CLI's output once it has closed it
(a run is never cut on the socket, as the service practically never cuts it).
Agentic task: ``api_key`` only finds a permission profile (a revoked key with a profile
runs; no profile -> ``Permission denied: No permission profile found for API key``); the
check sees the raw JSON values (``$5`` stays ``$5``), then the fields are validated (a
wrong shape is one ``Server error: ...`` frame, then the TCP connection drops: 1006), then
``thinking`` and a ``result`` like ``POST /v1/task``'s body (``usage`` null when empty)
or ``Task execution error: ...``; the run goes through the pool with the message's
``timeout``, model auto-selected, project ``default``. On ``stop()`` open sockets close
with 1012, also in the middle of an answer.

Keys (``cc_`` + 40 hex): ``fake.api_key`` (profile pro, project ``default``),
``fake.free_key`` (free, ``free-project``), ``fake.enterprise_key`` (enterprise,
``enterprise-project``), more with ``fake.add_key(profile="enterprise", project_id=,
rpm=)`` (enterprise by default, as the service provisions keys). Every key allows 100
requests per wall-clock minute like the service (429 ``Rate limit exceeded. Please try
again later.``, no ``Retry-After``; refused requests are not counted): raise it for load
tests with ``serve(rpm=...)`` or ``fake.set_rate_limit(key, rpm)``.

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
* ``latency(seconds, *, jitter=0.0)``, ``set_max_workers(n)``, ``pool_stats()``,
  ``prompt_runs()``: the capacity model above.
* ``set_token_delay(seconds)``: pause between a socket chat's frames (default 0.01 s,
  the service's; 0 for benchmarks). ``set_stream_stall(enabled)``: the socket-chat stall
  above (default on).
* ``set_answer_words(n)``: every answer exactly ``n`` words (long answers; on the socket
  still 20 to 39 ``token`` frames).
* ``next_task_status(status, times=1)``: ``completed`` / ``failed`` (budget refusal) /
  ``overloaded`` (``failed`` by a pool refusal) / ``cost_exceeded`` / ``crash`` (the
  500 of a failed run) for the next agentic tasks (or put ``[failed]``,
  ``[cost_exceeded]``, ``[crash]`` in the description). ``timeout`` raises ValueError:
  the service never produces it.
* ``requests`` / ``requests_to(path, method=None)`` / ``clear_requests()``: what arrived
  (:class:`RecordedRequest`: method, path, query, headers with ``Authorization``
  redacted, JSON body with keys redacted, status, request_id, key_suffix, project_id,
  and ``key_found_in``: where else a key-looking string was sent, so redaction never
  hides a leak). ``set_recording(False)`` for long benchmark runs.
* ``traceparents(path=None)``: the W3C ``traceparent`` each recorded request arrived
  with (``RecordedRequest.traceparent`` / ``.tracestate``; a WebSocket message carries
  its handshake's), so tests can check the client's trace context reached the service.
* ``add_key``, ``revoke_key``, ``set_rate_limit``, ``set_budget(project_id, tokens)``,
  ``add_usage``, ``clear_faults``, ``set_ready``.
* Deployment-dependent parts of the service, each with the documented default:
  ``set_tool_passthrough(enabled)`` (off), ``set_anthropic_key(present)`` (present),
  ``set_process_default_path("cli"|"sdk")`` (cli), ``set_catalogue(agents, skills,
  wrapped_skills=)`` (holds the pro profile's names), ``set_request_id_alias(enabled)``
  (``X-Forgg-CCA-Request-Id`` sent), ``set_legacy_auth(enabled)`` (off: 401 for a
  missing key; on: FastAPI 0.109's 403), ``set_breaker(threshold, recovery_seconds)``
  (5 / 30 s), ``set_health("redis"|"audit_db", status)`` (ok).
* ``reset()``: everything back to the start (the three built-in keys stay valid; the
  pool's runs are killed, its counters zeroed, ``max_workers`` back to ``serve()``'s).

Helpers: ``unused_url()`` (a port that refuses connections), ``create_app(controls)``
(the ASGI app, e.g. for ``httpx2.ASGITransport``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._accounts import DEFAULT_RPM, KeyInfo, new_key
    from ._app import create_app
    from ._injections import Fault, Injection
    from ._model import PRICES, expected_answer, route, stream_chunks
    from ._pool import PoolStats
    from ._recording import RecordedRequest
    from ._server import FakeService, serve, unused_url
    from ._state import FakeControls

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
    "DEFAULT_RPM": "._accounts",
    "FakeControls": "._state",
    "Fault": "._injections",
    "Injection": "._injections",
    "KeyInfo": "._accounts",
    "RecordedRequest": "._recording",
    "new_key": "._accounts",
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


def extra_installed() -> bool:
    """Whether the ``testing`` extra (FastAPI and uvicorn) can be imported."""
    try:
        require_extra()
    except ImportError:
        return False
    return True


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
    "extra_installed",
    "new_key",
    "require_extra",
    "route",
    "serve",
    "stream_chunks",
    "unused_url",
]
