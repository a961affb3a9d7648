"""The fake service's REST routes (BEHAVIOUR.md §2-§7): ``router``, which ``create_app``
includes; each route finds the app's :class:`FakeControls` through the ``Controls``
dependency.

Every model run of a CLI path goes through the worker pool (``_pool``); the SDK paths
(chat tool path, ``/v1/process`` with ``use_cli: false``) sleep one run's duration outside
it. Failure markers in the last user message / item prompt / process prompt make a run
fail as the service's backend fails: ``[fail]`` (CLI ``cli_error``) or
``[fail:<category>]`` with ``rate_limited``, ``overloaded``, ``timeout``,
``upstream_error``, ``auth_error``, ``connection_error``, ``bad_request`` or
``internal_error`` (status, ``detail`` and headers of §7 for the path taken).
"""

import asyncio
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from . import _model
from ._accounts import KeyInfo
from ._deployment import HEALTH_ENTRIES
from ._errors import (
    CLI_BREAKER_OPEN,
    SDK_BREAKER_OPEN,
    ServiceCrash,
    categorized,
    cli_failure,
    cli_stderr,
    error,
    marker_category,
    pool_timeout,
    sdk_failure,
)
from ._pool import PoolOverloaded, Run
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
from ._state import FakeControls
from ._tasks import TaskExecutionError, check_permission, run_task

VERSION = "0.1.0"
SERVICE_NAME = "Claude Code API Service"
PROVIDER_ALIASES = ("anthropic", "claudecode", "claude")
STREAM_NOT_IMPLEMENTED = (
    "Streaming via /v1/process not yet implemented. Use /v1/stream WebSocket instead."
)
NO_MESSAGES = "No user or assistant messages provided"

ROOT_BODY = {
    "name": SERVICE_NAME,
    "version": VERSION,
    "docs": "/docs",
    "health": "/health",
    "ready": "/ready",
    "endpoints": {
        "chat": "/v1/chat/completions",
        "batch": "/v1/batch",
        "usage": "/v1/usage",
        "route": "/v1/route",
        "stream": "ws://localhost:8006/v1/stream",
    },
}
PROVIDERS_BODY = [
    {"name": "claudecode", "available": True, "models": ["haiku", "sonnet", "opus"]},
    {
        "name": "anthropic",
        "available": True,
        "models": ["haiku", "sonnet", "opus", "claude-3-haiku", "claude-3-sonnet", "claude-3-opus"],
    },
]


def _provider_models() -> dict[str, dict[str, Any]]:
    base = {"context_window": 200000, "supports_functions": False, "supports_vision": True}
    return {
        "haiku": {"max_tokens": 4096, **base},
        "sonnet": {"max_tokens": 8192, **base},
        "opus": {"max_tokens": 4096, **base},
    }


async def sleep_run(controls: FakeControls) -> None:
    """A model run outside the pool (SDK paths): one run's duration."""
    duration = controls.pool.draw_duration()
    if duration > 0:
        await asyncio.sleep(duration)


def _dump(messages: Sequence[Any]) -> list[dict[str, Any]]:
    return [m.model_dump() if hasattr(m, "model_dump") else dict(m) for m in messages]


def _has_dialogue(messages: Sequence[Mapping[str, Any]]) -> bool:
    return any(str(m.get("role")) in ("user", "assistant") for m in messages)


def _controls(request: Request) -> FakeControls:
    controls: FakeControls = request.app.state.controls
    return controls


#: The fake's state, for the routes (``create_app`` sets ``app.state.controls``).
Controls = Annotated[FakeControls, Depends(_controls)]
#: Every REST route of the service; ``create_app`` includes it.
router = APIRouter()
bearer = HTTPBearer(auto_error=False)


async def authenticate(
    request: Request,
    controls: Controls,
    credentials: Annotated[Optional[HTTPAuthorizationCredentials], Depends(bearer)],
) -> KeyInfo:
    if credentials is None or not credentials.credentials:
        if controls._flags()["legacy_auth"]:
            header = request.headers.get("authorization", "")
            scheme = header.split(" ", 1)[0].lower() if header.strip() else ""
            if scheme and scheme != "bearer":
                raise HTTPException(403, "Invalid authentication credentials")
            raise HTTPException(403, "Not authenticated")
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    info = controls.key_info(credentials.credentials)
    if info is None or info.revoked:
        raise HTTPException(401, "Invalid or revoked API key")
    if not controls._check_rate(info):
        raise HTTPException(429, "Rate limit exceeded. Please try again later.")
    return info


