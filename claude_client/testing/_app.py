"""The fake service's ASGI application: every route of ``openapi.json`` plus ``/v1/stream``.

``create_app(controls)`` builds a FastAPI app whose behaviour follows
``shared/contract/BEHAVIOUR.md`` and ``STREAMING.md``; ``controls`` (a
:class:`~claude_client.testing._state.FakeControls`) holds its state and the injected
faults. The app is wrapped in :class:`_FaultMiddleware`, a plain ASGI middleware that
records requests, adds ``X-Request-ID``, applies latency and injected REST faults.
"""

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
import socket
import struct
import time
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Mapping,
    MutableMapping,
    Sequence,
)
from typing import Annotated, Any, NoReturn, Optional

from fastapi import Depends, FastAPI, HTTPException, Query, WebSocket
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from . import _model
from ._schemas import (
    AgenticTaskRequest,
    AgenticTaskResponse,
    AIServiceResponse,
    BatchRequest,
    BatchResponse,
    CapabilitiesResponse,
    ChatCompletionRequest,
    HealthResponse,
    ProcessRequest,
    ReadyResponse,
    RouteRequest,
    RouteResponse,
    UsageResponse,
)
from ._state import (
    AGENTS,
    CATEGORY_FOR_STATUS,
    KEY_RE,
    NGINX_502,
    PROFILES,
    SKILLS,
    FakeControls,
    Fault,
    Injection,
    KeyInfo,
    RecordedRequest,
    json_dumps,
    redact,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

VERSION = "0.1.0"
SERVICE_NAME = "Claude Code API Service"
# Paths of the fake's own tooling, never subject to faults or latency.
TOOLING_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# Routes that apply ``latency`` themselves (as the model run, against their timeout).
SELF_TIMED_PATHS = frozenset({"/v1/chat/completions", "/v1/process", "/v1/task", "/v1/batch"})
PROVIDERS = ("anthropic", "claudecode")
PROVIDER_ALIASES = ("anthropic", "claudecode", "claude")
MARKER_FAIL = "[fail]"
# The service's CLI limit for one streamed chat (STREAMING.md: "... after 30 seconds").
STREAM_RUN_TIMEOUT = 30.0


class DropConnection(Exception):
    """Raised inside the app to make uvicorn close the TCP connection without a
    response (HTTP) or without a close frame (WebSocket: the client sees 1006)."""


class ServiceCrash(DropConnection):
    """An unhandled error in a route, as the service has: plain-text 500, then the
    connection is closed."""


class ShuttingDown(DropConnection):
    """The server is stopping while a request waits (HTTP: drop; WebSocket: close 1001)."""


class _QuietDrops(logging.Filter):
    """Keep uvicorn from logging a traceback for the drops we cause on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DropConnection)


_quiet = _QuietDrops()
logging.getLogger("uvicorn.error").addFilter(_quiet)


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _fmt_seconds(t: float) -> str:
    return f"{t:g}"


def backend_error(
    status: int,
    detail: str,
    *,
    category: Optional[str] = None,
    retry_after: Optional[Any] = None,
    upstream_status: Optional[int] = None,
) -> JSONResponse:
    """A failed model run as the service reports it (BEHAVIOUR.md)."""
    headers: dict[str, str] = {}
    if category:
        headers["X-Error-Category"] = category
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if upstream_status is not None:
        headers["X-Upstream-Status"] = str(upstream_status)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


# --------------------------------------------------------------------------- tasks


class TaskPermissionError(Exception):
    pass


class TaskExecutionError(Exception):
    pass


def check_permission(
    info: Optional[KeyInfo],
    tools: Sequence[str],
    agents: Sequence[str],
    skills: Sequence[str],
    timeout: Any,
    max_cost: Any,
) -> Optional[str]:
    """The reason a key's permission profile forbids the task, or None.

    Only the profile counts: a revoked key whose profile exists passes (the socket looks
    keys up this way; ``POST /v1/task`` refuses revoked keys at authentication). The values
    print as given (``timeout`` 300 -> ``300s``, ``max_cost`` 5 -> ``$5``)."""
    if info is None or info.profile is None:
        return "No permission profile found for API key"
    p = PROFILES[info.profile]
    for t in tools:
        if t in p.blocked_tools:
            return f"Tool '{t}' is explicitly blocked"
        if p.tools is not None and t not in p.tools:
            return f"Tool '{t}' is not in allowed list"
    for a in agents:
        if p.agents is not None and a not in p.agents:
            return f"Agent '{a}' is not in allowed list"
    for s in skills:
        if p.skills is not None and s not in p.skills:
            return f"Skill '{s}' is not in allowed list"
    if timeout > p.max_timeout:
        return f"Requested timeout ({timeout}s) exceeds limit ({p.max_timeout}s)"
    if max_cost > p.max_cost:
        return f"Requested max cost (${max_cost}) exceeds limit (${p.max_cost})"
    return None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(text.lower().split()[:6])).strip("-")
    return slug or "task"


async def run_task(
    controls: FakeControls,
    *,
    description: str,
    tools: Sequence[str],
    agents: Sequence[str],
    skills: Sequence[str],
    timeout: float,
    max_cost: float,
    model: Optional[str],
    project_id: str,
    working_directory: str,
    shutdown: asyncio.Event,
) -> dict[str, Any]:
    """Run an agentic task (after the permission check); the body without ``task_id``.

    Raises :class:`TaskExecutionError` for the executor's own failures."""
    if not description.strip():
        raise TaskExecutionError("Description is required")
    known_agents = {a["name"] for a in AGENTS}
    known_skills = {s["name"] for s in SKILLS}
    unknown = [a for a in agents if a not in known_agents]
    if unknown:
        raise TaskExecutionError(f"Unknown agents requested: {', '.join(unknown)}")
    unknown = [s for s in skills if s not in known_skills]
    if unknown:
        raise TaskExecutionError(f"Unknown skills requested: {', '.join(unknown)}")

    status = controls._take_task_status()
    if status is None:
        for marker in ("crash", "failed", "timeout", "cost_exceeded"):
            if f"[{marker}]" in description:
                status = marker
                break
    if status == "crash":
        raise TaskExecutionError("simulated crash of the run")

    started = time.monotonic()
    used_model = _model.resolve_model(model, description)
    summary = "Completed: " + " ".join(description.split())
    log: list[dict[str, Any]] = [
        {
            "step": 1,
            "timestamp": _now_iso(),
            "action": "task_started",
            "details": {"description": description, "model": used_model},
        }
    ]
    for kind, names in (("tool_use", tools), ("agent_spawned", agents), ("skill_invoked", skills)):
        for name in names:
            log.append(
                {
                    "step": len(log) + 1,
                    "timestamp": _now_iso(),
                    "action": kind,
                    "details": {"name": name},
                }
            )
    full_output = summary + "".join(f"\n- used {entry['details']['name']}" for entry in log[1:])
    input_tokens = max(1, _model.count_tokens(description)) * 10 + 50 * len(log)
    output_tokens = _model.count_tokens(full_output) * 5
    total = input_tokens + output_tokens
    total_cost = _model.cost(used_model, input_tokens, output_tokens)

    if status is None and controls.budget_exceeded(project_id, extra_tokens=total):
        return {
            "status": "failed",
            "result": {"error": "Insufficient budget"},
            "execution_log": log,
            "artifacts": [],
            "usage": {"estimated_tokens": total},
        }

    latency = controls._settings()[0]
    if latency >= timeout or status == "timeout":
        if latency >= timeout:
            await _sleep(timeout, shutdown)
        return {
            "status": "timeout",
            "result": {"error": f"Task exceeded timeout of {_fmt_seconds(timeout)}s"},
            "execution_log": log,
            "artifacts": [],
            "usage": {},
        }
    await _sleep(latency, shutdown)

    if status == "failed":
        log.append(
            {
                "step": len(log) + 1,
                "timestamp": _now_iso(),
                "action": "task_failed",
                "details": {"error": "simulated failure"},
            }
        )
        return {
            "status": "failed",
            "result": {"error": "Task failed: simulated failure"},
            "execution_log": log,
            "artifacts": [],
            "usage": {},
        }
    if status == "cost_exceeded":
        spent = round(max_cost * 1.5 + 0.01, 4)
        controls._bill(project_id, used_model, total, spent)
        return {
            "status": "cost_exceeded",
            "result": {
                "error": f"Cost ${spent} exceeded limit ${max_cost}",
                "output": summary[: max(1, len(summary) // 2)],
            },
            "execution_log": log,
            "artifacts": [],
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "total_cost": spent,
                "model_used": used_model,
            },
        }

    controls._bill(project_id, used_model, total, total_cost)
    log.append(
        {
            "step": len(log) + 1,
            "timestamp": _now_iso(),
            "action": "task_completed",
            "details": {"status": "completed"},
        }
    )
    path = f"{working_directory.rstrip('/') or ''}/output/{_slug(description)}.md"
    artifact = {
        "type": "file",
        "path": path,
        "size_bytes": len(full_output.encode()),
        "created_at": _now_iso(),
    }
    return {
        "status": "completed",
        "result": {
            "summary": summary,
            "full_output": full_output,
            "workspace_directory": working_directory,
        },
        "execution_log": log,
        "artifacts": [artifact],
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": total,
            "total_cost": total_cost,
            "model_used": used_model,
            "duration_seconds": round(time.monotonic() - started, 4),
        },
    }


async def _sleep(seconds: float, shutdown: asyncio.Event) -> None:
    """Sleep, but wake up when the server shuts down."""
    if seconds <= 0:
        return
    try:
        await asyncio.wait_for(shutdown.wait(), timeout=seconds)
    except TimeoutError:
        return
    raise ShuttingDown("server shutting down")


# --------------------------------------------------------------------------- app


def create_app(controls: FakeControls, shutdown: Optional[asyncio.Event] = None) -> ASGIApp:
    """The fake service as an ASGI app (FastAPI wrapped in the fault middleware).

    ``shutdown`` is set by ``serve()`` when the server stops: hanging requests end and
    open sockets close with 1001. Without it (e.g. under ``httpx.ASGITransport``) an
    event is created on first use."""
    app = FastAPI(
        title=SERVICE_NAME,
        description="API wrapper around Claude Code CLI for rapid prototyping",
        version=VERSION,
    )
    app.state.controls = controls
    holder: dict[str, asyncio.Event] = {}
    if shutdown is not None:
        holder["event"] = shutdown

    def shutdown_event() -> asyncio.Event:
        if "event" not in holder:
            holder["event"] = asyncio.Event()
        return holder["event"]

    stall = StallGate()
    bearer = HTTPBearer(auto_error=False)

    async def authenticate(
        credentials: Annotated[Optional[HTTPAuthorizationCredentials], Depends(bearer)],
    ) -> KeyInfo:
        if credentials is None:
            raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        info = controls.key_info(credentials.credentials)
        if info is None or info.revoked:
            raise HTTPException(401, "Invalid or revoked API key")
        if not controls._check_rate(info):
            raise HTTPException(429, "Rate limit exceeded. Please try again later.")
        return info

    Authed = Annotated[KeyInfo, Depends(authenticate)]

    async def model_run(timeout: float) -> Optional[JSONResponse]:
        """The latency of a model run; the service's 504 when it exceeds ``timeout``."""
        latency = controls._settings()[0]
        if latency >= timeout:
            await _sleep(timeout, shutdown_event())
            return JSONResponse(
                {"detail": f"Task timed out after {_fmt_seconds(timeout)} seconds"},
                status_code=504,
            )
        await _sleep(latency, shutdown_event())
        return None

    def invalid_model(model: str) -> JSONResponse:
        return backend_error(
            502, f"Claude CLI error: invalid model '{model}'", category="cli_error"
        )

    # ------------------------------------------------------------------ REST routes

    @app.post("/v1/chat/completions", tags=["API"])
    async def chat_completion(request: ChatCompletionRequest, key: Authed) -> Response:
        """Single chat completion.

        Returns the ChatCompletionResponse shape (id, model, content, usage, cost,
        project_id). Errors: 401/429 auth, 429 "Budget exceeded for project <id>",
        502/503/504/429/500 upstream failures (with Retry-After / X-Error-Category /
        X-Upstream-Status headers where applicable), 504 worker timeout.
        """
        messages = [
            m.model_dump() if hasattr(m, "model_dump") else dict(m) for m in request.messages
        ]
        if not messages:
            raise HTTPException(400, "No messages provided")
        prompt = _model.last_user_text(messages)
        model = _model.resolve_model(request.model, prompt, request.max_tokens or 0)
        if model not in _model.MODELS:
            return invalid_model(model)
        if controls.budget_exceeded(key.project_id):
            raise HTTPException(429, f"Budget exceeded for project {key.project_id}")
        if MARKER_FAIL in prompt:
            return backend_error(502, "Claude CLI error: simulated failure", category="cli_error")
        timed_out = await model_run(request.timeout)
        if timed_out is not None:
            return timed_out
        answer_words, passthrough = controls._settings()[3], controls._settings()[4]
        answer = _model.expected_answer(prompt, answer_words)
        usage = _model.usage_for(messages, answer)
        cost = _model.cost(model, usage["input_tokens"], usage["output_tokens"])
        controls._bill(key.project_id, model, usage["total_tokens"], cost)
        completion_id = "chatcmpl-" + uuid.uuid4().hex[:24]
        if request.tools and passthrough:
            return JSONResponse(
                _openai_body(
                    completion_id,
                    model,
                    answer,
                    usage,
                    cost,
                    key.project_id,
                    request.tools,
                    request.tool_choice,
                    prompt,
                )
            )
        return JSONResponse(
            {
                "id": completion_id,
                "model": model,
                "content": answer,
                "usage": usage,
                "cost": cost,
                "project_id": key.project_id,
            }
        )

    @app.post("/v1/batch", response_model=BatchResponse, tags=["API"])
    async def batch_processing(request: BatchRequest, key: Authed) -> Any:
        """Run several prompts with one model; per-item failures are reported in
        the body (status "failed" + error), not as HTTP errors. No budget check.
        """
        if not request.prompts and request.model is None:
            # The service crashes on this input: Starlette answers its plain-text 500,
            # then uvicorn closes the connection (no "Connection: close" announced).
            raise ServiceCrash("batch without prompts and model")
        latency, _, concurrency, answer_words, _ = controls._settings()
        gate = asyncio.Semaphore(concurrency)
        shutdown = shutdown_event()

        async def one(item_prompt: str, item_id: Optional[str]) -> dict[str, Any]:
            async with gate:
                base = {"id": item_id, "prompt": item_prompt}
                model = _model.resolve_model(request.model, item_prompt)
                if latency >= request.timeout:
                    await _sleep(request.timeout, shutdown)
                    return {
                        **base,
                        "status": "failed",
                        "error": f"Task timed out after {_fmt_seconds(request.timeout)} seconds",
                    }
                await _sleep(latency, shutdown)
                if model not in _model.MODELS:
                    return {
                        **base,
                        "status": "failed",
                        "error": f"Claude CLI error: invalid model '{model}'",
                    }
                if MARKER_FAIL in item_prompt:
                    return {
                        **base,
                        "status": "failed",
                        "error": "Claude CLI error: simulated failure",
                    }
                answer = _model.expected_answer(item_prompt, answer_words)
                usage = _model.usage_for([{"role": "user", "content": item_prompt}], answer)
                cost = _model.cost(model, usage["input_tokens"], usage["output_tokens"])
                controls._bill(key.project_id, model, usage["total_tokens"], cost)
                return {
                    **base,
                    "status": "completed",
                    "content": answer,
                    "usage": usage,
                    "cost": cost,
                }

        results = await asyncio.gather(*(one(p.prompt, p.id) for p in request.prompts))
        done = [r for r in results if r["status"] == "completed"]
        return {
            "total": len(results),
            "completed": len(done),
            "failed": len(results) - len(done),
            "results": results,
            "total_cost": round(sum(r["cost"] for r in done), 8),
            "total_tokens": sum(r["usage"]["total_tokens"] for r in done),
        }

    @app.get("/v1/usage", response_model=UsageResponse, tags=["API"])
    async def get_usage(
        key: Authed,
        period: str = Query("month", description="Time period: month, week, or day"),
    ) -> Any:
        """Usage of the key's project for a period (month|week|day; anything else -> 400)."""
        if period not in ("month", "week", "day"):
            raise HTTPException(400, f"Invalid period: {period}. Use 'month', 'week', or 'day'")
        records = controls.usage_records(key.project_id, period)
        by_model: dict[str, dict[str, Any]] = {}
        for r in records:
            entry = by_model.setdefault(r.model, {"tokens": 0, "cost": 0.0})
            entry["tokens"] += r.tokens
            entry["cost"] = round(entry["cost"] + r.cost, 8)
        total = sum(r.tokens for r in records)
        limit = controls.budget(key.project_id)
        return {
            "project_id": key.project_id,
            "period": period,
            "total_tokens": total,
            "total_cost": round(sum(r.cost for r in records), 8),
            "by_model": by_model,
            "limit": limit,
            "remaining": None if limit is None else limit - total,
        }

    @app.post("/v1/route", response_model=RouteResponse, tags=["API"])
    async def route_recommendation(request: RouteRequest, key: Authed) -> Any:
        """Which model the auto-router would pick for a prompt, why, and the
        project's monthly budget status.
        """
        model, reasoning = _model.route(request.prompt, request.context_size)
        limit = controls.budget(key.project_id)
        used = controls.tokens_used(key.project_id)
        return {
            "recommended_model": model,
            "reasoning": reasoning,
            "budget_status": {
                "project_id": key.project_id,
                "limit": limit,
                "used": used,
                "remaining": None if limit is None else limit - used,
                "exceeded": limit is not None and used >= limit,
            },
        }

    @app.post("/v1/process", response_model=AIServiceResponse, tags=["API"])
    async def process_ai_services_compatible(request: ProcessRequest, key: Authed) -> Any:
        """ai-services compatible completion: provider/model_name are mapped to
        haiku/sonnet/opus; budget is checked against the body's project_id (403 when
        exceeded); streaming and async modes answer 501.
        """
        if request.additional_params and request.additional_params.get("stream"):
            raise HTTPException(501, "Streaming is not supported on /v1/process; use /v1/stream")
        if request.async_processing:
            raise HTTPException(501, "Async processing is not implemented")
        messages: list[dict[str, Any]] = []
        if request.system_message:
            messages.append({"role": "system", "content": request.system_message})
        for m in request.messages or []:
            messages.append({"role": str(m.role), "content": m.content})
        if request.user_message:
            messages.append({"role": "user", "content": request.user_message})
        elif isinstance(request.content, str) and request.content:
            messages.append({"role": "user", "content": request.content})
        if not any(m["role"] != "system" for m in messages):
            raise HTTPException(400, "No messages provided")
        if request.provider.lower() not in PROVIDER_ALIASES:
            raise HTTPException(
                400,
                f"Provider {request.provider} not supported. "
                "Only 'anthropic' and 'claudecode' available.",
            )
        project_id = request.project_id or "default"
        if controls.budget_exceeded(project_id):
            raise HTTPException(403, f"Budget exceeded for project {project_id}")
        prompt = _model.last_user_text(messages)
        name = request.model_name.lower()
        model = next((m for m in _model.MODELS if m in name), None)
        if model is None:
            model = _model.resolve_model(None, prompt) if name == "auto" else "sonnet"
        if MARKER_FAIL in prompt:
            return backend_error(502, "Claude CLI error: simulated failure", category="cli_error")
        timed_out = await model_run(300.0)
        if timed_out is not None:
            return timed_out
        answer = _model.expected_answer(prompt, controls._settings()[3])
        usage = _model.usage_for(messages, answer)
        cost = _model.cost(model, usage["input_tokens"], usage["output_tokens"])
        controls._bill(project_id, model, usage["total_tokens"], cost)
        return JSONResponse(
            {
                "content": answer,
                "content_blocks": [{"type": "text", "text": answer}],
                "model": model,
                "provider": "claudecode",
                "metadata": {
                    "usage": usage,
                    "cost": cost,
                    "project_id": project_id,
                    "requested_model": request.model_name,
                },
            }
        )

    @app.get("/v1/providers", tags=["API"])
    async def list_providers() -> Response:
        """Providers known to the compatibility layer (no auth)."""
        return JSONResponse(
            {
                "providers": [
                    {
                        "name": "anthropic",
                        "description": "Anthropic models through Claude Code",
                        "models": list(_model.MODELS),
                    },
                    {
                        "name": "claudecode",
                        "description": "Claude Code CLI",
                        "models": list(_model.MODELS),
                    },
                ]
            }
        )

    @app.get("/v1/providers/{provider}/models", tags=["API"])
    async def get_provider_models(provider: str) -> Response:
        """Model catalogue for anthropic / claudecode / claude (no auth); 404 otherwise."""
        if provider.lower() not in PROVIDER_ALIASES:
            raise HTTPException(
                404,
                f"Provider {provider} not supported. Only 'anthropic' and 'claudecode' available.",
            )
        return JSONResponse(
            {
                "provider": provider,
                "models": [
                    {
                        "id": m,
                        "name": f"claude-{m}",
                        "input_price_per_mtok": _model.PRICES[m][0],
                        "output_price_per_mtok": _model.PRICES[m][1],
                    }
                    for m in _model.MODELS
                ],
            }
        )

    @app.post("/v1/task", response_model=AgenticTaskResponse, tags=["API"])
    async def execute_agentic_task(request: AgenticTaskRequest, key: Authed) -> Any:
        """Agentic task. 403 "Permission denied: <reason>" when the key's profile
        forbids a tool/agent/skill, timeout or max_cost; outcome statuses in a 200
        body: completed | failed | timeout | cost_exceeded; 500 "Task execution
        failed: <reason>" for executor errors.
        """
        reason = check_permission(
            key,
            request.allow_tools,
            request.allow_agents,
            request.allow_skills,
            request.timeout,
            request.max_cost,
        )
        if reason:
            raise HTTPException(403, f"Permission denied: {reason}")
        try:
            body = await run_task(
                controls,
                description=request.description,
                tools=request.allow_tools,
                agents=request.allow_agents,
                skills=request.allow_skills,
                timeout=request.timeout,
                max_cost=request.max_cost,
                model=request.model,
                project_id=request.project_id,
                working_directory=request.working_directory,
                shutdown=shutdown_event(),
            )
        except TaskExecutionError as exc:
            raise HTTPException(500, f"Task execution failed: {exc}") from exc
        return {"task_id": str(uuid.uuid4()), **body}

    @app.get("/v1/capabilities", response_model=CapabilitiesResponse, tags=["API"])
    async def get_capabilities(key: Authed) -> Any:
        """Agents and skills the fake ~/.claude directory provides."""
        return {
            "agents": AGENTS,
            "skills": SKILLS,
            "agents_count": len(AGENTS),
            "skills_count": len(SKILLS),
        }

    @app.get("/health", response_model=HealthResponse)
    async def health() -> Any:
        """Subsystem health; always 200, overall "ok" or "degraded"."""
        services, _, started = controls._health_snapshot()
        overall = "ok" if all(s == "ok" for s in services.values()) else "degraded"
        return {
            "status": overall,
            "version": VERSION,
            "uptime_seconds": round(time.time() - started, 3),
            "services": {name: {"status": s, "detail": None} for name, s in services.items()},
        }

    @app.get("/ready", response_model=ReadyResponse)
    async def ready() -> Any:
        """Readiness; 200 with ready=false while starting (not 503)."""
        _, (is_ready, reason), _ = controls._health_snapshot()
        return {"ready": is_ready, "reason": reason}

    @app.get("/")
    async def root() -> Response:
        """Service name, version and entry points."""
        return JSONResponse(
            {
                "service": SERVICE_NAME,
                "version": VERSION,
                "docs": "/docs",
                "health": "/health",
                "websocket": "/v1/stream",
            }
        )

    # ------------------------------------------------------------------ WebSocket

    @app.websocket("/v1/stream")
    async def stream(websocket: WebSocket) -> None:
        refuse = controls._take_fault(True, "WS", "/v1/stream", handshake=True)
        if refuse is not None:
            controls._record(
                RecordedRequest(
                    "WS",
                    "/v1/stream",
                    "",
                    _headers(websocket.scope),
                    None,
                    refuse.status or 503,
                    time=time.time(),
                )
            )
            await websocket.send_denial_response(_fault_error_response(refuse, 503))
            return
        await websocket.accept()
        session = _StreamSession(controls, websocket, shutdown_event(), stall)
        await session.run()

    return _StallMiddleware(_FaultMiddleware(app, controls, shutdown_event), stall)


def _openai_body(
    completion_id: str,
    model: str,
    answer: str,
    usage: Mapping[str, int],
    cost: float,
    project_id: str,
    tools: Sequence[Mapping[str, Any]],
    tool_choice: Any,
    prompt: str,
) -> dict[str, Any]:
    """The OpenAI-shaped chat body the service answers with tool passthrough."""
    names = [str((t.get("function") or {}).get("name") or t.get("name") or "tool") for t in tools]
    chosen: Optional[str] = None
    if isinstance(tool_choice, Mapping):
        chosen = str((tool_choice.get("function") or {}).get("name") or names[0])
    elif tool_choice == "required":
        chosen = names[0]
    elif tool_choice != "none":
        chosen = next((n for n in names if n.lower() in prompt.lower()), None)
    message: dict[str, Any] = {"role": "assistant", "content": answer}
    finish = "stop"
    if chosen is not None:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_" + uuid.uuid5(uuid.NAMESPACE_URL, prompt).hex[:24],
                    "type": "function",
                    "function": {"name": chosen, "arguments": json.dumps({"input": prompt})},
                }
            ],
        }
        finish = "tool_calls"
    return {
        "id": completion_id,
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": usage["input_tokens"],
            "completion_tokens": usage["output_tokens"],
            "total_tokens": usage["total_tokens"],
        },
        "cost": cost,
        "project_id": project_id,
    }


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} <redacted>".strip()
        elif KEY_RE.search(value):
            value = str(redact(value))
        out[name] = value
    return out


