"""State and test controls of the fake service (thread-safe).

Every control is a method of :class:`FakeControls`, which ``serve()``'s
``FakeService`` extends; they are called from the test's thread while the server runs
on its own thread, so all state sits behind one lock and the server only reads it in
short critical sections.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Optional, Union

from . import _model

DEFAULT_RPM = 100
DEFAULT_BATCH_CONCURRENCY = 5
#: The service's pause between two frames of a socket chat's answer (STREAMING.md).
STREAM_TOKEN_DELAY = 0.01
KEY_RE = re.compile(r"cc_[0-9a-f]{40}")
REDACTED = "<redacted>"

TASK_STATUSES = ("completed", "failed", "timeout", "cost_exceeded")


def new_key() -> str:
    """A fresh API key in the service's format: ``cc_`` + 40 hex digits."""
    return "cc_" + secrets.token_hex(20)


# Status -> X-Error-Category of a backend failure (BEHAVIOUR.md table).
CATEGORY_FOR_STATUS: dict[int, str] = {
    429: "rate_limited",
    503: "overloaded",
    502: "upstream_error",
    504: "timeout",
    400: "bad_request",
    500: "internal_error",
}

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class Fault(StrEnum):
    """What an injection does to the next matching request(s). See ``FakeControls.inject``.

    REST (matched by ``path`` / ``method``; ``path=None`` matches every route):

    ``ERROR``
        An error response: ``status`` (default 503), JSON ``{"detail": detail}`` or the
        raw ``body`` with ``content_type``; headers ``X-Error-Category`` (derived from the
        status like the service, or ``category``), ``Retry-After``, ``X-Upstream-Status``
        when given. Any status works, including non-IANA 520/529 and 200.
    ``HTML``
        An nginx-style ``text/html`` error page (default status 502) as a proxy sends.
    ``RESET``
        Sends the status line and headers (200, a ``Content-Length`` of the real size)
        and part of the body, then closes the TCP connection (client sees a protocol
        error / incomplete read).
    ``DISCONNECT``
        Reads the request, then closes the connection without sending a byte (httpx:
        ``RemoteProtocolError: Server disconnected without sending a response``).
    ``TCP_RESET``
        Reads the request, then aborts the connection with a TCP RST (httpx:
        ``ReadError``, connection reset by peer).
    ``HANG``
        Accepts the request and never answers; ends when the client disconnects or the
        server shuts down (then the connection is closed without a response).
    ``TRUNCATED_JSON``
        200 ``application/json`` whose body is the real answer cut in half (a complete
        HTTP response, invalid JSON).
    ``WRONG_SHAPE``
        200 with the real answer reshaped: keys in ``drop`` removed (default
        ``("content",)``) and ``replace`` applied (default ``{"usage": "n/a"}``).
    ``NOT_AUTHENTICATED_401`` / ``NOT_AUTHENTICATED_403``
        ``{"detail": "Not authenticated"}`` with 401 + ``WWW-Authenticate: Bearer``
        (current FastAPI) or 403 without it (older deployments).
    ``POOL_OVERLOADED``
        503 ``Worker pool overloaded: ...``.
    ``CLI_BREAKER_OPEN`` / ``UPSTREAM_BREAKER_OPEN``
        503 ``CLI circuit breaker open — too many recent failures`` (or ``Upstream API
        ...``) with ``Retry-After: 30`` (the service sends these on ``/v1/process``).

    WebSocket ``/v1/stream`` (each chat / agentic message is one request; ``after`` counts
    the frames sent before the fault strikes):

    ``WS_ERROR_FRAME``
        Answers with one ``{"type": "error", "error": detail}`` frame (default
        ``Streaming error: simulated failure``) after ``after`` token frames; the socket
        stays usable.
    ``WS_DROP``
        After ``after`` frames drops the TCP connection without a close frame (1006).
    ``WS_SILENT``
        After ``after`` frames stops sending but keeps the socket open (idle timeouts).
    ``WS_CLOSE_1001``
        After ``after`` frames closes with code 1001 "Server shutting down".
    ``WS_NO_TOKENS``
        The service's known defect: a ``done`` frame with usage and no ``token`` frames.
    ``WS_REFUSE``
        Refuses the upgrade itself with an HTTP ``status`` (default 503; JSON ``detail``,
        ``Retry-After`` when given). Consumed at the handshake, not per message.
    """

    ERROR = "error"
    HTML = "html"
    RESET = "reset"
    DISCONNECT = "disconnect"
    TCP_RESET = "tcp_reset"
    HANG = "hang"
    TRUNCATED_JSON = "truncated_json"
    WRONG_SHAPE = "wrong_shape"
    NOT_AUTHENTICATED_401 = "not_authenticated_401"
    NOT_AUTHENTICATED_403 = "not_authenticated_403"
    POOL_OVERLOADED = "pool_overloaded"
    CLI_BREAKER_OPEN = "cli_breaker_open"
    UPSTREAM_BREAKER_OPEN = "upstream_breaker_open"
    WS_ERROR_FRAME = "ws_error_frame"
    WS_DROP = "ws_drop"
    WS_SILENT = "ws_silent"
    WS_CLOSE_1001 = "ws_close_1001"
    WS_NO_TOKENS = "ws_no_tokens"
    WS_REFUSE = "ws_refuse"

    @property
    def is_websocket(self) -> bool:
        return self.value.startswith("ws_")


