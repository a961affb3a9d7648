"""Every facade method, sync and async: the request it sends and the typed result."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from http_mock import MockRouter

import claude_client as cc

from .conftest import (
    CAPS_BODY,
    CHAT_BODY,
    HEALTH_BODY,
    KEY,
    PROCESS_BODY,
    ROUTE_BODY,
    TASK_BODY,
    USAGE_BODY,
    Runner,
)


@dataclass
class Case:
    id: str
    method: str
    http: str
    path: str
    body: Any
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    sent: dict[str, Any] | None = None  # expected subset of the JSON body sent
    absent: tuple[str, ...] = ()  # keys that must not be in the body
    params: dict[str, str] | None = None
    authed: bool = True
    check: Callable[[Any], None] = lambda r: None


def _check_chat(r: Any) -> None:
    assert isinstance(r, cc.Response)
    assert r.content == "Hello there" and r["content"] == "Hello there"
    assert r.usage.total_tokens == 5 and r["usage"]["input_tokens"] == 3
    assert r.model == "haiku" and r.id == "msg_1" and r.cost == pytest.approx(0.0000033)
    assert r.project_id == "default"
    assert r == CHAT_BODY


def _check_task(r: Any) -> None:
    assert isinstance(r, cc.TaskResult)
    assert r["status"] == "completed" and r.status == "completed"
    assert r["result"]["summary"] == "Wrote tests" and r.result.summary == "Wrote tests"
    assert r["usage"]["total_cost"] == 0.05 and r.usage.total_cost == 0.05
    assert r.get("artifacts", [])[0]["path"] == "tests/test_x.py"
    assert r.artifacts[0].path == "tests/test_x.py" and r.artifacts[0].size_bytes == 120
    assert [a["path"] for a in r.get("artifacts", [])] == ["tests/test_x.py"]
    assert r.execution_log[0]["action"] == "read"


def _check_usage(r: Any) -> None:
    assert isinstance(r, cc.UsageStats)
    assert r.by_model["haiku"]["tokens"] == 1000 and r.by_model["haiku"].tokens == 1000
    assert r["by_model"]["sonnet"].cost == 0.5
    assert (r.limit, r.remaining, r.period, r.total_tokens) == (100000, 98500, "month", 1500)


def _check_health(r: Any) -> None:
    assert isinstance(r, cc.HealthStatus)
    assert r["status"] == "healthy" and r.status == "healthy"
    assert r["services"]["claude_cli"]["status"] == "ok"
    assert r.services["claude_cli"].status == "ok"


def _check_ready(r: Any) -> None:
    assert isinstance(r, cc.ReadyStatus) and r.ready is True and bool(r)


def _check_route(r: Any) -> None:
    assert isinstance(r, cc.RouteRecommendation)
    assert r.recommended_model == "haiku" and r["reasoning"] == "short"


def _check_caps(r: Any) -> None:
    assert isinstance(r, cc.Capabilities)
    assert r.agents[0].name == "reviewer" and r["skills"][0]["command"] == "/docs"
    assert r.agents_count == 1


def _check_process(r: Any) -> None:
    assert isinstance(r, cc.ProcessResponse)
    assert r.content == "processed" and r.provider == "claudecode"


PROVIDERS_BODY = [
    {"name": "claudecode", "available": True, "models": ["haiku", "sonnet", "opus"]},
    {"name": "anthropic", "available": True, "models": ["haiku", "claude-3-haiku"]},
]
MODEL_INFO = {
    "max_tokens": 4096,
    "context_window": 200000,
    "supports_functions": False,
    "supports_vision": True,
}
PROVIDER_MODELS_BODY = {
    "provider": "anthropic",
    "models": {"haiku": MODEL_INFO, "sonnet": {**MODEL_INFO, "max_tokens": 8192}},
}


def _check_providers(r: Any) -> None:
    assert isinstance(r, list) and all(isinstance(p, cc.Provider) for p in r)
    assert r[0]["name"] == r[0].name == "claudecode" and r[0].available
    assert r[1].models == ["haiku", "claude-3-haiku"] and r == PROVIDERS_BODY


def _check_models(r: Any) -> None:
    assert isinstance(r, cc.ProviderModels) and r.provider == "anthropic"
    assert r.models["sonnet"].max_tokens == r["models"]["sonnet"]["max_tokens"] == 8192
    assert isinstance(r.models["haiku"], cc.ProviderModel) and r.models["haiku"].supports_vision


CASES = [
    Case(
        "complete",
        "complete",
        "POST",
        "/v1/chat/completions",
        CHAT_BODY,
        args=("Hi",),
        # the client's default deadline, 300 s, less the 5 s margin
        sent={"messages": [{"role": "user", "content": "Hi"}], "timeout": 295.0},
        absent=("model",),
        check=_check_chat,
    ),
    Case(
        "complete-model-timeout",
        "complete",
        "POST",
        "/v1/chat/completions",
        CHAT_BODY,
        args=("Hi", "sonnet", 60),
        sent={"model": "sonnet", "timeout": 57.0},
        check=_check_chat,
    ),
    Case(
        "complete-messages",
        "complete",
        "POST",
        "/v1/chat/completions",
        CHAT_BODY,
        kwargs={
            "messages": [
                {"role": "system", "content": "Be brief"},
                {"role": "user", "content": "Hi"},
            ],
            "allowed_tools": ["Read"],
            "working_directory": "/repo",
        },
        sent={
            "messages": [
                {"role": "system", "content": "Be brief"},
                {"role": "user", "content": "Hi"},
            ],
            "allowed_tools": ["Read"],
            "working_directory": "/repo",
        },
        check=_check_chat,
    ),
    Case(
        "agentic_task",
        "agentic_task",
        "POST",
        "/v1/task",
        TASK_BODY,
        args=("Write tests",),
        kwargs={"allow_tools": ["Read", "Write"], "timeout": 120, "max_cost": 0.5},
        sent={
            "description": "Write tests",
            "allow_tools": ["Read", "Write"],
            "timeout": 105,  # 120 s deadline - the service's 10 s wait - 5 s margin
            "max_cost": 0.5,
        },
        absent=("model",),
        check=_check_task,
    ),
    Case(
        "get_usage",
        "get_usage",
        "GET",
        "/v1/usage",
        USAGE_BODY,
        kwargs={"period": "week"},
        params={"period": "week"},
        check=_check_usage,
    ),
    Case("health", "health", "GET", "/health", HEALTH_BODY, authed=False, check=_check_health),
    Case("ready", "ready", "GET", "/ready", {"ready": True}, authed=False, check=_check_ready),
    Case(
        "route",
        "route",
        "POST",
        "/v1/route",
        ROUTE_BODY,
        args=("Summarise this",),
        kwargs={"context_size": 2000},
        sent={"prompt": "Summarise this", "context_size": 2000},
        check=_check_route,
    ),
    Case("capabilities", "capabilities", "GET", "/v1/capabilities", CAPS_BODY, check=_check_caps),
    Case(
        "providers",
        "providers",
        "GET",
        "/v1/providers",
        PROVIDERS_BODY,
        authed=False,
        check=_check_providers,
    ),
    Case(
        "provider_models",
        "provider_models",
        "GET",
        "/v1/providers/anthropic/models",
        PROVIDER_MODELS_BODY,
        args=("anthropic",),
        authed=False,
        check=_check_models,
    ),
    Case(
        "process",
        "process",
        "POST",
        "/v1/process",
        PROCESS_BODY,
        args=("Hello",),
        kwargs={"system_message": "Be kind", "model_name": "haiku", "project_id": "p1"},
        sent={
            "provider": "claudecode",
            "model_name": "haiku",
            "user_message": "Hello",
            "system_message": "Be kind",
            "project_id": "p1",
        },
        check=_check_process,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_method_sends_request_and_parses_result(
    runner: Runner, mock: MockRouter, case: Case
) -> None:
    route = mock.request(case.http, case.path).mock(
        return_value=httpx2.Response(200, json=case.body, headers={"X-Request-ID": "rid-1"})
    )
    client = runner.client()
    result = await runner.call(client, case.method, *case.args, **case.kwargs)
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["user-agent"].startswith("claude-code-client/")
    if case.sent is not None:
        body = json.loads(request.content)
        for k, v in case.sent.items():
            assert body[k] == v, k
        for k in case.absent:
            assert k not in body, k
    if case.params is not None:
        assert dict(request.url.params) == case.params
    case.check(result)


@pytest.mark.parametrize(
    "case", [c for c in CASES if not c.authed], ids=[c.id for c in CASES if not c.authed]
)
async def test_unauthenticated_routes_work_without_a_key(
    runner: Runner, mock: MockRouter, case: Case
) -> None:
    answer = httpx2.Response(200, json=case.body)
    route = mock.request(case.http, case.path).mock(return_value=answer)
    client = runner.client(api_key=None)
    result = await runner.call(client, case.method, *case.args, **case.kwargs)
    assert "authorization" not in route.calls.last.request.headers
    case.check(result)


AUTHED = [c for c in CASES if c.authed]


@pytest.mark.parametrize("case", AUTHED, ids=[c.id for c in AUTHED])
async def test_routes_needing_a_key_fail_before_sending_without_one(
    runner: Runner, mock: MockRouter, case: Case
) -> None:
    answer = httpx2.Response(200, json=case.body)
    route = mock.request(case.http, case.path).mock(return_value=answer)
    client = runner.client(api_key=None)
    with pytest.raises(cc.AuthenticationError, match="CLAUDE_API_KEY"):
        await runner.call(client, case.method, *case.args, **case.kwargs)
    assert route.call_count == 0


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_extra_headers_per_call(runner: Runner, mock: MockRouter, case: Case) -> None:
    answer = httpx2.Response(200, json=case.body)
    route = mock.request(case.http, case.path).mock(return_value=answer)
    client = runner.client(default_headers={"X-Team": "core"})
    await runner.call(
        client, case.method, *case.args, extra_headers={"X-Request-ID": "mine"}, **case.kwargs
    )
    headers = route.calls.last.request.headers
    assert headers["x-request-id"] == "mine" and headers["x-team"] == "core"


async def test_complete_openai_shape_with_tools(runner: Runner, mock: MockRouter) -> None:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "sonnet",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": "c1", "type": "function"}],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        "cost": 0.01,
        "project_id": "default",
    }
    route = mock.post("/v1/chat/completions").mock(return_value=httpx2.Response(200, json=body))
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    r = await runner.call(runner.client(), "complete", "Weather?", tools=tools, tool_choice="auto")
    sent = json.loads(route.calls.last.request.content)
    assert sent["tools"] == tools and sent["tool_choice"] == "auto"
    assert r.content == "" and r.tool_calls[0]["id"] == "c1" and r.finish_reason == "tool_calls"
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens) == (7, 3, 10)


async def test_agentic_task_defaults_and_project(runner: Runner, mock: MockRouter) -> None:
    route = mock.post("/v1/task").mock(return_value=httpx2.Response(200, json=TASK_BODY))
    client = runner.client(project_id="proj-a")
    await runner.call(client, "agentic_task", "Do it", model="opus", working_directory="/w")
    sent = json.loads(route.calls.last.request.content)
    # the client's default deadline, 300 s - the service's 10 s wait - 5 s margin
    assert sent["timeout"] == 285 and sent["max_cost"] == 1.0
    assert sent["project_id"] == "proj-a" and sent["model"] == "opus"
    assert sent["working_directory"] == "/w"
    assert KEY not in route.calls.last.request.content.decode()


async def test_complete_timeout_is_the_deadline_and_the_service_limit_fits_under_it(
    runner: Runner, mock: MockRouter
) -> None:
    route = mock.post("/v1/chat/completions").mock(
        return_value=httpx2.Response(200, json=CHAT_BODY)
    )
    await runner.call(runner.client(), "complete", "Hi", timeout=20)
    timeouts = route.calls.last.request.extensions["timeout"]
    # deadline 20 s; the service is asked for 19 s (1 s margin): its 504 arrives first
    assert json.loads(route.calls.last.request.content)["timeout"] == 19
    assert timeouts["read"] <= 20
    assert timeouts["connect"] <= 10


async def test_generated_endpoint_through_client_generated(
    runner: Runner, mock: MockRouter
) -> None:
    from claude_client.generated.api.api import get_usage

    mock.get("/v1/usage").mock(return_value=httpx2.Response(200, json=USAGE_BODY))
    client = runner.client()
    if runner.is_async:
        resp = await get_usage.asyncio_detailed(client=client.generated, period="month")
    else:
        resp = get_usage.sync_detailed(client=client.generated, period="month")
    usage = cc.unwrap(resp)
    assert usage.project_id == "default"
    assert mock.calls.last.request.headers["authorization"] == f"Bearer {KEY}"