def _key_places(scope: Scope, query: str, body: bytes) -> tuple[str, ...]:
    """Where, besides the Authorization header, a key-looking string was sent."""
    places: list[str] = []
    if KEY_RE.search(query):
        places.append("query")
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        if name != "authorization" and KEY_RE.search(raw_value.decode("latin-1")):
            places.append(f"header {name}")
    if KEY_RE.search(body.decode("utf-8", errors="replace")):
        places.append("body")
    return tuple(places)


def _auth_key(scope: Scope) -> Optional[str]:
    for raw_name, raw_value in scope.get("headers", []):
        if raw_name.lower() == b"authorization":
            value: str = bytes(raw_value).decode("latin-1")
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token:
                return token.strip()
    return None


def _fault_error_response(inj: Injection, default_status: int) -> Response:
    """The response of an ERROR-like injection (also used to refuse a WS upgrade)."""
    status = inj.status or default_status
    headers = dict(inj.headers)
    category = inj.category if inj.category is not None else CATEGORY_FOR_STATUS.get(status)
    if inj.fault is not Fault.ERROR and inj.fault is not Fault.WS_REFUSE:
        category = inj.category
    if category:
        headers["X-Error-Category"] = category
    if inj.retry_after is not None:
        headers["Retry-After"] = str(inj.retry_after)
    if inj.upstream_status is not None:
        headers["X-Upstream-Status"] = str(inj.upstream_status)
    body = inj.body
    if body is None:
        detail = inj.detail or _default_detail(status, category)
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    if isinstance(body, (Mapping, list)):
        return JSONResponse(body, status_code=status, headers=headers)
    raw = body.encode() if isinstance(body, str) else body
    return Response(raw, status_code=status, headers=headers, media_type=inj.content_type)


