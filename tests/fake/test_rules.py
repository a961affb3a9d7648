"""BEHAVIOUR.md rule by rule (§1-§5, §7) against the fake, with plain httpx.

test_behaviour.py covers the basic statuses and shapes; this file covers the decision
rules and the details where a plausible fake and the service differ. Capacity (§6) is in
test_capacity.py.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx2
import pytest

from claude_client.testing import FakeService

CHAT = "/v1/chat/completions"
PROCESS = "/v1/process"
TASK = "/v1/task"
RUN_FAILED = "Task execution failed: object of type 'NoneType' has no len()"


def chat_body(prompt: str = "hello world", **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": prompt}], **extra}


def process_body(**extra: Any) -> dict[str, Any]:
    return {"provider": "claudecode", "model_name": "sonnet", "user_message": "hi", **extra}


# --------------------------------------------------------------------------- §1 responses


def test_request_id_headers(claude_fake: FakeService, http: httpx2.Client) -> None:
    r = http.get("/v1/usage", headers={"X-Request-ID": "not a uuid: 42"})
    assert r.headers["x-request-id"] == "not a uuid: 42"  # echoed verbatim
    assert r.headers["x-forgg-cca-request-id"] == r.headers["x-request-id"]
    r = http.post(CHAT, json={"messages": "nope"})  # 422 carries them too
    assert r.status_code == 422 and r.headers["x-forgg-cca-request-id"] == r.headers["x-request-id"]
    claude_fake.set_request_id_alias(False)  # an older build
    r = http.get("/v1/usage")
    assert "x-request-id" in r.headers and "x-forgg-cca-request-id" not in r.headers


def test_cors_preflight_is_answered_before_auth_and_routing(anon: httpx2.Client) -> None:
    r = anon.options(
        "/no/such/path",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert (r.status_code, r.text) == (200, "OK")
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert (
        r.headers["access-control-allow-methods"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    )
    assert r.headers["access-control-allow-headers"] == "authorization,content-type"
    assert (r.headers["access-control-max-age"], r.headers["vary"]) == ("600", "Origin")
    assert "x-request-id" not in r.headers


def test_cors_on_simple_responses(anon: httpx2.Client) -> None:
    r = anon.get("/v1/usage", headers={"Origin": "https://app.example"})  # a 401
    assert r.status_code == 401
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in anon.get("/health").headers  # no Origin


def test_crash_500_has_no_request_id_nor_cors_and_closes(claude_fake: FakeService) -> None:
    body = b'{"prompts": []}'
    request = (
        f"POST /v1/batch HTTP/1.1\r\nHost: fake\r\nOrigin: https://a.example\r\n"
        f"Authorization: Bearer {claude_fake.api_key}\r\nContent-Type: application/json"
        f"\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", claude_fake.port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):  # returns b"" only because the server closes
            received += chunk
    head = received.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 500")
    assert b"x-request-id" not in head and b"access-control" not in head


def test_process_project_id_null_crashes_after_the_model_ran(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    r = http.post(PROCESS, json=process_body(project_id=None))
    assert (r.status_code, r.text) == (500, "Internal Server Error")
    assert claude_fake.prompt_runs() == {"User: hi": 1}


# --------------------------------------------------------------------------- §2 order


def test_non_json_body_is_422_before_auth(anon: httpx2.Client) -> None:
    r = anon.post(CHAT, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Not authenticated"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, "Invalid authentication credentials"),
    ],
)
def test_legacy_fastapi_answers_403(
    claude_fake: FakeService, anon: httpx2.Client, headers: dict[str, str], detail: str
) -> None:
    claude_fake.set_legacy_auth(True)  # the pinned FastAPI 0.109
    r = anon.get("/v1/usage", headers=headers)
    assert (r.status_code, r.json()) == (403, {"detail": detail})
    assert "www-authenticate" not in r.headers


def test_auth_before_body_validation(anon: httpx2.Client) -> None:
    assert anon.post(CHAT, json={"messages": "x"}).status_code == 401


def test_rate_limit_before_validation_and_refusals_not_counted(
    claude_fake: FakeService, anon: httpx2.Client
) -> None:
    key = claude_fake.add_key(rpm=2)
    headers = claude_fake.auth_headers(key)
    # A request failing validation still counts.
    assert anon.post(CHAT, json={"messages": "x"}, headers=headers).status_code == 422
    assert anon.get("/v1/usage", headers=headers).status_code == 200
    for _ in range(3):  # refused ones do not count (the window stays at 2)
        r = anon.post(CHAT, json={"messages": "x"}, headers=headers)
        assert (r.status_code, r.json()) == (
            429,
            {"detail": "Rate limit exceeded. Please try again later."},
        )
    assert claude_fake._rate[key][1] == 2


def test_first_request_of_a_window_is_always_admitted(
    claude_fake: FakeService, anon: httpx2.Client
) -> None:
    key = claude_fake.add_key(rpm=0)
    headers = claude_fake.auth_headers(key)
    if time.time() % 60 > 58:  # keep both requests inside one wall-clock minute
        time.sleep(60 - time.time() % 60 + 0.05)
    assert anon.get("/v1/usage", headers=headers).status_code == 200
    assert anon.get("/v1/usage", headers=headers).status_code == 429


# --------------------------------------------------------------------------- §4 bodies


def test_root_body(anon: httpx2.Client, claude_fake: FakeService) -> None:
    assert anon.get("/").json() == {
        "name": "Claude Code API Service",
        "version": "0.1.0",
        "docs": "/docs",
        "health": "/health",
        "ready": "/ready",
        "endpoints": {
            "chat": "/v1/chat/completions",
            "batch": "/v1/batch",
            "usage": "/v1/usage",
            "route": "/v1/route",
            "stream": "ws://localhost:8006/v1/stream",  # literal, whatever the port
        },
    }


def test_health_details(claude_fake: FakeService, anon: httpx2.Client) -> None:
    health = anon.get("/health").json()
    assert isinstance(health["uptime_seconds"], float)
    assert health["uptime_seconds"] == round(health["uptime_seconds"], 1)
    services = health["services"]
    assert services["redis"] == {"status": "ok", "detail": None}
    assert services["error_rates"]["detail"] == {
        "window_seconds": 300.0,
        "total_errors": 0,
        "by_path": {},
    }
    assert services["cli_circuit_breaker"]["detail"] == {
        "name": "cli",
        "state": "closed",
        "consecutive_failures": 0,
        "failure_threshold": 5,
        "recovery_timeout_seconds": 30.0,
    }
    with pytest.raises(ValueError):
        claude_fake.set_health("worker_pool", "down")  # live state, not settable


def test_route_budget_status_and_reasoning(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.add_usage("default", "haiku", 400, 0.25)
    claude_fake.set_budget("default", 1000)
    body = http.post("/v1/route", json={"prompt": "review and list the files"}).json()
    assert body["budget_status"] == {
        "total_tokens": 400,
        "total_cost": 0.25,
        "limit": 1000,
        "remaining": 600,
    }
    assert body["recommended_model"] == "haiku"
    assert body["reasoning"] == (
        "Budget constraint: Insufficient budget forces Haiku"
        " | Simple prompt with basic keywords → Haiku"
        " | Complex keywords but limited budget → Haiku"
    )
    claude_fake.set_budget("default", None)
    body = http.post("/v1/route", json={"prompt": "x", "context_size": 10001}).json()
    assert (body["recommended_model"], body["reasoning"]) == (
        "opus",
        "Context constraint: Large context requires Opus",
    )
    assert body["budget_status"]["limit"] is None and body["budget_status"]["remaining"] is None
    r = http.post("/v1/route", json={"prompt": "x", "context_size": -1})
    assert r.status_code == 422


def test_capabilities_sorted_and_settable(claude_fake: FakeService, http: httpx2.Client) -> None:
    body = http.get("/v1/capabilities").json()
    names = [a["name"] for a in body["agents"]]
    assert names == sorted(names) and {"security-auditor", "code-reviewer"} <= set(names)
    skills = [s["name"] for s in body["skills"]]
    assert skills == sorted(skills) and {"vulnerability-scanner", "code-analyzer"} <= set(skills)
    claude_fake.set_catalogue(
        agents=["zeta", {"name": "alpha"}], skills=["s1"], wrapped_skills=["w"]
    )
    assert http.get("/v1/capabilities").json() == {
        "agents": [
            {"name": "alpha", "description": "No description", "tools": [], "model": "sonnet"},
            {"name": "zeta", "description": "No description", "tools": [], "model": "sonnet"},
        ],
        "skills": [{"name": "s1", "description": "No description", "command": "s1"}],
        "agents_count": 2,
        "skills_count": 1,
    }
    ent = claude_fake.enterprise_key
    ok = http.post(
        TASK,
        json={"description": "x", "allow_skills": ["w"]},  # wrapped: valid, not listed
        headers=claude_fake.auth_headers(ent),
    )
    assert ok.json()["status"] == "completed"


def test_usage_day_is_the_last_24_hours(claude_fake: FakeService, http: httpx2.Client) -> None:
    now = time.time()
    claude_fake.add_usage("default", "haiku", 10, when=now - 23 * 3600)
    claude_fake.add_usage("default", "haiku", 100, when=now - 25 * 3600)
    claude_fake.add_usage("default", "haiku", 1000, when=now - 8 * 86400)
    assert http.get("/v1/usage", params={"period": "day"}).json()["total_tokens"] == 10
    assert http.get("/v1/usage", params={"period": "week"}).json()["total_tokens"] == 110
    for period in ("Day", " day", "year"):
        assert http.get("/v1/usage", params={"period": period}).status_code == 400


# --------------------------------------------------------------------------- §5.1 routing


@pytest.mark.parametrize(
    ("prompt", "context", "model"),
    [
        ("Write a haiku about the sea", 0, "sonnet"),
        ("list the files", 0, "haiku"),
        ("hit the target", 0, "haiku"),  # "get" matches inside "target"
        ("list " + "x" * 100, 0, "sonnet"),  # 100+ characters: not simple
        ("design the cache", 0, "sonnet"),
        ("design the cache", 10_001, "opus"),
        ("design the cache", 10_000, "sonnet"),
    ],
)
def test_route_rules(http: httpx2.Client, prompt: str, context: int, model: str) -> None:
    body = {"prompt": prompt, "context_size": context}
    assert http.post("/v1/route", json=body).json()["recommended_model"] == model


@pytest.mark.parametrize(
    ("limit", "used", "model"),
    [
        (None, 0, "sonnet"),  # no limit
        (1000, 1000, "sonnet"),  # exactly exhausted: R 0 counts as +inf
        (1000, 1001, "haiku"),  # overspent: negative R
        (5000, 500, "haiku"),  # R < 1000? no, 4500 >= 1000; complex but R < 5000 -> haiku
        (10_000, 500, "sonnet"),
    ],
)
def test_chat_routing_follows_the_remaining_budget(
    claude_fake: FakeService, http: httpx2.Client, limit: int | None, used: int, model: str
) -> None:
    claude_fake.set_budget("default", limit)
    claude_fake.add_usage("default", "sonnet", used)
    if limit is not None and used + 20 > limit and model == "sonnet" and used == limit:
        # A chat would be refused by the budget pre-check: ask /v1/route instead.
        r = http.post("/v1/route", json={"prompt": "please analyze this"})
        assert r.json()["recommended_model"] == model
        return
    if limit is not None and used > limit:
        r = http.post("/v1/route", json={"prompt": "please analyze this"})
        assert r.json()["recommended_model"] == model
        return
    assert http.post(CHAT, json=chat_body("please analyze this")).json()["model"] == model


def test_batch_routes_by_its_first_prompt(http: httpx2.Client) -> None:
    body = http.post(
        "/v1/batch", json={"prompts": [{"prompt": "list files"}, {"prompt": "design it"}]}
    ).json()
    assert [r["status"] for r in body["results"]] == ["completed", "completed"]
    usage = http.get("/v1/usage").json()["by_model"]
    assert set(usage) == {"haiku"}


@pytest.mark.parametrize(
    ("body", "model"),
    [
        ({"description": "list the files"}, "haiku"),
        ({"description": "Write a poem"}, "sonnet"),
        ({"description": "list " * 2001}, "opus"),  # > 10000 characters of context
        ({"description": "list the files", "allow_agents": ["code-reviewer"]}, "sonnet"),
        ({"description": "list the files", "model": "opus"}, "opus"),
    ],
)
def test_task_model_choice(
    claude_fake: FakeService, http: httpx2.Client, body: dict[str, Any], model: str
) -> None:
    r = http.post(TASK, json=body, headers=claude_fake.auth_headers(claude_fake.enterprise_key))
    assert r.json()["usage"]["model_used"] == model


# --------------------------------------------------------------------------- §5.2 names


def test_full_model_id_is_echoed_costs_nothing_and_is_recorded(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    name = "claude-3-5-haiku-20241022"
    body = http.post(CHAT, json=chat_body(model=name)).json()
    assert (body["model"], body["cost"]) == (name, 0.0)
    assert http.get("/v1/usage").json()["by_model"] == {
        name: {"tokens": body["usage"]["total_tokens"], "cost": 0.0}
    }


@pytest.mark.parametrize("name", ["gpt-4", "auto", ""])
def test_names_the_cli_rejects(claude_fake: FakeService, http: httpx2.Client, name: str) -> None:
    r = http.post(CHAT, json=chat_body(model=name))
    assert (r.status_code, r.headers["x-error-category"]) == (502, "cli_error")
    assert r.json()["detail"].startswith("Process exited with code 1\nStderr: ")
    batch = http.post("/v1/batch", json={"prompts": [{"prompt": "x"}], "model": name}).json()
    (item,) = batch["results"]
    assert item["status"] == "failed"
    assert item["error"].startswith("Process exited with code 1\nStderr: ")
    task = http.post(TASK, json={"description": "x", "model": name})
    assert (task.status_code, task.json()) == (500, {"detail": RUN_FAILED})


@pytest.mark.parametrize(
    ("provider", "model_name", "alias"),
    [
        ("openai", "gpt-4o", "opus"),
        ("openai", "gpt-4", "sonnet"),
        ("openai", "gpt-4-turbo", "opus"),
        ("openai", "gpt-3.5-turbo", "haiku"),
        ("openai", "o1-preview", "opus"),
        ("meta", "llama-3", "sonnet"),
        ("google", "gemini-pro", "haiku"),  # "gemini" contains "mini"
        ("anthropic", "claude-3-5-haiku-20241022", "haiku"),
        ("anthropic", "Claude-3-OPUS", "opus"),
        ("whatever", "claude-next", "sonnet"),
    ],
)
def test_process_model_mapping(
    http: httpx2.Client, provider: str, model_name: str, alias: str
) -> None:
    body = http.post(PROCESS, json=process_body(provider=provider, model_name=model_name)).json()
    assert (body["model"], body["provider"]) == (model_name, provider)
    assert body["metadata"]["actual_model"] == alias
    assert body["metadata"]["mapped_from"] == f"{provider}:{model_name} → claudecode:{alias}"


# --------------------------------------------------------------------------- §5.3 prompts


def test_chat_flattening(claude_fake: FakeService, http: httpx2.Client) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {
            "content": [
                {"type": "text", "text": "one"},
                {"type": "image"},
                {"type": "text", "text": "two"},
            ]
        },
        {"role": "assistant", "content": None},
    ]
    body = http.post(CHAT, json={"messages": messages, "model": "haiku"}).json()
    prompt = "system: be brief\n\nuser: one two\n\nassistant: None"
    assert claude_fake.prompt_runs() == {prompt: 1}
    assert body["usage"]["input_tokens"] == len(prompt.split())


def test_chat_empty_messages_is_a_cli_refusal_not_400(http: httpx2.Client) -> None:
    r = http.post(CHAT, json={"messages": [], "model": "haiku"})
    assert (r.status_code, r.headers["x-error-category"]) == (502, "cli_error")
    assert (
        "Input must be provided either through stdin or as a prompt argument"
        in (r.json()["detail"])
    )


def test_chat_system_only_runs(http: httpx2.Client) -> None:
    r = http.post(CHAT, json={"messages": [{"role": "system", "content": "hi"}], "model": "haiku"})
    assert r.status_code == 200


def test_process_prompt_sources(claude_fake: FakeService, http: httpx2.Client) -> None:
    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": [{"type": "text", "text": "U"}]},
        {"role": "tool", "content": "dropped"},
        {"role": "assistant", "content": "A"},
    ]
    assert http.post(PROCESS, json=process_body(messages=messages)).status_code == 200
    flat = "System: S\n\nUser: [{'type': 'text', 'text': 'U'}]\n\nAssistant: A"
    assert claude_fake.prompt_runs()[flat] == 1
    content = [{"type": "text", "text": "a"}, {"type": "text", "content": "b"}, {"type": "x"}]
    body = process_body(user_message=None, messages=[], system_message="S", content=content)
    assert http.post(PROCESS, json=body).status_code == 200
    assert claude_fake.prompt_runs()["System: S\n\nUser: a b"] == 1
    system_only = process_body(user_message=None, system_message="only system")
    assert http.post(PROCESS, json=system_only).status_code == 200  # CLI path runs
    r = http.post(PROCESS, json={**system_only, "use_cli": False})
    assert (r.status_code, r.json()) == (500, {"detail": "No user or assistant messages provided"})
    r = http.post(PROCESS, json=process_body(messages=[{"role": "user", "content": None}]))
    assert r.status_code == 422


def test_process_with_only_tool_messages_is_the_cli_refusal(http: httpx2.Client) -> None:
    body = process_body(messages=[{"role": "tool", "content": "x", "tool_call_id": "t"}])
    r = http.post(PROCESS, json=body)  # tool messages are dropped: an empty prompt
    assert (r.status_code, r.headers["x-error-category"]) == (502, "cli_error")


def test_process_refusal_order(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_budget("default", 0)
    empty = {"provider": "x", "model_name": "y", "async_processing": True}
    assert http.post(PROCESS, json=empty).status_code == 400
    stream = process_body(additional_params={"stream": 1}, async_processing=True)
    r = http.post(PROCESS, json=stream)
    assert r.json() == {
        "detail": "Streaming via /v1/process not yet implemented. Use /v1/stream WebSocket instead."
    }
    r = http.post(PROCESS, json=process_body(async_processing=True))
    assert (r.status_code, r.json()) == (501, {"detail": "Async processing not yet implemented"})
    assert http.post(PROCESS, json=process_body()).status_code == 403


def test_process_sdk_path_tool_use(claude_fake: FakeService, http: httpx2.Client) -> None:
    tools = [{"name": "lookup", "input_schema": {}}]
    body = http.post(
        PROCESS, json=process_body(use_cli=False, tools=tools, tool_choice="required")
    ).json()
    (block,) = body["content_blocks"]
    assert (block["type"], block["name"], block["input"]) == ("tool_use", "lookup", {"input": "hi"})
    assert block["id"].startswith("toolu_")
    assert body["metadata"]["finish_reason"] == "tool_use"
    plain = http.post(PROCESS, json=process_body(use_cli=False)).json()
    assert (plain["content_blocks"], plain["metadata"]["finish_reason"]) == (None, "end_turn")
    claude_fake.set_anthropic_key(False)  # no key: always the CLI path
    r = http.post(PROCESS, json=process_body(use_cli=False)).json()
    assert r["metadata"]["finish_reason"] == "stop"


# --------------------------------------------------------------------------- §5.4 tools

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]


def tool_round(http: httpx2.Client, tool_choice: Any) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "get_weather in Paris"}]
    first = http.post(
        CHAT, json={"messages": messages, "tools": TOOLS, "tool_choice": tool_choice}
    ).json()
    call = first["choices"][0]["message"]["tool_calls"][0]
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "sunny"},
    ]
    follow = {"messages": messages, "tools": TOOLS, "tool_choice": tool_choice}
    return http.post(CHAT, json=follow).json()  # type: ignore[no-any-return]


def test_tool_follow_up_answers_text_unless_forced(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_tool_passthrough(True)
    assert tool_round(http, "auto")["choices"][0]["finish_reason"] == "stop"
    assert tool_round(http, None)["choices"][0]["finish_reason"] == "stop"
    forced = {"type": "function", "function": {"name": "get_weather"}}
    assert tool_round(http, forced)["choices"][0]["finish_reason"] == "tool_calls"
    assert tool_round(http, "required")["choices"][0]["finish_reason"] == "tool_calls"


def test_tool_path_shape_and_deployment_switches(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_tool_passthrough(True)
    body = http.post(CHAT, json=chat_body("hi", model="haiku", tools=TOOLS)).json()
    assert set(body) == {"id", "object", "model", "choices", "usage", "cost", "project_id"}
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Answer: hi"}
    call = http.post(
        CHAT, json=chat_body("hi", model="haiku", tools=TOOLS, tool_choice="required")
    ).json()["choices"][0]["message"]["tool_calls"][0]
    assert call["id"].startswith("toolu_") and call["type"] == "function"
    assert isinstance(call["function"]["arguments"], str)
    r = http.post(CHAT, json={"messages": [{"role": "system", "content": "s"}], "tools": TOOLS})
    assert (r.status_code, r.json()) == (500, {"detail": "No user or assistant messages provided"})
    claude_fake.set_anthropic_key(False)
    r = http.post(CHAT, json=chat_body("hi", tools=TOOLS))
    assert (r.status_code, r.json()) == (500, {"detail": "SDK client not initialized"})


# --------------------------------------------------------------------------- §5.5 budget


def test_budget_example_of_the_contract(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_budget("default", 1000)
    claude_fake.add_usage("default", "haiku", 995)
    r = http.post(CHAT, json=chat_body("a b c"))  # "user: a b c" = 4 words -> 8 > 5
    assert (r.status_code, r.json()) == (429, {"detail": "Budget exceeded for project default"})
    claude_fake.add_usage("default", "haiku", -3)  # 992 used: 992 + 8 = 1000 passes
    assert http.post(CHAT, json=chat_body("a b c")).status_code == 200


def test_process_budget_estimate(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_budget("p", 4)  # "User: hi" = 2 words -> 4: equal passes
    assert http.post(PROCESS, json=process_body(project_id="p")).status_code == 200
    r = http.post(PROCESS, json=process_body(project_id="p"))
    assert (r.status_code, r.json()) == (403, {"detail": "Budget exceeded for project p"})


def test_task_budget_estimate(claude_fake: FakeService, http: httpx2.Client) -> None:
    body = {"description": "one two", "allow_tools": ["Read"], "allow_agents": ["code-reviewer"]}
    estimate = int(3 * (1.5 * 2 + 500 + 2000))
    claude_fake.set_budget("default", estimate)
    assert http.post(TASK, json=body).json()["status"] == "completed"
    r = http.post(TASK, json=body).json()
    assert (r["status"], r["result"], r["usage"]) == (
        "failed",
        {"error": "Insufficient budget"},
        {"estimated_tokens": estimate},
    )


# --------------------------------------------------------------------------- §5.6 / §5.7


def test_pro_profile_agents_and_skills_run(claude_fake: FakeService, http: httpx2.Client) -> None:
    body = {
        "description": "audit",
        "allow_agents": ["security-auditor", "code-reviewer"],
        "allow_skills": ["vulnerability-scanner", "code-analyzer"],
    }
    assert http.post(TASK, json=body).json()["status"] == "completed"


def test_new_keys_are_enterprise_by_default(claude_fake: FakeService, http: httpx2.Client) -> None:
    key = claude_fake.add_key()
    r = http.post(
        TASK,
        json={"description": "x", "timeout": 600, "allow_tools": ["Write"]},
        headers=claude_fake.auth_headers(key),
    )
    assert r.json()["status"] == "completed"


def test_task_run_failures_are_500_and_record_a_zero_row(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    for body in ({"description": "x", "timeout": 0}, {"description": "x", "model": "auto"}):
        r = http.post(TASK, json={**body, "project_id": "zero"})
        assert (r.status_code, r.json()) == (500, {"detail": RUN_FAILED})
    rows = claude_fake.usage_records("zero")
    assert [(row.model, row.tokens) for row in rows] == [("sonnet", 0), ("auto", 0)]
    r = http.post(TASK, json={"description": "   "})  # blank text runs
    assert r.json()["status"] == "completed"


def test_non_alias_task_model_never_exceeds_cost(http: httpx2.Client) -> None:
    body = {"description": "x", "model": "claude-3-5-haiku-20241022", "max_cost": 0}
    r = http.post(TASK, json=body).json()
    assert (r["status"], r["usage"]["total_cost"]) == ("completed", 0.0)


# --------------------------------------------------------------------------- §7 failures


@pytest.mark.parametrize(
    ("marker", "status", "category"),
    [
        ("[fail]", 502, "cli_error"),
        ("[fail:rate_limited]", 429, "rate_limited"),
        ("[fail:overloaded]", 503, "overloaded"),
        ("[fail:timeout]", 504, "timeout"),
        ("[fail:upstream_error]", 502, "upstream_error"),
        ("[fail:auth_error]", 502, "auth_error"),
    ],
)
def test_cli_failures(http: httpx2.Client, marker: str, status: int, category: str) -> None:
    r = http.post(CHAT, json=chat_body(f"please {marker}", model="haiku"))
    assert (r.status_code, r.headers["x-error-category"]) == (status, category)
    assert r.json()["detail"].startswith("Process exited with code 1\nStderr: ")
    assert "retry-after" not in r.headers and "x-upstream-status" not in r.headers


@pytest.mark.parametrize(
    ("category", "status", "prefix", "upstream"),
    [
        ("rate_limited", 429, "Rate limited by Anthropic API: ", "429"),
        ("overloaded", 503, "Anthropic server error (529): ", "529"),
        ("upstream_error", 502, "Anthropic server error (500): ", "500"),
        ("timeout", 504, "Anthropic API timeout: ", None),
        ("connection_error", 502, "Anthropic API connection error: ", None),
        ("auth_error", 502, "Anthropic auth error: ", "401"),
        ("bad_request", 400, "Bad request to Anthropic API: ", "400"),
        ("internal_error", 500, "Direct completion error: ", None),
    ],
)
def test_sdk_failures(
    http: httpx2.Client, category: str, status: int, prefix: str, upstream: str | None
) -> None:
    r = http.post(PROCESS, json=process_body(user_message=f"x [fail:{category}]", use_cli=False))
    assert (r.status_code, r.headers["x-error-category"]) == (status, category)
    assert r.json()["detail"].startswith(prefix)
    assert r.headers.get("x-upstream-status") == upstream


def test_error_rates_count_chat_and_process_failures(
    claude_fake: FakeService, http: httpx2.Client, anon: httpx2.Client
) -> None:
    http.post(CHAT, json=chat_body("x [fail]", model="haiku"))
    http.post(PROCESS, json=process_body(user_message="x [fail:overloaded]", use_cli=False))
    http.post("/v1/batch", json={"prompts": [{"prompt": "x [fail]"}], "model": "haiku"})
    detail = anon.get("/health").json()["services"]["error_rates"]["detail"]
    assert detail["total_errors"] == 2  # batch items are not counted
    assert detail["by_path"] == {"cli": {"cli_error": 1}, "sdk": {"overloaded": 1}}


def test_process_circuit_breaker_opens_after_5_retryable_failures(
    claude_fake: FakeService, http: httpx2.Client, anon: httpx2.Client
) -> None:
    failing = process_body(user_message="x [fail:overloaded]")
    for _ in range(3):
        assert http.post(PROCESS, json=failing).status_code == 503
    # cli_error neither counts nor resets
    assert http.post(PROCESS, json=process_body(user_message="x [fail]")).status_code == 502
    for _ in range(2):
        assert http.post(PROCESS, json=failing).status_code == 503
    r = http.post(PROCESS, json=process_body())
    assert (r.status_code, r.json(), r.headers["retry-after"]) == (
        503,
        {"detail": "CLI circuit breaker open — too many recent failures"},
        "30",
    )
    assert claude_fake.prompt_runs()["User: hi"] == 0  # refused before the pool
    services = anon.get("/health").json()["services"]
    assert services["cli_circuit_breaker"]["status"] == "degraded"
    assert services["cli_circuit_breaker"]["detail"]["state"] == "open"
    assert services["sdk_circuit_breaker"]["status"] == "ok"
    # Chat has no breaker.
    assert http.post(CHAT, json=chat_body(model="haiku")).status_code == 200
    # After the recovery time the next request passes; a success closes the breaker.
    claude_fake.set_breaker(recovery_seconds=0)
    assert http.post(PROCESS, json=process_body()).status_code == 200
    assert anon.get("/health").json()["services"]["cli_circuit_breaker"]["detail"]["state"] == (
        "closed"
    )