Authed = Annotated[KeyInfo, Depends(authenticate)]

# ------------------------------------------------------------------ chat


@router.post("/v1/chat/completions", tags=["API"])
async def chat_completion(
    request: ChatCompletionRequest, key: Authed, controls: Controls
) -> Response:
    """Single chat completion.

    Returns the ChatCompletionResponse shape (id, model, content, usage, cost,
    project_id). Errors: 401/429 auth, 429 "Budget exceeded for project <id>",
    502/503/504/429/500 upstream failures (with Retry-After / X-Error-Category /
    X-Upstream-Status headers where applicable), 504 worker timeout.
    """
    messages = _dump(request.messages)
    flags = controls._flags()
    if flags["tool_passthrough"] and request.tools:
        return await _tool_path(controls, request, messages, key, flags)
    project = key.project_id
    prompt = _model.chat_prompt(messages)
    model = request.model
    if model is None:
        context = _model.chat_context(request.max_tokens, prompt)
        model = _model.select_model(prompt, context, controls.remaining(project))
    if controls.budget_exceeded(project, 2 * _model.count_tokens(prompt)):
        return error(429, f"Budget exceeded for project {project}")
    try:
        run = controls.pool.submit(prompt, request.timeout)
    except PoolOverloaded as exc:
        return error(503, exc.detail)
    if not await controls.pool.finished(run, request.timeout):
        return pool_timeout(request.timeout)
    text = _model.last_user_text(messages)
    stderr = cli_stderr(model, prompt, text)
    if stderr is not None:
        status, detail, category = cli_failure(stderr)
        controls._record_error("cli", category)
        return categorized(status, detail, category)
    answer = _model.expected_answer(text, flags["answer_words"])
    usage = _model.usage_of(prompt, answer)
    cost = _model.cost(model, usage["input_tokens"], usage["output_tokens"])
    controls._bill(project, model, usage["total_tokens"], cost)
    return JSONResponse(
        {
            "id": str(uuid.uuid4()),
            "model": model,
            "content": answer,
            "usage": usage,
            "cost": cost,
            "project_id": project,
        }
    )


async def _tool_path(
    controls: FakeControls,
    request: ChatCompletionRequest,
    messages: list[dict[str, Any]],
    key: KeyInfo,
    flags: Mapping[str, Any],
) -> Response:
    if not flags["anthropic_key"]:
        return error(500, "SDK client not initialized")
    project = key.project_id
    model = request.model
    if model is None:
        text = repr(messages)
        context = request.max_tokens or _model.count_tokens(text)
        model = _model.select_model(text, context, controls.remaining(project))
    if controls.budget_exceeded(project, 2 * _model.tool_path_budget_words(messages)):
        return error(429, f"Budget exceeded for project {project}")
    await sleep_run(controls)
    if not _has_dialogue(messages):
        # No category (§7 "none"), so not counted in /health's error_rates.
        return error(500, NO_MESSAGES)
    last = _model.last_user_text(messages)
    category = marker_category(last)
    if category is None and not _model.cli_accepts(model):
        category = "unknown_model"
    if category is not None:
        status, detail, cat, headers = sdk_failure(category)
        if category == "unknown_model":
            detail = f"Anthropic API error: model: {model} not found"
        controls._record_error("sdk", cat or "internal_error")
        return categorized(status, detail, cat, **headers)
    answer = _model.expected_answer(last, flags["answer_words"])
    usage = _model.usage_of(_model.chat_prompt(messages), answer)
    cost = _model.sdk_cost(model, usage["input_tokens"], usage["output_tokens"])
    controls._bill(project, model, usage["total_tokens"], cost)
    call = _tool_call(request.tools or [], request.tool_choice, messages)
    message: dict[str, Any] = {"role": "assistant", "content": answer}
    finish = "stop"
    if call is not None:
        name, arguments = call
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "toolu_" + uuid.uuid4().hex[:24],
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
            ],
        }
        finish = "tool_calls"
    return JSONResponse(
        {
            "id": "sdk-direct",
            "object": "chat.completion",
            "model": _model.API_MODEL_IDS.get(model, model),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": usage["input_tokens"],
                "completion_tokens": usage["output_tokens"],
                "total_tokens": usage["total_tokens"],
            },
            "cost": cost,
            "project_id": project,
        }
    )


# ------------------------------------------------------------------ batch