def _default_detail(status: int, category: Optional[str]) -> str:
    if category:
        return f"Claude API error ({category}): injected by the fake service"
    return f"HTTP {status}: injected by the fake service"


class _FaultMiddleware:
    """Records each request, adds ``X-Request-ID``, applies latency and REST faults."""

    def __init__(
        self, app: FastAPI, controls: FakeControls, shutdown: Callable[[], asyncio.Event]
    ) -> None:
        self.app = app
        self.controls = controls
        self.shutdown = shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        request_id = None
        for raw_name, raw_value in scope.get("headers", []):
            if raw_name.lower() == b"x-request-id":
                request_id = raw_value.decode("latin-1")
        request_id = request_id or str(uuid.uuid4())
        key = _auth_key(scope)
        info = self.controls.key_info(key) if key else None
        try:
            parsed: Any = json.loads(body) if body else None
        except (ValueError, RecursionError):
            parsed = body.decode("utf-8", errors="replace")
        query = scope.get("query_string", b"").decode("latin-1")
        record = RecordedRequest(
            method=method,
            path=path,
            query=str(redact(query)),
            headers=_headers(scope),
            body=redact(parsed),
            request_id=request_id,
            key_suffix=key[-4:] if key else None,
            project_id=info.project_id if info else None,
            time=time.time(),
            key_found_in=_key_places(scope, query, body),
        )
        self.controls._record(record)

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        if path in TOOLING_PATHS:
            await self.app(scope, replay, send_with_id)
            return
        inj = self.controls._take_fault(False, method, path)
        if inj is None:
            if path not in SELF_TIMED_PATHS:
                await _sleep(self.controls._settings()[0], self.shutdown())
            await self.app(scope, replay, send_with_id)
            return
        await self._apply(inj, scope, replay, receive, send_with_id)

    async def _apply(
        self, inj: Injection, scope: Scope, replay: Receive, receive: Receive, send: Send
    ) -> None:
        fault = inj.fault
        if fault is Fault.HANG:
            await self._hang(receive)
            return
        if fault is Fault.DISCONNECT:
            await _close_without_response(receive)
            return
        if fault is Fault.TCP_RESET:
            await _close_without_response(receive, rst=True)
            return
        if fault in (Fault.RESET, Fault.TRUNCATED_JSON, Fault.WRONG_SHAPE):
            status, headers, body = await self._capture(scope, replay)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            if fault is Fault.RESET:
                headers.append((b"content-length", str(len(body)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[: len(body) // 2],
                        "more_body": True,
                    }
                )
                raise DropConnection("reset mid-response")
            if fault is Fault.TRUNCATED_JSON:
                body = body[: max(1, len(body) // 2)]
            else:
                try:
                    value = json.loads(body)
                except ValueError:
                    value = {}
                if isinstance(value, dict):
                    for name in inj.drop:
                        value.pop(name, None)
                    value.update(inj.replace)
                body = json_dumps(value)
            headers.append((b"content-length", str(len(body)).encode()))
            await send(
                {"type": "http.response.start", "status": inj.status or status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body})
            return
        response: Response
        if fault is Fault.HTML:
            page = inj.body if inj.body is not None else NGINX_502
            raw = page.encode() if isinstance(page, str) else page
            if not isinstance(raw, bytes):
                raw = json_dumps(raw)
            response = Response(
                raw, status_code=inj.status or 502, media_type="text/html", headers=inj.headers
            )
        elif fault is Fault.NOT_AUTHENTICATED_401:
            response = JSONResponse(
                {"detail": "Not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        elif fault is Fault.NOT_AUTHENTICATED_403:
            response = JSONResponse({"detail": "Not authenticated"}, status_code=403)
        elif fault is Fault.POOL_OVERLOADED:
            response = backend_error(
                503,
                inj.detail or "Worker pool overloaded: all workers busy, queue full",
                retry_after=inj.retry_after,
            )
        elif fault in (Fault.CLI_BREAKER_OPEN, Fault.UPSTREAM_BREAKER_OPEN):
            which = "CLI" if fault is Fault.CLI_BREAKER_OPEN else "Upstream API"
            response = backend_error(
                503,
                f"{which} circuit breaker open — too many recent failures",
                retry_after=inj.retry_after if inj.retry_after is not None else 30,
            )
        else:
            response = _fault_error_response(inj, 503)
        await response(scope, replay, send)

    async def _capture(
        self, scope: Scope, replay: Receive
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        return status, headers, b"".join(parts)

    async def _hang(self, receive: Receive) -> None:
        """Wait for the client to go away or the server to stop; never answer."""
        disconnected = asyncio.ensure_future(_wait_disconnect(receive))
        stopping = asyncio.ensure_future(self.shutdown().wait())
        try:
            await asyncio.wait({disconnected, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            disconnected.cancel()
            stopping.cancel()
        await _close_without_response(receive)


async def _close_without_response(receive: Receive, *, rst: bool = False) -> None:
    """Close the TCP connection without sending anything.

    ASGI has no message for this; under uvicorn, ``receive`` is a bound method of the
    request cycle, which holds the transport. Elsewhere, fall back to DropConnection
    (uvicorn would then answer 500)."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise DropConnection("close without response")
    if rst:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER on with a 0 s timeout: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Let the server see the connection as lost, so it does not send its own 500.
    for _ in range(3):
        await asyncio.sleep(0)


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


# --------------------------------------------------------------------------- WebSocket

#: Socket chat accepts only these names (STREAMING.md); no ``auto``, no default for ``null``.
SOCKET_MODELS = ("haiku", "sonnet", "opus")
#: What uvicorn closes the sockets still open at shutdown with (STREAMING.md "On shutdown").
SHUTDOWN_CLOSE_CODE = 1012
#: The fields of an ``agentic_task`` message the service reads (the rest is ignored).
SOCKET_TASK_FIELDS = (
    "description",
    "allow_tools",
    "allow_agents",
    "allow_skills",
    "timeout",
    "max_cost",
)
#: Why the service cannot record a chat's usage with ``"project_id": null`` (the fake's
#: wording: the service's text comes from its database; only the prefix is contractual).
NULL_PROJECT_DETAIL = "NOT NULL constraint failed: usage.project_id"


class StallGate:
    """The service's stall while a socket chat's model runs (STREAMING.md "How a socket
    chat runs"): it reads the CLI's output synchronously on its event loop, so nothing
    else is served until the run ends.

    The fake keeps its own loop free and closes this gate instead: HTTP requests wait at it
    before they are read and before each message of their response goes out, WebSocket
    connections before the handshake and around every frame (:class:`_StallMiddleware`),
    and socket chats run their models one at a time. Model runs already in the worker
    pool keep running (CLI processes are not stalled); their answers leave after the stall.
    """

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def passage(self) -> None:
        """Return once no socket chat's model is running."""
        while not self._open.is_set():
            await self._open.wait()

    @contextlib.asynccontextmanager
    async def closed(self) -> AsyncIterator[None]:
        """Hold the whole service while the block runs (after any stall already running)."""
        await self.passage()
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()


class _StallMiddleware:
    """Makes HTTP requests and WebSocket traffic wait at the :class:`StallGate`."""

    def __init__(self, app: ASGIApp, gate: StallGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        gate = self.gate
        if not gate.is_open:
            await gate.passage()

        async def gated_send(message: Message) -> None:
            if not gate.is_open:
                await gate.passage()
            await send(message)

        if kind == "http":
            # ``receive`` stays the server's own: _close_without_response needs its transport.
            await self.app(scope, receive, gated_send)
            return

        async def gated_receive() -> Message:
            message = await receive()
            if not gate.is_open:
                await gate.passage()
            return message

        await self.app(scope, gated_receive, gated_send)


class _Silent(Exception):
    pass


def socket_prompt(messages: Any) -> str:
    """The prompt of a socket chat as the service builds it: ``"role: content"`` joined by
    blank lines, ``role`` defaulting to ``user`` and the content inserted as is (a list of
    content blocks appears as its Python text form, ``null`` as ``None``).

    Raises TypeError / AttributeError for a ``messages`` value the service cannot
    iterate as objects (its ``Server error:`` case)."""
    return "\n\n".join(f"{m.get('role', 'user')}: {m.get('content', '')}" for m in messages)


class _StreamSession:
    """One accepted ``/v1/stream`` connection (STREAMING.md)."""

    def __init__(
        self, controls: FakeControls, websocket: WebSocket, shutdown: asyncio.Event, gate: StallGate
    ) -> None:
        self.controls = controls
        self.ws = websocket
        self.shutdown = shutdown
        self.gate = gate
        self.headers = _headers(websocket.scope)

    async def run(self) -> None:
        try:
            while True:
                message = await self._receive()
                if message is None:
                    await self._close_for_shutdown()
                    return
                if message["type"] == "websocket.disconnect":
                    return
                if "text" not in message:
                    # The service reads text frames (``message["text"]``): a KeyError.
                    await self._server_error(repr("text"))
                text = message["text"]
                try:
                    data: Any = json.loads(text)
                except ValueError:
                    self._record(text, text)
                    await self._send({"type": "error", "error": "Invalid JSON format"})
                    continue
                except RecursionError as exc:
                    # Not a JSONDecodeError: the service's generic handler answers it.
                    self._record(text, text)
                    await self._server_error(str(exc))
                self._record(data, text)
                if not isinstance(data, dict):
                    await self._server_error(
                        f"'{type(data).__name__}' object has no attribute 'get'"
                    )
                kind = data.get("type")
                if kind == "chat":
                    await self._chat(data)
                elif kind == "agentic_task":
                    await self._task(data)
                else:
                    await self._send({"type": "error", "error": f"Unknown message type: {kind}"})
        except ShuttingDown:
            await self._close_for_shutdown()
        except (WebSocketDisconnect, _Silent):
            return
        except (RuntimeError, OSError) as exc:  # client went away mid-send
            if "close" in str(exc).lower() or isinstance(exc, OSError):
                return
            raise

    def _record(self, body: Any, raw: str) -> None:
        key_found_in = ("body",) if KEY_RE.search(raw) else ()
        self.controls._record(
            RecordedRequest(
                "WS",
                "/v1/stream",
                "",
                self.headers,
                redact(body),
                time=time.time(),
                key_found_in=key_found_in,
            )
        )

    async def _receive(self) -> Optional[Message]:
        """The next ASGI message, or None when the server is shutting down."""
        if self.shutdown.is_set():
            return None
        receiving = asyncio.ensure_future(self.ws.receive())
        stopping = asyncio.ensure_future(self.shutdown.wait())
        done, _ = await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if receiving in done:
            stopping.cancel()
            return receiving.result()
        receiving.cancel()
        return None

    async def _send(self, frame: Mapping[str, Any]) -> None:
        if self.shutdown.is_set():
            await self._close_for_shutdown()
            raise WebSocketDisconnect(SHUTDOWN_CLOSE_CODE)
        await self.ws.send_text(json.dumps(frame))

    async def _close_for_shutdown(self) -> None:
        """The server stops: close as uvicorn does (1012), even in the middle of a response."""
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self.ws.close(code=SHUTDOWN_CLOSE_CODE)

    async def _close_1001(self) -> None:
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self.ws.close(code=1001, reason="Server shutting down")

    async def _error(self, text: str) -> None:
        await self._send({"type": "error", "error": text})

    async def _server_error(self, detail: str) -> NoReturn:
        """The service's crash path: one ``Server error`` frame, then a TCP drop (1006)."""
        await self._error(f"Server error: {detail}")
        raise DropConnection(detail)

    async def _stay_silent(self) -> None:
        message = await self._receive_until_closed()
        if message is None:
            await self._close_for_shutdown()
        raise _Silent()

    async def _receive_until_closed(self) -> Optional[Message]:
        while True:
            message = await self._receive()
            if message is None or message["type"] == "websocket.disconnect":
                return message

    async def _frames(
        self,
        frames: Sequence[Mapping[str, Any]],
        final: Mapping[str, Any],
        inj: Optional[Injection],
        token_delay: float,
        before_final: Callable[[], None],
    ) -> bool:
        """Send ``frames`` ``token_delay`` apart, then ``final``, honouring a WebSocket
        fault. ``before_final`` runs just before the final frame goes out (billing is
        visible once it arrives). False when a fault replaced the final frame."""
        if inj is not None and inj.fault is Fault.WS_NO_TOKENS:
            frames = []
        for i, frame in enumerate(frames):
            if inj is not None and i == inj.after:
                await self._strike(inj)
                return False
            if i and token_delay:
                await _sleep(token_delay, self.shutdown)
            await self._send(frame)
        if inj is not None and inj.fault is not Fault.WS_NO_TOKENS:
            await self._strike(inj)
            return False
        if frames and token_delay:
            await _sleep(token_delay, self.shutdown)
        before_final()
        await self._send(final)
        return True

    async def _strike(self, inj: Injection) -> None:
        fault = inj.fault
        if fault is Fault.WS_ERROR_FRAME:
            await self._error(inj.detail or "Streaming error: simulated failure")
        elif fault is Fault.WS_DROP:
            raise DropConnection("drop_stream_after")
        elif fault is Fault.WS_SILENT:
            await self._stay_silent()
        elif fault is Fault.WS_CLOSE_1001:
            await self._close_1001()
            raise _Silent()

    async def _model_run(self) -> None:
        """The socket chat's CLI run: outside the worker pool, one run's ``latency``; while
        it runs the whole service stalls (unless ``set_stream_stall(False)``)."""
        duration = self.controls._settings()[0]
        if duration <= 0:
            return
        if not self.controls._stream_settings()[1]:
            await _sleep(duration, self.shutdown)
            return
        async with self.gate.closed():
            await _sleep(duration, self.shutdown)

    async def _chat(self, data: Mapping[str, Any]) -> None:
        messages = data.get("messages")
        if not messages:
            await self._error("No messages provided")
            return
        model = data.get("model", "sonnet")
        if model not in SOCKET_MODELS:
            await self._error(f"Invalid model: {model}. Must be haiku, sonnet, or opus")
            return
        try:
            prompt = socket_prompt(messages)
        except (TypeError, AttributeError) as exc:
            await self._server_error(str(exc))
        project_id = data.get("project_id", "default")
        project = None if project_id is None else str(project_id)
        limit = None if project is None else self.controls.budget(project)
        if limit is not None:
            estimate = 2 * len(prompt.split())
            if self.controls.tokens_used(project or "") + estimate > limit:
                await self._error(f"Budget exceeded for project {project_id}")
                return
        inj = self.controls._take_fault(True, "WS", "/v1/stream")
        await self._model_run()
        answer_source = _model.last_user_text(messages)
        if MARKER_FAIL in answer_source:
            await self._error("Streaming error: Claude CLI exited with code 1")
            return
        token_delay = self.controls._stream_settings()[0]
        answer = _model.expected_answer(answer_source, self.controls._settings()[3])
        input_tokens = max(1, len(prompt.split()))
        output_tokens = _model.count_tokens(answer)
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
        }
        cost = _model.cost(model, input_tokens, output_tokens)
        frames = [{"type": "token", "content": c} for c in _model.stream_chunks(answer)]
        final = {"type": "done", "usage": usage, "cost": cost, "model": model}

        def bill() -> None:
            if project is not None:
                self.controls._bill(project, model, usage["total_tokens"], cost)

        finished = await self._frames(frames, final, inj, token_delay, bill)
        if finished and project is None:
            await self._error(f"Streaming error: {NULL_PROJECT_DETAIL}")

    async def _task(self, data: Mapping[str, Any]) -> None:
        key = data.get("api_key")
        if not key:
            await self._error("api_key required for agentic tasks")
            return
        # The key only finds a permission profile (not checked for validity or
        # revocation), and the check sees the raw JSON values: numbers print as sent.
        try:
            reason = check_permission(
                self.controls.key_info(key) if isinstance(key, str) else None,
                data.get("allow_tools", []),
                data.get("allow_agents", []),
                data.get("allow_skills", []),
                data.get("timeout", 300),
                data.get("max_cost", 1.0),
            )
        except TypeError as exc:  # e.g. a null list or a string timeout
            await self._server_error(str(exc))
        if reason:
            await self._error(f"Permission denied: {reason}")
            return
        try:
            request = AgenticTaskRequest(
                **{name: data[name] for name in SOCKET_TASK_FIELDS if name in data}
            )
        except ValidationError as exc:
            await self._server_error(str(exc))
        inj = self.controls._take_fault(True, "WS", "/v1/stream")
        if inj is not None and inj.after == 0 and inj.fault is not Fault.WS_NO_TOKENS:
            await self._strike(inj)
            return
        await self._send({"type": "thinking", "content": "Starting task execution..."})
        try:
            body = await run_task(
                self.controls,
                description=request.description,
                tools=request.allow_tools,
                agents=request.allow_agents,
                skills=request.allow_skills,
                timeout=request.timeout,
                max_cost=request.max_cost,
                model=None,
                project_id="default",
                working_directory=request.working_directory,
                shutdown=self.shutdown,
            )
        except TaskExecutionError as exc:
            await self._error(f"Task execution error: {exc}")
            return
        if inj is not None and inj.fault is not Fault.WS_NO_TOKENS:
            await self._strike(inj)
            return
        await self._send({"type": "result", **body, "usage": body.get("usage") or None})
