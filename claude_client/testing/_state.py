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
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Optional, Union

from . import _model
from ._pool import DEFAULT_MAX_WORKERS, PoolStats, WorkerPool

DEFAULT_RPM = 100
KEY_RE = re.compile(r"cc_[0-9a-f]{40}")
REDACTED = "<redacted>"

#: Outcomes ``next_task_status`` can force (all of them the service can produce).
TASK_STATUSES = ("completed", "failed", "overloaded", "cost_exceeded", "crash")
#: ``X-Forgg-CCA-Request-Id``: newer builds send it with the ``X-Request-ID`` value.
REQUEST_ID_ALIAS = "x-forgg-cca-request-id"
#: ``/health`` entries, in the service's order (BEHAVIOUR.md §4).
HEALTH_ENTRIES = (
    "worker_pool",
    "redis",
    "audit_db",
    "budget_manager",
    "auth_manager",
    "error_rates",
    "sdk_circuit_breaker",
    "cli_circuit_breaker",
)
ERROR_WINDOW_SECONDS = 300.0
ERROR_RATE_THRESHOLD = 50
#: Categories that count towards ``/v1/process``'s circuit breakers (and no category).
BREAKER_CATEGORIES = frozenset(
    {"rate_limited", "overloaded", "upstream_error", "timeout", "connection_error", None}
)


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
        frozenset({"security-auditor", "code-reviewer"}),
        frozenset({"vulnerability-scanner", "code-analyzer"}),
        300,
        1.00,
    ),
    "enterprise": Profile("enterprise", None, frozenset(), None, None, 600, 10.00),
}