@router.post("/v1/batch", response_model=BatchResponse, tags=["API"])
async def batch_processing(request: BatchRequest, key: Authed, controls: Controls) -> Any:
    """Run several prompts with one model; per-item failures are reported in
    the body (status "failed" + error), not as HTTP errors. No budget check.
    """
    project = key.project_id
    model = request.model
    if model is None:
        if not request.prompts:
            raise ServiceCrash("batch without prompts and model")
        first = request.prompts[0].prompt
        model = _model.select_model(first, _model.count_tokens(first), controls.remaining(project))
    runs: list[Run] = []
    for item in request.prompts:
        try:
            runs.append(controls.pool.submit(item.prompt, request.timeout))
        except PoolOverloaded as exc:
            # The prompts already admitted keep running; their results are dropped.
            return error(503, exc.detail)
    answer_words = controls._flags()["answer_words"]
    results: list[dict[str, Any]] = []
    for item, run in zip(request.prompts, runs, strict=True):
        base: dict[str, Any] = {
            "id": item.id,
            "prompt": item.prompt,
            "status": "failed",
            "content": None,
            "usage": None,
            "cost": None,
            "error": None,
        }
        if not await controls.pool.finished(run, request.timeout):
            results.append({**base, "error": f"Task timed out after {request.timeout} seconds"})
            continue
        stderr = cli_stderr(model, item.prompt, item.prompt)
        if stderr is not None:
            results.append({**base, "error": cli_failure(stderr)[1]})
            continue
        answer = _model.expected_answer(item.prompt, answer_words)
        usage = _model.usage_of("user: " + item.prompt, answer)
        cost = _model.cost(model, usage["input_tokens"], usage["output_tokens"])
        controls._bill(project, model, usage["total_tokens"], cost)
        results.append(
            {**base, "status": "completed", "content": answer, "usage": usage, "cost": cost}
        )
    done = [r for r in results if r["status"] == "completed"]
    return {
        "total": len(results),
        "completed": len(done),
        "failed": len(results) - len(done),
        "results": results,
        "total_cost": round(sum(r["cost"] for r in done), 8),
        "total_tokens": sum(r["usage"]["total_tokens"] for r in done),
    }


# ------------------------------------------------------------------ usage / route


@router.get("/v1/usage", response_model=UsageResponse, tags=["API"])
async def get_usage(
    key: Authed,
    controls: Controls,
    period: str = Query("month", description="Time period: month, week, or day"),
) -> Any:
    """Usage of the key's project for a period (month|week|day; anything else -> 400)."""
    if period not in ("month", "week", "day"):
        return error(400, f"Invalid period: {period}. Use 'month', 'week', or 'day'")
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


@router.post("/v1/route", response_model=RouteResponse, tags=["API"])
async def route_recommendation(request: RouteRequest, key: Authed, controls: Controls) -> Any:
    """Which model the auto-router would pick for a prompt, why, and the
    project's monthly budget status.
    """
    project = key.project_id
    records = controls.usage_records(project, "month")
    limit = controls.budget(project)
    used = sum(r.tokens for r in records)
    remaining = None if limit is None else limit - used
    model, reasoning = _model.route(request.prompt, request.context_size, remaining)
    return {
        "recommended_model": model,
        "reasoning": reasoning,
        "budget_status": {
            "total_tokens": used,
            # A float like the service's (``0.0``): budget_status is a plain dict,
            # no response model coerces it.
            "total_cost": round(float(sum(r.cost for r in records)), 8),
            "limit": limit,
            "remaining": remaining,
        },
    }


# ------------------------------------------------------------------ process