@dataclass
class Injection:
    """One armed fault. ``remaining`` counts down (``None`` = forever); ``hits`` counts up."""

    fault: Fault
    remaining: Optional[int] = 1
    path: Optional[str] = None
    method: Optional[str] = None
    status: Optional[int] = None
    detail: Optional[str] = None
    category: Optional[str] = None
    retry_after: Optional[Union[int, float, str]] = None
    upstream_status: Optional[int] = None
    body: Optional[Union[str, bytes, Mapping[str, Any], list[Any]]] = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0
    drop: tuple[str, ...] = ("content",)
    replace: dict[str, Any] = field(default_factory=lambda: {"usage": "n/a"})
    skip: int = 0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.path is not None and self.path != path:
            return False
        return self.method is None or self.method.upper() == method.upper()


@dataclass
class KeyInfo:
    key: str = field(repr=False)
    project_id: str
    profile: Optional[str]
    rpm: int = DEFAULT_RPM
    revoked: bool = False


@dataclass
class UsageRecord:
    when: float
    project_id: str
    model: str
    tokens: int
    cost: float


@dataclass
class RecordedRequest:
    """What arrived. The API key never appears: ``Authorization`` reads ``Bearer
    <redacted>`` and key-looking strings (``cc_`` + 40 hex) anywhere else read
    ``cc_<redacted>``. So that redaction cannot hide a leak, ``key_found_in`` lists where
    else a key-looking string was seen (``"query"``, ``"header x-name"``, ``"body"``):
    it should be empty for REST calls (the WebSocket ``agentic_task`` message carries
    ``api_key`` by protocol). ``key_suffix`` is the last 4 characters of the bearer key,
    ``project_id`` that key's project when it is known. WebSocket messages are recorded
    with ``method="WS"`` and the frame as ``body``; ``status`` is the HTTP status sent
    (None when no response started)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    status: Optional[int] = None
    request_id: Optional[str] = None
    key_suffix: Optional[str] = None
    project_id: Optional[str] = None
    time: float = 0.0
    key_found_in: tuple[str, ...] = ()

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())


def redact(value: Any) -> Any:
    """Copy of a JSON value with every API-key-looking string replaced."""
    try:
        return _redact(value)
    except RecursionError:
        return "<too deeply nested to record>"


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return KEY_RE.sub("cc_" + REDACTED, value)
    if isinstance(value, Mapping):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


# Permission profiles (BEHAVIOUR.md). ``None`` in tools/agents/skills means "all".
@dataclass(frozen=True)
class Profile:
    name: str
    tools: Optional[frozenset[str]]
    blocked_tools: frozenset[str]
    agents: Optional[frozenset[str]]
    skills: Optional[frozenset[str]]
    max_timeout: int
    max_cost: float


PROFILES: dict[str, Profile] = {
    "free": Profile(
        "free",
        frozenset({"Read"}),
        frozenset({"Write", "Edit", "Bash"}),
        frozenset(),
        frozenset(),
        60,
        0.10,
    ),
    "pro": Profile(
        "pro",
        frozenset({"Read", "Grep", "Glob", "Bash"}),
        frozenset({"Write", "Edit"}),
        frozenset({"code-reviewer", "test-writer"}),
        frozenset({"summarize", "lint"}),
        300,
        1.00,
    ),
    "enterprise": Profile("enterprise", None, frozenset(), None, None, 600, 10.00),
}

AGENTS: list[dict[str, Any]] = [
    {
        "name": "code-reviewer",
        "description": "Reviews code for bugs and style",
        "tools": ["Read", "Grep", "Glob"],
        "model": "sonnet",
    },
    {
        "name": "test-writer",
        "description": "Writes unit tests for a module",
        "tools": ["Read", "Write", "Bash"],
        "model": "sonnet",
    },
    {
        "name": "doc-writer",
        "description": "Writes documentation from source",
        "tools": ["Read", "Write"],
        "model": "haiku",
    },
    {
        "name": "security-auditor",
        "description": "Looks for security problems",
        "tools": ["Read", "Grep", "Bash"],
        "model": "opus",
    },
]
SKILLS: list[dict[str, Any]] = [
    {"name": "summarize", "description": "Summarise files or text", "command": "/summarize"},
    {"name": "lint", "description": "Run the project's linters", "command": "/lint"},
    {"name": "changelog", "description": "Draft a changelog entry", "command": "/changelog"},
]


class FakeControls:
    """The fake's state and every control tests use. See the package docstring."""

    def __init__(self, *, rpm: int = DEFAULT_RPM) -> None:
        self._lock = threading.RLock()
        self._default_rpm = rpm
        self.api_key = new_key()
        self.free_key = new_key()
        self.enterprise_key = new_key()
        self._started = time.time()
        self._init_state()

    # ------------------------------------------------------------------ state

    def _init_state(self) -> None:
        self._keys: dict[str, KeyInfo] = {}
        for key, project, profile in (
            (self.api_key, "default", "pro"),
            (self.free_key, "free-project", "free"),
            (self.enterprise_key, "enterprise-project", "enterprise"),
        ):
            self._keys[key] = KeyInfo(key, project, profile, self._default_rpm)
        self._budgets: dict[str, int] = {}
        self._usage: list[UsageRecord] = []
        self._injections: list[Injection] = []
        self._latency = 0.0
        self._token_delay = STREAM_TOKEN_DELAY
        self._stream_stall = True
        self._batch_concurrency = DEFAULT_BATCH_CONCURRENCY
        self._answer_words: Optional[int] = None
        self._task_statuses: deque[str] = deque()
        self._requests: list[RecordedRequest] = []
        self._rate: dict[str, tuple[int, int]] = {}
        self._tool_passthrough = True
        self._health: dict[str, str] = {"cli": "ok", "worker_pool": "ok", "database": "ok"}
        self._ready: tuple[bool, Optional[str]] = (True, None)
        self._recording = True

    def reset(self) -> None:
        """Back to the state right after start: faults, latency, delays, recorded
        requests, usage, budgets, rate-limit counters, added keys and task statuses
        are cleared; ``api_key`` / ``free_key`` / ``enterprise_key`` stay valid."""
        with self._lock:
            self._init_state()

    # ------------------------------------------------------------------ keys

    def add_key(
        self,
        profile: Optional[str] = "pro",
        project_id: str = "default",
        rpm: int = DEFAULT_RPM,
        key: Optional[str] = None,
    ) -> str:
        """Register a key (``cc_`` + 40 hex unless ``key`` is given) and return it.

        ``profile``: ``"free"``, ``"pro"``, ``"enterprise"``, or ``None`` (no permission
        profile: agentic tasks then answer 403 ``No permission profile found for API key``).
        ``project_id``: the project chat/batch/usage are billed to. ``rpm``: requests per
        wall-clock minute before 429 ``Rate limit exceeded. Please try again later.``.
        """
        if profile is not None and profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; use one of {sorted(PROFILES)}")
        key = key or new_key()
        with self._lock:
            self._keys[key] = KeyInfo(key, project_id, profile, rpm)
        return key

    def revoke_key(self, key: str) -> None:
        """From now on ``key`` answers 401 ``Invalid or revoked API key``."""
        with self._lock:
            if key in self._keys:
                self._keys[key].revoked = True

    def set_rate_limit(self, key: str, rpm: int) -> None:
        """Requests per minute for ``key`` (the service's default is 100)."""
        with self._lock:
            self._keys[key].rpm = rpm

    def key_info(self, key: str) -> Optional[KeyInfo]:
        with self._lock:
            info = self._keys.get(key)
            return copy.copy(info) if info else None

    # ------------------------------------------------------------------ budgets / usage

    def set_budget(self, project_id: str, tokens: Optional[int]) -> None:
        """Monthly token budget of a project (``None`` = no budget). When the month's
        usage reaches it, chat answers 429 / process 403 ``Budget exceeded for project
        <id>``, tasks ``failed`` with ``Insufficient budget``, the socket an error frame."""
        with self._lock:
            if tokens is None:
                self._budgets.pop(project_id, None)
            else:
                self._budgets[project_id] = tokens

    def add_usage(
        self,
        project_id: str,
        model: str,
        tokens: int,
        cost: float = 0.0,
        when: Optional[float] = None,
    ) -> None:
        """Record usage as if calls had happened (``when`` = unix time, default now)."""
        with self._lock:
            self._usage.append(
                UsageRecord(time.time() if when is None else when, project_id, model, tokens, cost)
            )

    def budget(self, project_id: str) -> Optional[int]:
        with self._lock:
            return self._budgets.get(project_id)

    def usage_records(self, project_id: str, period: str = "month") -> list[UsageRecord]:
        now = dt.datetime.now(dt.UTC)
        if period == "day":
            start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        elif period == "week":
            start = now - dt.timedelta(days=7)
        else:
            start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        since = start.timestamp()
        with self._lock:
            return [r for r in self._usage if r.project_id == project_id and r.when >= since]

    def tokens_used(self, project_id: str, period: str = "month") -> int:
        return sum(r.tokens for r in self.usage_records(project_id, period))

    def budget_exceeded(self, project_id: str, extra_tokens: int = 0) -> bool:
        limit = self.budget(project_id)
        if limit is None:
            return False
        used = self.tokens_used(project_id)
        return used >= limit if extra_tokens == 0 else used + extra_tokens > limit

    # ------------------------------------------------------------------ timing

    def latency(self, seconds: float) -> None:
        """Delay every request by ``seconds`` before it is answered (0 = off).

        Chat / process / task: the delay is the model run, so a delay at or above the
        request's own ``timeout`` gives the service's 504 ``Task timed out after <t>
        seconds`` (task: status ``timeout``) after ``timeout`` seconds. ``/v1/batch``:
        applied per item instead (items run ``set_batch_concurrency`` at a time).
        WebSocket: before the first frame of each request."""
        with self._lock:
            self._latency = max(0.0, float(seconds))

    def set_token_delay(self, seconds: float) -> None:
        """Pause between two frames of a socket chat's answer (``token`` frames and the
        ``done`` after them). The service's pause, and the default, is 0.01 s; 0 = off
        (benchmarks, fast tests)."""
        with self._lock:
            self._token_delay = max(0.0, float(seconds))

    def set_stream_stall(self, enabled: bool) -> None:
        """Model the service's stall during a socket chat (default on).

        The service reads a socket chat's CLI output synchronously, so while that model
        runs (one ``latency``) it answers nothing else: HTTP requests and other sockets
        wait until the run ends, and socket chats run one at a time. With ``False`` socket
        chats run side by side and stall nothing (a service that streams asynchronously)."""
        with self._lock:
            self._stream_stall = bool(enabled)

    def set_batch_concurrency(self, n: int) -> None:
        """How many items of one ``/v1/batch`` run at once (the service: about 5)."""
        if n < 1:
            raise ValueError("batch concurrency must be >= 1")
        with self._lock:
            self._batch_concurrency = n

    def set_answer_words(self, n: Optional[int]) -> None:
        """Make every answer exactly ``n`` words (the normal answer repeated), i.e. ``n``
        token frames on the socket: long streams for benchmarks. ``None`` = normal."""
        with self._lock:
            self._answer_words = n

    # ------------------------------------------------------------------ model helpers

    def expected_answer(self, prompt: str) -> str:
        """The answer the fake gives to ``prompt`` (the last user message):
        ``"Answer: " + " ".join(prompt.split())`` (see ``set_answer_words``)."""
        with self._lock:
            n = self._answer_words
        return _model.expected_answer(prompt, n)

    def expected_usage(self, prompt: str) -> dict[str, int]:
        """Usage of a one-message conversation ``[{"role": "user", "content": prompt}]``."""
        return _model.usage_for([{"role": "user", "content": prompt}], self.expected_answer(prompt))

    def expected_cost(self, prompt: str, model: str = "auto") -> float:
        m = _model.resolve_model(model, prompt)
        u = self.expected_usage(prompt)
        return _model.cost(m, u["input_tokens"], u["output_tokens"])

    @staticmethod
    def expected_model(prompt: str, context_size: int = 0) -> str:
        """The model ``auto`` / no model resolves to (same as ``POST /v1/route``)."""
        return _model.route(prompt, context_size)[0]

    # ------------------------------------------------------------------ tasks

    def next_task_status(self, status: str, times: int = 1) -> None:
        """Make the next ``times`` agentic tasks (REST or socket) end with ``status``:
        ``completed``, ``failed``, ``timeout`` or ``cost_exceeded``; or ``"crash"`` for
        500 ``Task execution failed: ...`` / ``Task execution error: ...`` on the socket.
        (A description containing ``[failed]``, ``[timeout]``, ``[cost_exceeded]`` or
        ``[crash]`` does the same without a control.)"""
        if status not in (*TASK_STATUSES, "crash"):
            raise ValueError(f"unknown task status {status!r}")
        with self._lock:
            self._task_statuses.extend([status] * times)

    def _take_task_status(self) -> Optional[str]:
        with self._lock:
            return self._task_statuses.popleft() if self._task_statuses else None

    # ------------------------------------------------------------------ misc service state

    def set_tool_passthrough(self, enabled: bool) -> None:
        """With ``tools`` in a chat request, answer OpenAI-shaped (``choices``...) when
        enabled (default) or ignore the tools when disabled."""
        with self._lock:
            self._tool_passthrough = enabled

    def set_health(self, service: str, status: str) -> None:
        """Status of one subsystem in ``/health`` (``cli``, ``worker_pool``, ``database``;
        anything but ``ok`` makes the overall status ``degraded``)."""
        with self._lock:
            self._health[service] = status

    def set_ready(self, ready: bool, reason: Optional[str] = None) -> None:
        """What ``/ready`` answers (always 200, like the service)."""
        with self._lock:
            self._ready = (ready, reason)

    # ------------------------------------------------------------------ faults

    def inject(
        self,
        fault: Union[Fault, str],
        *,
        times: Optional[int] = 1,
        path: Optional[str] = None,
        method: Optional[str] = None,
        status: Optional[int] = None,
        detail: Optional[str] = None,
        category: Optional[str] = None,
        retry_after: Optional[Union[int, float, str]] = None,
        upstream_status: Optional[int] = None,
        body: Optional[Union[str, bytes, Mapping[str, Any], list[Any]]] = None,
        content_type: str = "application/json",
        headers: Optional[Mapping[str, str]] = None,
        after: int = 0,
        drop: tuple[str, ...] = ("content",),
        replace: Optional[Mapping[str, Any]] = None,
        skip: int = 0,
    ) -> Injection:
        """Arm ``fault`` (a :class:`Fault`) for the next ``times`` matching requests
        (``None`` = until ``clear_faults``/``reset``). Injections are consulted in the
        order they were armed; the first match is used and counted down. Returns the
        :class:`Injection`, whose ``hits`` tells how many requests it struck.

        ``path``/``method`` restrict REST faults (exact path such as
        ``"/v1/chat/completions"``); WebSocket faults (``WS_*``) apply to ``/v1/stream``.
        ``skip``: let that many matching requests through first (e.g. the 3rd call
        fails). The other arguments parametrise the fault (see :class:`Fault`)."""
        fault = Fault(fault)
        inj = Injection(
            fault=fault,
            remaining=times,
            path=path,
            method=method,
            status=status,
            detail=detail,
            category=category,
            retry_after=retry_after,
            upstream_status=upstream_status,
            body=body,
            content_type=content_type,
            headers=dict(headers or {}),
            after=after,
            drop=tuple(drop),
            replace=dict(replace) if replace is not None else {"usage": "n/a"},
            skip=skip,
        )
        with self._lock:
            self._injections.append(inj)
        return inj

    def fail_next(
        self,
        n: Optional[int] = 1,
        status: int = 503,
        retry_after: Optional[Union[int, float, str]] = None,
        category: Optional[str] = None,
        detail: Optional[str] = None,
        path: Optional[str] = None,
        body: Optional[Union[str, bytes, Mapping[str, Any], list[Any]]] = None,
        content_type: str = "application/json",
        *,
        upstream_status: Optional[int] = None,
        method: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Injection:
        """The next ``n`` REST requests (matching ``path``) fail with ``status``
        (``n=None``: every request until ``clear_faults()``/``reset()``).

        Default body ``{"detail": "<service-like message>"}``; ``X-Error-Category`` is
        ``category`` or, when omitted, the service's category for the status (429
        rate_limited, 503 overloaded, 502 upstream_error, 504 timeout, 400 bad_request,
        500 internal_error; none for others such as 520/529). ``category=""`` sends no
        category header. ``retry_after`` (seconds or an HTTP date) -> ``Retry-After``;
        ``upstream_status`` -> ``X-Upstream-Status``; ``body`` (str/bytes/JSON) and
        ``content_type`` replace the body, e.g. an HTML page with ``"text/html"``."""
        return self.inject(
            Fault.ERROR,
            times=n,
            path=path,
            method=method,
            status=status,
            detail=detail,
            category=category,
            retry_after=retry_after,
            upstream_status=upstream_status,
            body=body,
            content_type=content_type,
            headers=headers,
        )

    def drop_stream_after(self, chunks: int, times: int = 1) -> Injection:
        """The next ``times`` streamed requests send ``chunks`` token frames, then the TCP
        connection drops without a close frame (the client sees 1006)."""
        return self.inject(Fault.WS_DROP, after=chunks, times=times)

    def clear_faults(self) -> None:
        with self._lock:
            self._injections.clear()

    @property
    def injections(self) -> list[Injection]:
        with self._lock:
            return list(self._injections)

    def _take_fault(
        self, websocket: bool, method: str, path: str, handshake: bool = False
    ) -> Optional[Injection]:
        with self._lock:
            for inj in self._injections:
                if inj.fault.is_websocket != websocket:
                    continue
                if websocket and (inj.fault is Fault.WS_REFUSE) != handshake:
                    continue
                if not websocket and not inj.matches(method, path):
                    continue
                if inj.skip > 0:
                    inj.skip -= 1
                    continue
                inj.hits += 1
                if inj.remaining is not None:
                    inj.remaining -= 1
                    if inj.remaining <= 0:
                        self._injections.remove(inj)
                return copy.copy(inj)
        return None

    # ------------------------------------------------------------------ requests

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request that arrived (REST and WebSocket messages), oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str, method: Optional[str] = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.path == path and (method is None or r.method == method.upper())
        ]

    def set_recording(self, enabled: bool) -> None:
        """Record requests (default) or not (long benchmark runs: no growing list)."""
        with self._lock:
            self._recording = enabled

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, rec: RecordedRequest) -> None:
        with self._lock:
            if self._recording:
                self._requests.append(rec)

    # ------------------------------------------------------------------ server-side helpers

    def _check_rate(self, info: KeyInfo) -> bool:
        """Count one request of ``info.key`` in the current wall-clock minute; False when over."""
        minute = int(time.time() // 60)
        with self._lock:
            window, count = self._rate.get(info.key, (minute, 0))
            if window != minute:
                window, count = minute, 0
            count += 1
            self._rate[info.key] = (window, count)
            return count <= info.rpm

    def _bill(self, project_id: str, model: str, tokens: int, cost: float) -> None:
        self.add_usage(project_id, model, tokens, cost)

    def _settings(self) -> tuple[float, float, int, Optional[int], bool]:
        with self._lock:
            return (
                self._latency,
                self._token_delay,
                self._batch_concurrency,
                self._answer_words,
                self._tool_passthrough,
            )

    def _stream_settings(self) -> tuple[float, bool]:
        """(pause between a socket chat's frames, stall the service during its model run)."""
        with self._lock:
            return self._token_delay, self._stream_stall

    def _health_snapshot(self) -> tuple[dict[str, str], tuple[bool, Optional[str]], float]:
        with self._lock:
            return dict(self._health), self._ready, self._started


def json_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