#: The default agents/skills catalogue (deployment-dependent, BEHAVIOUR.md §8). It holds
#: the pro profile's agents and skills, so the pro key's allowed names run.
DEFAULT_AGENTS: tuple[dict[str, Any], ...] = (
    {
        "name": "code-reviewer",
        "description": "Reviews code for bugs and style",
        "tools": ["Read", "Grep", "Glob"],
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
    {
        "name": "test-writer",
        "description": "Writes unit tests for a module",
        "tools": ["Read", "Write", "Bash"],
        "model": "sonnet",
    },
)
DEFAULT_SKILLS: tuple[dict[str, Any], ...] = (
    {"name": "changelog", "description": "Draft a changelog entry", "command": "/changelog"},
    {"name": "code-analyzer", "description": "Static analysis of a module", "command": "/analyze"},
    {"name": "summarize", "description": "Summarise files or text", "command": "/summarize"},
    {
        "name": "vulnerability-scanner",
        "description": "Scan dependencies for known vulnerabilities",
        "command": "/scan",
    },
)


def _agent_entry(agent: Union[str, Mapping[str, Any]]) -> dict[str, Any]:
    if isinstance(agent, str):
        agent = {"name": agent}
    return {
        "name": str(agent["name"]),
        "description": str(agent.get("description") or "No description"),
        "tools": [str(t) for t in agent.get("tools") or []],
        "model": str(agent.get("model") or "sonnet"),
    }


def _skill_entry(skill: Union[str, Mapping[str, Any]]) -> dict[str, Any]:
    if isinstance(skill, str):
        skill = {"name": skill}
    name = str(skill["name"])
    return {
        "name": name,
        "description": str(skill.get("description") or "No description"),
        "command": str(skill.get("command") or name),
    }


@dataclass
class Breaker:
    """One ``/v1/process`` circuit breaker (BEHAVIOUR.md §7)."""

    name: str
    consecutive_failures: int = 0
    opened_at: Optional[float] = None

    def state(self, recovery: float) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if time.monotonic() - self.opened_at < recovery else "half_open"


class FakeControls:
    """The fake's state and every control tests use. See the package docstring."""

    def __init__(self, *, rpm: int = DEFAULT_RPM, max_workers: int = DEFAULT_MAX_WORKERS) -> None:
        self._lock = threading.RLock()
        self._default_rpm = rpm
        self._default_max_workers = max_workers
        self.pool = WorkerPool(max_workers)
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
        self._token_delay = 0.0
        self._answer_words: Optional[int] = None
        self._task_statuses: deque[str] = deque()
        self._requests: list[RecordedRequest] = []
        self._rate: dict[str, tuple[int, int]] = {}
        self._tool_passthrough = False
        self._anthropic_key = True
        self._process_default_cli = True
        self._request_id_alias = True
        self._legacy_auth = False
        self._agents = [_agent_entry(a) for a in DEFAULT_AGENTS]
        self._skills = [_skill_entry(s) for s in DEFAULT_SKILLS]
        self._wrapped_skills: frozenset[str] = frozenset()
        self._health: dict[str, str] = {"redis": "ok", "audit_db": "ok"}
        self._ready: tuple[bool, Optional[str]] = (True, None)
        self._recording = True
        self._errors: deque[tuple[float, str, str]] = deque()
        self._breaker_threshold = 5
        self._breaker_recovery = 30.0
        self._breakers = {"cli": Breaker("cli"), "sdk": Breaker("sdk")}

    def reset(self) -> None:
        """Back to the state right after start: faults, latency, delays, recorded
        requests, usage, budgets, rate-limit counters, added keys, task statuses, flags,
        catalogue, breakers and the worker pool (runs killed, counters zeroed,
        ``max_workers`` back to the ``serve()`` value) are reset; ``api_key`` /
        ``free_key`` / ``enterprise_key`` stay valid."""
        with self._lock:
            self._init_state()
        self.pool.reset(self._default_max_workers)

    # ------------------------------------------------------------------ keys

    def add_key(
        self,
        profile: Optional[str] = "enterprise",
        project_id: str = "default",
        rpm: int = DEFAULT_RPM,
        key: Optional[str] = None,
    ) -> str:
        """Register a key (``cc_`` + 40 hex unless ``key`` is given) and return it.

        ``profile``: ``"enterprise"`` (default, as the service provisions keys),
        ``"pro"``, ``"free"``, or ``None`` (no permission profile: agentic tasks then
        answer 403 ``No permission profile found for API key``). ``project_id``: the
        project chat/batch/usage are billed to. ``rpm``: requests per wall-clock minute
        before 429 ``Rate limit exceeded. Please try again later.``.
        """
        if profile is not None and profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; use one of {sorted(PROFILES)}")
        key = key or new_key()
        with self._lock:
            self._keys[key] = KeyInfo(key, project_id, profile, rpm)
        return key

    def revoke_key(self, key: str) -> None:
        """From now on ``key`` answers 401 ``Invalid or revoked API key`` (its profile
        stays: the socket's agentic task only looks the profile up)."""
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
        """Monthly token budget of a project (``None`` = no budget). A request is refused
        when the month's usage + its estimate would pass it (BEHAVIOUR.md §5.5): chat
        429 / process 403 ``Budget exceeded for project <id>``, tasks ``failed`` with
        ``Insufficient budget``, the socket an error frame."""
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
        """Usage of a period, in the server's local time: ``month`` since 00:00 on the 1st,
        ``week`` the last 7 x 24 h, ``day`` the last 24 h (rolling)."""
        now = time.time()
        if period == "day":
            since = now - 86_400
        elif period == "week":
            since = now - 7 * 86_400
        else:
            local = dt.datetime.fromtimestamp(now)
            since = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
        with self._lock:
            return [r for r in self._usage if r.project_id == project_id and r.when >= since]

    def tokens_used(self, project_id: str, period: str = "month") -> int:
        return sum(r.tokens for r in self.usage_records(project_id, period))

    def remaining(self, project_id: str) -> Optional[int]:
        """The month's remaining tokens of a project (None = no budget; may be negative)."""
        limit = self.budget(project_id)
        return None if limit is None else limit - self.tokens_used(project_id)

    def budget_exceeded(self, project_id: str, estimate: int = 0) -> bool:
        """The service's pre-check: month usage + ``estimate`` > limit (equal passes)."""
        limit = self.budget(project_id)
        if limit is None:
            return False
        return self.tokens_used(project_id) + estimate > limit

    # ------------------------------------------------------------------ capacity / timing

    def latency(self, seconds: float, *, jitter: float = 0.0) -> None:
        """How long ONE model run takes: ``seconds + uniform(0, jitter)`` (seeded).

        Runs of the worker pool (chat, batch items, process CLI path, tasks) hold a worker
        that long; the chat tool path, the process SDK path and the socket chat sleep that
        long outside the pool. Routes that run no model (``/health``, ``/v1/usage``,
        ``/v1/route``, ``/``, providers, capabilities, ``/ready``) stay instant. A run
        reaching its ``timeout`` is killed (chat/process 504, batch failed item, task 500)."""
        if seconds < 0 or jitter < 0:
            raise ValueError("latency: seconds and jitter must be >= 0")
        self.pool.set_latency(seconds, jitter)

    def set_max_workers(self, n: int) -> None:
        """Workers of the pool while the server runs (queue = 10 x n; service default 5)."""
        self.pool.set_max_workers(n)

    def pool_stats(self) -> PoolStats:
        """A snapshot of the worker pool: live numbers and counters since ``reset()``."""
        return self.pool.stats()

    def prompt_runs(self) -> Counter[str]:
        """How many model runs STARTED per prompt text (chat: the flattened prompt; batch:
        the item prompt; task: the description; process: its flattened prompt)."""
        return self.pool.prompt_runs()

    def set_token_delay(self, seconds: float) -> None:
        """Pause between two ``token`` frames of a stream (0 = off)."""
        with self._lock:
            self._token_delay = max(0.0, float(seconds))

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
        """Usage of a one-message chat ``[{"role": "user", "content": prompt}]`` (or a
        batch item): input = words of ``"user: " + prompt``, output = words of the answer."""
        return _model.usage_of("user: " + prompt, self.expected_answer(prompt))

    def expected_cost(self, prompt: str, model: Optional[str] = None) -> float:
        """Cost of that one-message chat with ``model`` (None = the auto-selected one);
        0.0 for names other than the three aliases (BEHAVIOUR.md §5.2)."""
        used = model if model is not None else self.expected_model(prompt, chat=True)
        u = self.expected_usage(prompt)
        return _model.cost(used, u["input_tokens"], u["output_tokens"])

    def expected_model(
        self,
        prompt: str,
        context_size: Optional[int] = None,
        *,
        chat: bool = False,
        project_id: Optional[str] = None,
    ) -> str:
        """The auto-selected model (BEHAVIOUR.md §5.1).

        Default: what ``POST /v1/route`` recommends for ``prompt`` and ``context_size``
        (default 0). ``chat=True``: what a one-message chat without ``model`` runs (the
        prompt is ``"user: " + prompt``, the context ``context_size`` as ``max_tokens`` or
        else its words). ``project_id``: whose remaining budget counts (None: no limit)."""
        remaining = self.remaining(project_id) if project_id is not None else None
        if chat:
            text = "user: " + prompt
            return _model.select_model(text, _model.chat_context(context_size, text), remaining)
        return _model.select_model(prompt, context_size or 0, remaining)

    # ------------------------------------------------------------------ tasks

    def next_task_status(self, status: str, times: int = 1) -> None:
        """Force the outcome of the next ``times`` agentic tasks (REST or socket):
        ``completed``; ``failed`` (the budget refusal: ``Insufficient budget``);
        ``overloaded`` (status ``failed`` with ``Worker pool overloaded: ...``, as a full
        pool refuses it, without filling the pool); ``cost_exceeded``; ``crash`` (the
        failed run: REST 500 ``Task execution failed: object of type 'NoneType' has no
        len()``, socket ``Task execution error: ...``).
        A description containing ``[failed]``, ``[cost_exceeded]`` or ``[crash]`` does the
        same. ``timeout`` is refused: the service declares it but never produces it."""
        if status == "timeout":
            raise ValueError(
                "task status 'timeout' is declared by the service but never produced "
                "(an overrun is a 500 'Task execution failed: ...'); use 'crash'"
            )
        if status not in TASK_STATUSES:
            raise ValueError(f"unknown task status {status!r}; use one of {TASK_STATUSES}")
        with self._lock:
            self._task_statuses.extend([status] * times)

    def _take_task_status(self) -> Optional[str]:
        with self._lock:
            return self._task_statuses.popleft() if self._task_statuses else None

    def set_catalogue(
        self,
        agents: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
        skills: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
        *,
        wrapped_skills: Sequence[str] = (),
    ) -> None:
        """The agents/skills catalogue of the service host (deployment-dependent).

        Items are names or dicts (agents: ``name``, ``description`` (default ``No
        description``), ``tools``, ``model`` (default ``sonnet``); skills: ``name``,
        ``description``, ``command`` (default = name)). ``None`` keeps the default list.
        ``wrapped_skills``: agent-wrapped skills, valid in ``allow_skills`` but not listed
        by ``/v1/capabilities``. Unknown names in a task -> 500 ``Unknown agents
        requested: ...``."""
        with self._lock:
            self._agents = [_agent_entry(a) for a in (DEFAULT_AGENTS if agents is None else agents)]
            self._skills = [_skill_entry(s) for s in (DEFAULT_SKILLS if skills is None else skills)]
            self._wrapped_skills = frozenset(wrapped_skills)

    def catalogue(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], frozenset[str]]:
        """(agents, skills, wrapped skills), lists sorted by name as ``/v1/capabilities``."""
        with self._lock:
            return (
                sorted(copy.deepcopy(self._agents), key=lambda a: a["name"]),
                sorted(copy.deepcopy(self._skills), key=lambda s: s["name"]),
                self._wrapped_skills,
            )

    # ------------------------------------------------------------------ deployment flags

    def set_tool_passthrough(self, enabled: bool) -> None:
        """``CLAUDE_API_TOOL_PASSTHROUGH_ENABLED`` (default off, as the service). On: a
        chat with non-empty ``tools`` goes to the (fake) Anthropic API and answers
        OpenAI-shaped (``choices``...); off: the tools are ignored."""
        with self._lock:
            self._tool_passthrough = bool(enabled)

    def set_anthropic_key(self, present: bool) -> None:
        """Whether the deployment has an Anthropic API key (default yes). Without one the
        SDK paths are unavailable: the chat tool path answers 500 ``SDK client not
        initialized`` and ``/v1/process`` always takes the CLI path."""
        with self._lock:
            self._anthropic_key = bool(present)

    def set_process_default_path(self, path: str) -> None:
        """``CLAUDE_API_DEFAULT_USE_CLI``: the ``/v1/process`` path when ``use_cli`` is
        omitted, ``"cli"`` (default) or ``"sdk"``."""
        if path not in ("cli", "sdk"):
            raise ValueError("path must be 'cli' or 'sdk'")
        with self._lock:
            self._process_default_cli = path == "cli"

    def set_legacy_auth(self, enabled: bool) -> None:
        """Answer a missing/non-Bearer ``Authorization`` as the pinned FastAPI 0.109 does:
        403 ``Not authenticated`` (``Invalid authentication credentials`` for another
        scheme), no ``WWW-Authenticate``. Default off: 401 + ``WWW-Authenticate: Bearer``
        (FastAPI >= 0.122)."""
        with self._lock:
            self._legacy_auth = bool(enabled)

    def set_request_id_alias(self, enabled: bool) -> None:
        """Send ``X-Forgg-CCA-Request-Id`` next to ``X-Request-ID`` (newer builds; default
        on). Off: an older build."""
        with self._lock:
            self._request_id_alias = bool(enabled)

    def set_breaker(self, threshold: int = 5, recovery_seconds: float = 30.0) -> None:
        """``/v1/process`` circuit breakers: consecutive failures that open one, and how
        long it stays open (service defaults 5 / 30 s; ``Retry-After`` stays 30)."""
        if threshold < 1 or recovery_seconds < 0:
            raise ValueError("threshold must be >= 1 and recovery_seconds >= 0")
        with self._lock:
            self._breaker_threshold = threshold
            self._breaker_recovery = float(recovery_seconds)

    def set_health(self, service: str, status: str) -> None:
        """Status of ``redis`` or ``audit_db`` in ``/health`` (e.g. ``unavailable``: a
        deployment without Redis reports the whole service ``degraded`` permanently)."""
        if service not in ("redis", "audit_db"):
            raise ValueError(
                "set_health: only 'redis' and 'audit_db' are settable; the worker pool, "
                "error rates and breakers report their live state"
            )
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
        """Count one request of ``info.key`` in the current wall-clock minute; False when
        over (a refused request is not counted; a window's first request always passes)."""
        minute = int(time.time() // 60)
        with self._lock:
            window, count = self._rate.get(info.key, (minute, 0))
            if window != minute:
                window, count = minute, 0
            if count > 0 and count >= info.rpm:
                self._rate[info.key] = (window, count)
                return False
            self._rate[info.key] = (window, count + 1)
            return True

    def _bill(self, project_id: str, model: str, tokens: int, cost: float) -> None:
        self.add_usage(project_id, model, tokens, cost)

    def _settings(self) -> tuple[float, float, int, Optional[int], bool]:
        """(one model run's duration, token delay, max_workers, answer words, tool
        passthrough). The duration is drawn anew on every call (jitter)."""
        duration = self.pool.draw_duration()
        with self._lock:
            return (
                duration,
                self._token_delay,
                self.pool.max_workers,
                self._answer_words,
                self._tool_passthrough,
            )

    def _flags(self) -> dict[str, Any]:
        with self._lock:
            return {
                "tool_passthrough": self._tool_passthrough,
                "anthropic_key": self._anthropic_key,
                "process_default_cli": self._process_default_cli,
                "request_id_alias": self._request_id_alias,
                "legacy_auth": self._legacy_auth,
                "answer_words": self._answer_words,
            }

    def _record_error(self, path: str, category: str) -> None:
        """Count a chat/process failure that carries a category (``/health`` error_rates)."""
        with self._lock:
            self._errors.append((time.monotonic(), path, category))

    def _error_rates(self) -> dict[str, Any]:
        cutoff = time.monotonic() - ERROR_WINDOW_SECONDS
        with self._lock:
            while self._errors and self._errors[0][0] < cutoff:
                self._errors.popleft()
            by_path: dict[str, dict[str, int]] = {}
            for _, path, category in self._errors:
                counts = by_path.setdefault(path, {})
                counts[category] = counts.get(category, 0) + 1
            return {
                "window_seconds": ERROR_WINDOW_SECONDS,
                "total_errors": len(self._errors),
                "by_path": by_path,
            }

    def _breaker_open(self, path: str) -> bool:
        """True when the ``/v1/process`` breaker of ``path`` ("cli"/"sdk") refuses."""
        with self._lock:
            return self._breakers[path].state(self._breaker_recovery) == "open"

    def _breaker_result(self, path: str, ok: bool, category: Optional[str] = None) -> None:
        """A ``/v1/process`` outcome on ``path``: a success closes the breaker; a failure
        with a retryable or no category counts (and opens it at the threshold, or reopens
        a half-open one); other categories neither count nor reset."""
        with self._lock:
            b = self._breakers[path]
            if ok:
                b.consecutive_failures = 0
                b.opened_at = None
                return
            if category not in BREAKER_CATEGORIES:
                return
            half_open = b.state(self._breaker_recovery) == "half_open"
            b.consecutive_failures += 1
            if half_open or b.consecutive_failures >= self._breaker_threshold:
                b.opened_at = time.monotonic()

    def _breaker_detail(self, path: str) -> dict[str, Any]:
        with self._lock:
            b = self._breakers[path]
            return {
                "name": path,
                "state": b.state(self._breaker_recovery),
                "consecutive_failures": b.consecutive_failures,
                "failure_threshold": self._breaker_threshold,
                "recovery_timeout_seconds": self._breaker_recovery,
            }

    def _health_snapshot(self) -> tuple[dict[str, str], tuple[bool, Optional[str]], float]:
        with self._lock:
            return dict(self._health), self._ready, self._started


def json_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