@router.post("/v1/process", response_model=AIServiceResponse, tags=["API"])
async def process_ai_services_compatible(
    request: ProcessRequest, key: Authed, controls: Controls
) -> Any:
    """ai-services compatible completion: provider/model_name are mapped to
    haiku/sonnet/opus; budget is checked against the body's project_id (403 when
    exceeded); streaming and async modes answer 501.
    """
    alias = _model.map_process_model(request.model_name)
    messages = _process_messages(request)
    if not messages:
        return error(400, "No messages provided")
    if request.additional_params and request.additional_params.get("stream"):
        return error(
            501,
            "Streaming via /v1/process not yet implemented. Use /v1/stream WebSocket instead.",
        )
    if request.async_processing:
        return error(501, "Async processing not yet implemented")
    project = request.project_id
    prompt = _model.process_prompt(messages)
    if project is not None and controls.budget_exceeded(project, 2 * _model.count_tokens(prompt)):
        return error(403, f"Budget exceeded for project {project}")
    flags = controls._flags()
    use_cli = request.use_cli if request.use_cli is not None else flags["process_default_cli"]
    path = "cli" if use_cli or not flags["anthropic_key"] else "sdk"
    if controls._breaker_open(path):
        return error(
            503, CLI_BREAKER_OPEN if path == "cli" else SDK_BREAKER_OPEN, {"Retry-After": "30"}
        )
    text = _model.last_user_text(messages)
    content_blocks: Optional[list[dict[str, Any]]] = None
    if path == "cli":
        timeout = max(30, (request.max_tokens or 1000) / 10)
        try:
            run = controls.pool.submit(prompt, float(timeout))
        except PoolOverloaded as exc:
            return error(503, exc.detail)
        if not await controls.pool.finished(run, timeout):
            controls._breaker_result("cli", False, None)
            return pool_timeout(timeout)
        stderr = cli_stderr(alias, prompt, prompt)
        if stderr is not None:
            status, detail, cat = cli_failure(stderr)
            controls._breaker_result("cli", False, cat)
            controls._record_error("cli", cat)
            return categorized(status, detail, cat)
        answer = _model.expected_answer(text, flags["answer_words"])
        usage = _model.usage_of(prompt, answer)
        finish = "stop"
    else:
        await sleep_run(controls)
        sdk_fail: Optional[tuple[int, str, Optional[str], dict[str, str]]] = None
        if not _has_dialogue(messages):
            sdk_fail = (500, NO_MESSAGES, None, {})
        elif (sdk_category := marker_category(prompt)) is not None:
            sdk_fail = sdk_failure(sdk_category)
        if sdk_fail is not None:
            status, detail, sdk_cat, headers = sdk_fail
            controls._breaker_result("sdk", False, sdk_cat)
            if sdk_cat:
                controls._record_error("sdk", sdk_cat)
            return categorized(status, detail, sdk_cat, **headers)
        answer = _model.expected_answer(text, flags["answer_words"])
        usage = _model.usage_of(prompt, answer)
        finish = "end_turn"
        call = _tool_call(request.tools or [], request.tool_choice, messages)
        if call is not None:
            name, arguments = call
            content_blocks = [
                {
                    "type": "tool_use",
                    "id": "toolu_" + uuid.uuid4().hex[:24],
                    "name": name,
                    "input": arguments,
                }
            ]
            answer = ""
            finish = "tool_use"
    controls._breaker_result(path, True)
    if project is None:
        raise ServiceCrash("process with project_id null")
    cost = _model.cost(alias, usage["input_tokens"], usage["output_tokens"])
    controls._bill(project, alias, usage["total_tokens"], cost)
    return JSONResponse(
        {
            "content": answer,
            "content_blocks": content_blocks,
            "model": request.model_name,
            "provider": request.provider,
            "metadata": {
                "actual_model": alias,
                "usage": usage,
                "cost_usd": cost,
                "processing_time": 0,
                "finish_reason": finish,
                "mapped_from": f"{request.provider}:{request.model_name} → claudecode:{alias}",
            },
        }
    )


# ------------------------------------------------------------------ providers


@router.get("/v1/providers", tags=["API"])
async def list_providers() -> Response:
    """Providers known to the compatibility layer (no auth)."""
    return JSONResponse(PROVIDERS_BODY)


@router.get("/v1/providers/{provider}/models", tags=["API"])
async def get_provider_models(provider: str) -> Response:
    """Model catalogue for anthropic / claudecode / claude (no auth); 404 otherwise."""
    if provider.lower() not in PROVIDER_ALIASES:
        return error(
            404,
            f"Provider {provider} not supported. Only 'anthropic' and 'claudecode' available.",
        )
    return JSONResponse({"provider": provider, "models": _provider_models()})


# ------------------------------------------------------------------ tasks


@router.post("/v1/task", response_model=AgenticTaskResponse, tags=["API"])
async def execute_agentic_task(request: AgenticTaskRequest, key: Authed, controls: Controls) -> Any:
    """Agentic task. 403 "Permission denied: <reason>" when the key's profile
    forbids a tool/agent/skill, timeout or max_cost; outcome statuses in a 200
    body: completed | failed | timeout | cost_exceeded; 500 "Task execution
    failed: <reason>" for executor errors.
    """
    # (The docstring is the contract's description; ``timeout`` is declared there
    # but never produced: failed or overrunning runs are the 500.)
    reason = check_permission(
        key,
        request.allow_tools,
        request.allow_agents,
        request.allow_skills,
        request.timeout,
        request.max_cost,
    )
    if reason:
        return error(403, f"Permission denied: {reason}")
    task_id = str(uuid.uuid4())
    try:
        body = await run_task(controls, request, task_id=task_id)
    except TaskExecutionError as exc:
        return error(500, f"Task execution failed: {exc}")
    return {"task_id": task_id, **body}


@router.get("/v1/capabilities", response_model=CapabilitiesResponse, tags=["API"])
async def get_capabilities(key: Authed, controls: Controls) -> Any:
    """Agents and skills the fake ~/.claude directory provides."""
    agents, skills, _ = controls.catalogue()
    return {
        "agents": agents,
        "skills": skills,
        "agents_count": len(agents),
        "skills_count": len(skills),
    }


# ------------------------------------------------------------------ health


@router.get("/health", response_model=HealthResponse)
async def health(controls: Controls) -> Any:
    """Subsystem health; always 200, overall "ok" or "degraded"."""
    settable, _, started = controls._health_snapshot()
    pool = controls.pool.health_detail()
    rates = controls._error_rates()
    services: dict[str, dict[str, Any]] = {
        "worker_pool": {"status": pool["status"], "detail": pool},
        "redis": {"status": settable["redis"], "detail": None},
        "audit_db": {
            "status": settable["audit_db"],
            "detail": None
            if settable["audit_db"] == "ok"
            else {"error": "database is unavailable"},
        },
        "budget_manager": {"status": "ok", "detail": None},
        "auth_manager": {"status": "ok", "detail": None},
        "error_rates": {
            "status": "ok" if rates["total_errors"] < 50 else "degraded",
            "detail": rates,
        },
    }
    for path in ("sdk", "cli"):
        detail = controls._breaker_detail(path)
        services[f"{path}_circuit_breaker"] = {
            "status": "ok" if detail["state"] == "closed" else "degraded",
            "detail": detail,
        }
    services = {name: services[name] for name in HEALTH_ENTRIES}
    overall = "ok" if all(s["status"] == "ok" for s in services.values()) else "degraded"
    return {
        "status": overall,
        "version": VERSION,
        "uptime_seconds": round(time.time() - started, 1),
        "services": services,
    }


@router.get("/ready", response_model=ReadyResponse)
async def ready(controls: Controls) -> Any:
    """Readiness; 200 with ready=false while starting (not 503)."""
    _, (is_ready, reason), _ = controls._health_snapshot()
    return {"ready": is_ready, "reason": reason}


@router.get("/")
async def root() -> Response:
    """Service name, version and entry points."""
    return JSONResponse(ROOT_BODY)


def _process_messages(request: ProcessRequest) -> list[dict[str, Any]]:
    """``/v1/process`` sources, in order (§5.3): non-empty ``messages``; else
    ``system_message`` then ``user_message`` or else ``content``."""
    if request.messages:
        return [{"role": str(m.role), "content": m.content} for m in request.messages]
    out: list[dict[str, Any]] = []
    if request.system_message:
        out.append({"role": "system", "content": request.system_message})
    if request.user_message:
        out.append({"role": "user", "content": request.user_message})
    elif isinstance(request.content, str) and request.content:
        out.append({"role": "user", "content": request.content})
    elif isinstance(request.content, list):
        texts = []
        for item in request.content:
            if isinstance(item, Mapping) and item.get("type") == "text":
                value = item.get("text", item.get("content"))
                if value is not None:
                    texts.append(str(value))
        if texts:
            out.append({"role": "user", "content": " ".join(texts)})
    return out


def _tool_call(
    tools: Sequence[Mapping[str, Any]], tool_choice: Any, messages: Sequence[Mapping[str, Any]]
) -> Optional[tuple[str, dict[str, Any]]]:
    """The fake model's decision on the SDK path: ``(tool name, input)`` or None (text).

    A forced choice (``"required"`` -> the first tool, ``{"type": "function", "function":
    {"name": X}}`` -> X) calls a tool on every turn, as the service re-applies it. Otherwise
    the model calls the first tool whose name appears in the last user message, unless the
    conversation ends with a tool result (then it answers text)."""
    if not tools:
        return None
    names = [str((t.get("function") or {}).get("name") or t.get("name") or "tool") for t in tools]
    last = _model.last_user_text(messages)
    if isinstance(tool_choice, Mapping):
        fn = tool_choice.get("function")
        name = fn.get("name") if isinstance(fn, Mapping) else None
        if tool_choice.get("type") == "function" and name:
            return str(name), {"input": last}
    elif tool_choice == "required":
        return names[0], {"input": last}
    if messages and str(messages[-1].get("role")) == "tool":
        return None
    chosen = next((n for n in names if n.lower() in last.lower()), None)
    return None if chosen is None else (chosen, {"input": last})
