"""Independent audit of the fake's REST routes against BEHAVIOUR.md (issue 10).

Each test pins a sentence of the contract that test_behaviour.py / test_rules.py /
test_capacity.py do not already pin: key orders where JSON shows them, value types
(``0.0`` vs ``0``), headers present or absent, the order of checks, boundaries of the
decision rules. Section numbers refer to BEHAVIOUR.md.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from claude_client.testing import FakeService

CHAT = "/v1/chat/completions"
BATCH = "/v1/batch"
PROCESS = "/v1/process"
TASK = "/v1/task"
NO_DIALOGUE = "No user or assistant messages provided"
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
PRICES = {"haiku": (0.25, 1.25), "sonnet": (3.0, 15.0), "opus": (15.0, 75.0)}


def chat_body(prompt: str = "hello world", **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": prompt}], **extra}


def process_body(**extra: Any) -> dict[str, Any]:
    return {"provider": "claudecode", "model_name": "sonnet", "user_message": "hi", **extra}


def price(model: str, input_tokens: int, output_tokens: int) -> float:
    p_in, p_out = PRICES[model]
    return (input_tokens * p_in + output_tokens * p_out) / 1e6


@pytest.fixture
def one_minute() -> Iterator[None]:
    """Keep a rate-limit test inside one wall-clock minute (the service's window, §2)."""
    if time.time() % 60 > 55:
        time.sleep(60 - time.time() % 60 + 0.05)
    yield


# --------------------------------------------------------------------------- §1


def test_unknown_path_404_and_wrong_method_405_carry_the_request_id(anon: httpx2.Client) -> None:
    r = anon.get("/v1/nope", headers={"X-Request-ID": "abc"})
    assert (r.status_code, r.json()) == (404, {"detail": "Not Found"})
    assert r.headers["x-request-id"] == r.headers["x-forgg-cca-request-id"] == "abc"
    r = anon.get(CHAT)  # the route exists for POST only; 405 comes before auth
    assert (r.status_code, r.json()) == (405, {"detail": "Method Not Allowed"})
    assert "x-request-id" in r.headers


# --------------------------------------------------------------------------- §2


def test_www_authenticate_only_on_the_not_authenticated_401(
    claude_fake: FakeService, anon: httpx2.Client
) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer"}):
        r = anon.get("/v1/usage", headers=headers)  # empty header, empty token
        assert (r.status_code, r.json()) == (401, {"detail": "Not authenticated"})
        assert r.headers["www-authenticate"] == "Bearer"
    r = anon.get("/v1/usage", headers={"Authorization": "Bearer cc_" + "1" * 40})
    assert (r.status_code, r.json()) == (401, {"detail": "Invalid or revoked API key"})
    assert "www-authenticate" not in r.headers
    key = claude_fake.add_key(rpm=1)
    assert anon.get("/v1/usage", headers=claude_fake.auth_headers(key)).status_code == 200
    r = anon.get("/v1/usage", headers=claude_fake.auth_headers(key))
    assert r.status_code == 429 and "www-authenticate" not in r.headers


def test_bearer_scheme_is_case_insensitive(claude_fake: FakeService, anon: httpx2.Client) -> None:
    r = anon.get("/v1/usage", headers={"Authorization": f"bEaReR {claude_fake.api_key}"})
    assert r.status_code == 200


def test_a_non_json_body_is_refused_before_auth_so_it_is_not_counted(
    claude_fake: FakeService, anon: httpx2.Client, one_minute: None
) -> None:
    key = claude_fake.add_key(rpm=1)
    headers = {**claude_fake.auth_headers(key), "Content-Type": "application/json"}
    assert anon.post(CHAT, content=b"{nope", headers=headers).status_code == 422
    assert anon.get("/v1/usage", headers=headers).status_code == 200  # the first counted one
    assert anon.get("/v1/usage", headers=headers).status_code == 429


def test_a_task_counts_once(
    claude_fake: FakeService, anon: httpx2.Client, one_minute: None
) -> None:
    key = claude_fake.add_key(rpm=2)
    headers = claude_fake.auth_headers(key)
    assert anon.post(TASK, json={"description": "x"}, headers=headers).status_code == 200
    assert anon.get("/v1/usage", headers=headers).status_code == 200
    assert anon.get("/v1/usage", headers=headers).status_code == 429


def test_unauthenticated_routes_are_not_rate_limited_and_unknown_keys_never_429(
    claude_fake: FakeService, anon: httpx2.Client, one_minute: None
) -> None:
    key = claude_fake.add_key(rpm=1)
    headers = claude_fake.auth_headers(key)
    assert anon.get("/v1/usage", headers=headers).status_code == 200
    assert anon.get("/v1/usage", headers=headers).status_code == 429
    for path in ("/", "/health", "/ready", "/v1/providers", "/v1/providers/claude/models"):
        assert anon.get(path, headers=headers).status_code == 200
    unknown = {"Authorization": "Bearer cc_" + "2" * 40}
    assert [anon.get("/v1/usage", headers=unknown).status_code for _ in range(3)] == [401] * 3


# --------------------------------------------------------------------------- §4 shapes


def test_health_key_order_and_types(anon: httpx2.Client) -> None:
    health = anon.get("/health").json()
    assert list(health) == ["status", "version", "uptime_seconds", "services"]
    services = health["services"]
    assert list(services["worker_pool"]["detail"]) == [
        "status",
        "active_workers",
        "max_workers",
        "queued_tasks",
        "max_queue",
    ]
    assert list(services["error_rates"]["detail"]) == ["window_seconds", "total_errors", "by_path"]
    for name in ("sdk_circuit_breaker", "cli_circuit_breaker"):
        detail = services[name]["detail"]
        assert list(detail) == [
            "name",
            "state",
            "consecutive_failures",
            "failure_threshold",
            "recovery_timeout_seconds",
        ]
        assert isinstance(detail["recovery_timeout_seconds"], float)
    assert all(list(entry) == ["status", "detail"] for entry in services.values())
    assert {n: services[n]["detail"] for n in ("budget_manager", "auth_manager", "audit_db")} == {
        "budget_manager": None,
        "auth_manager": None,
        "audit_db": None,
    }


def test_provider_models_key_order(anon: httpx2.Client) -> None:
    body = anon.get("/v1/providers/ANTHROPIC/models").json()
    assert list(body) == ["provider", "models"] and body["provider"] == "ANTHROPIC"
    assert list(body["models"]) == ["haiku", "sonnet", "opus"]
    for entry in body["models"].values():
        assert list(entry) == [
            "max_tokens",
            "context_window",
            "supports_functions",
            "supports_vision",
        ]
    assert list(anon.get("/v1/providers").json()[0]) == ["name", "available", "models"]


def test_chat_batch_usage_route_key_order(http: httpx2.Client) -> None:
    chat = http.post(CHAT, json=chat_body(model="haiku")).json()
    assert list(chat) == ["id", "model", "content", "usage", "cost", "project_id"]
    assert list(chat["usage"]) == ["input_tokens", "output_tokens", "total_tokens"]
    batch = http.post(BATCH, json={"prompts": [{"prompt": "a"}, {"prompt": "[fail]"}]}).json()
    assert list(batch) == ["total", "completed", "failed", "results", "total_cost", "total_tokens"]
    for item in batch["results"]:
        assert list(item) == ["id", "prompt", "status", "content", "usage", "cost", "error"]
    usage = http.get("/v1/usage").json()
    assert list(usage) == [
        "project_id",
        "period",
        "total_tokens",
        "total_cost",
        "by_model",
        "limit",
        "remaining",
    ]
    assert list(next(iter(usage["by_model"].values()))) == ["tokens", "cost"]
    route = http.post("/v1/route", json={"prompt": "x"}).json()
    assert list(route) == ["recommended_model", "reasoning", "budget_status"]
    assert list(route["budget_status"]) == ["total_tokens", "total_cost", "limit", "remaining"]


def test_money_is_always_a_float(http: httpx2.Client) -> None:
    """``total_cost``/``cost`` are floats (``0.0``, never ``0``) even with nothing used."""
    route = json.loads(http.post("/v1/route", json={"prompt": "x"}).text)
    assert isinstance(route["budget_status"]["total_cost"], float)
    usage = json.loads(http.get("/v1/usage").text)
    assert isinstance(usage["total_cost"], float)
    empty = json.loads(http.post(BATCH, json={"prompts": [], "model": "haiku"}).text)
    assert empty == {
        "total": 0,
        "completed": 0,
        "failed": 0,
        "results": [],
        "total_cost": 0.0,
        "total_tokens": 0,
    }
    assert isinstance(empty["total_cost"], float)
    full_id = json.loads(http.post(CHAT, json=chat_body(model="claude-3-5-haiku-x")).text)
    assert isinstance(full_id["cost"], float) and full_id["cost"] == 0.0


def test_route_budget_status_with_int_costs_recorded(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.add_usage("default", "haiku", 10, 0)  # a row whose cost is an int
    status = json.loads(http.post("/v1/route", json={"prompt": "x"}).text)["budget_status"]
    assert isinstance(status["total_cost"], float)


def test_process_and_task_key_order(http: httpx2.Client) -> None:
    body = http.post(PROCESS, json=process_body()).json()
    assert list(body) == ["content", "content_blocks", "model", "provider", "metadata"]
    assert list(body["metadata"]) == [
        "actual_model",
        "usage",
        "cost_usd",
        "processing_time",
        "finish_reason",
        "mapped_from",
    ]
    task = http.post(TASK, json={"description": "x"}).json()
    assert list(task) == ["task_id", "status", "result", "execution_log", "artifacts", "usage"]
    assert list(task["result"]) == ["summary", "full_output", "workspace_directory"]
    assert list(task["execution_log"][0]) == ["step", "timestamp", "action", "details"]
    assert list(task["usage"]) == [
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "total_cost",
        "model_used",
        "duration_seconds",
    ]
    assert isinstance(task["usage"]["duration_seconds"], float)
    exceeded = http.post(TASK, json={"description": "x", "max_cost": 0}).json()
    assert list(exceeded["result"]) == ["error", "output"]
    assert list(exceeded["usage"]) == ["input_tokens", "output_tokens", "total_cost", "model_used"]


def test_tool_path_key_order(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_tool_passthrough(True)
    body = http.post(CHAT, json=chat_body("hi", model="haiku", tools=TOOLS)).json()
    assert list(body) == ["id", "object", "model", "choices", "usage", "cost", "project_id"]
    assert list(body["choices"][0]) == ["index", "message", "finish_reason"]
    assert list(body["usage"]) == ["prompt_tokens", "completion_tokens", "total_tokens"]
    forced = http.post(
        CHAT, json=chat_body("hi", model="haiku", tools=TOOLS, tool_choice="required")
    ).json()
    message = forced["choices"][0]["message"]
    assert list(message) == ["role", "content", "tool_calls"] and message["content"] is None
    assert list(message["tool_calls"][0]) == ["id", "type", "function"]
    assert list(message["tool_calls"][0]["function"]) == ["name", "arguments"]


# --------------------------------------------------------------------------- §5.1 routing


@pytest.mark.parametrize(
    ("content", "model"),
    [
        ("list " + "x" * 88, "haiku"),  # "user: " + 93 characters = 99 < 100
        ("list " + "x" * 89, "sonnet"),  # 100 characters with the role prefix: not simple
        ("LIST THE FILES", "haiku"),  # keywords match the lower-cased prompt
        ("please Analyze it", "sonnet"),
    ],
)
def test_chat_simple_rule_counts_the_flattened_prompt(
    http: httpx2.Client, content: str, model: str
) -> None:
    assert http.post(CHAT, json=chat_body(content)).json()["model"] == model


def test_chat_context_is_the_words_of_the_prompt_unless_max_tokens(http: httpx2.Client) -> None:
    long = " ".join(["word"] * 10_000)  # "user: " + 10,000 words = 10,001 words > 10,000
    assert http.post(CHAT, json=chat_body(long)).json()["model"] == "opus"
    shorter = " ".join(["word"] * 9_999)  # 10,000 words: not > 10,000
    assert http.post(CHAT, json=chat_body(shorter)).json()["model"] == "sonnet"
    # max_tokens 0 is "not set": the words decide; a non-zero max_tokens replaces them.
    assert http.post(CHAT, json=chat_body(long, max_tokens=0)).json()["model"] == "opus"
    assert http.post(CHAT, json=chat_body(long, max_tokens=5)).json()["model"] == "sonnet"


@pytest.mark.parametrize(
    ("prompt", "model"),
    [("x" * 95 + "list", "haiku"), ("x" * 96 + "list", "sonnet")],  # len < 100, exactly
)
def test_route_simple_rule_boundary(http: httpx2.Client, prompt: str, model: str) -> None:
    assert http.post("/v1/route", json={"prompt": prompt}).json()["recommended_model"] == model


def test_route_with_an_exactly_exhausted_and_an_overspent_budget(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_budget("default", 1000)
    claude_fake.add_usage("default", "haiku", 1000)  # remaining 0 -> R = +inf
    body = http.post("/v1/route", json={"prompt": "design it"}).json()
    assert (body["recommended_model"], body["reasoning"]) == (
        "sonnet",
        "Complex reasoning keywords with sufficient budget → Sonnet",
    )
    assert body["budget_status"]["remaining"] == 0
    claude_fake.add_usage("default", "haiku", 1)  # remaining -1: R < 1000
    body = http.post("/v1/route", json={"prompt": "x", "context_size": 20_000}).json()
    assert (body["recommended_model"], body["reasoning"]) == (
        "haiku",
        "Budget constraint: Insufficient budget forces Haiku",
    )
    assert body["budget_status"]["remaining"] == -1


def test_tool_path_routes_without_a_model(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_tool_passthrough(True)
    http.post(CHAT, json=chat_body("list files", tools=TOOLS))
    http.post(CHAT, json=chat_body("Write a poem about the sea", tools=TOOLS))
    http.post(CHAT, json=chat_body("Write a poem", tools=TOOLS, max_tokens=20_000))
    assert [r.model for r in claude_fake.usage_records("default")] == ["haiku", "sonnet", "opus"]


# --------------------------------------------------------------------------- §5.2 names


def test_process_usage_is_recorded_under_the_alias(http: httpx2.Client) -> None:
    body = http.post(PROCESS, json=process_body(provider="openai", model_name="gpt-4o")).json()
    assert body["metadata"]["actual_model"] == "opus"
    usage = http.get("/v1/usage").json()["by_model"]
    assert list(usage) == ["opus"]
    assert usage["opus"]["cost"] == pytest.approx(body["metadata"]["cost_usd"])


def test_tool_path_prices_other_names_at_sonnet_rates(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_tool_passthrough(True)
    name = "claude-3-5-haiku-20241022"
    body = http.post(CHAT, json=chat_body("hi", model=name, tools=TOOLS)).json()
    u = body["usage"]
    assert u["prompt_tokens"] > 0
    assert body["cost"] == pytest.approx(
        price("sonnet", u["prompt_tokens"], u["completion_tokens"])
    )
    assert [(r.model, r.tokens) for r in claude_fake.usage_records("default")] == [
        (name, u["total_tokens"])
    ]


def test_tool_path_unknown_model_is_502_upstream_error(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_tool_passthrough(True)
    r = http.post(CHAT, json=chat_body("hi", model="gpt-4", tools=TOOLS))
    assert (r.status_code, r.headers["x-error-category"]) == (502, "upstream_error")
    assert r.json()["detail"].startswith("Anthropic API error: ")
    assert "x-upstream-status" not in r.headers and "retry-after" not in r.headers


def test_batch_full_id_costs_nothing(http: httpx2.Client) -> None:
    name = "claude-3-5-haiku-20241022"
    body = http.post(BATCH, json={"prompts": [{"prompt": "a b"}], "model": name}).json()
    (item,) = body["results"]
    assert (item["status"], item["cost"], body["total_cost"]) == ("completed", 0.0, 0.0)


# --------------------------------------------------------------------------- §5.3 / §7


def test_tool_path_without_dialogue_is_an_uncategorised_500(
    claude_fake: FakeService, http: httpx2.Client, anon: httpx2.Client
) -> None:
    claude_fake.set_tool_passthrough(True)
    for messages in ([], [{"role": "system", "content": "s"}]):
        r = http.post(CHAT, json={"messages": messages, "tools": TOOLS, "model": "haiku"})
        assert (r.status_code, r.json()) == (500, {"detail": NO_DIALOGUE})
        assert "x-error-category" not in r.headers
    # error_rates counts only failures that carry a category (§4, §7).
    detail = anon.get("/health").json()["services"]["error_rates"]["detail"]
    assert (detail["total_errors"], detail["by_path"]) == (0, {})


def test_error_rates_ignore_budget_refusals_and_pool_timeouts(
    claude_fake: FakeService, http: httpx2.Client, anon: httpx2.Client
) -> None:
    claude_fake.set_budget("default", 0)
    assert http.post(CHAT, json=chat_body(model="haiku")).status_code == 429
    assert http.post(PROCESS, json=process_body()).status_code == 403
    claude_fake.set_budget("default", None)
    claude_fake.latency(5)
    r = http.post(CHAT, json=chat_body(model="haiku", timeout=1))
    assert (r.status_code, r.json()) == (504, {"detail": "Task timed out after 1.0 seconds"})
    claude_fake.latency(0)
    detail = anon.get("/health").json()["services"]["error_rates"]["detail"]
    assert detail["total_errors"] == 0


def test_process_sdk_path_failures_count_in_error_rates_by_path(
    http: httpx2.Client, anon: httpx2.Client
) -> None:
    http.post(PROCESS, json=process_body(user_message="x [fail:timeout]", use_cli=False))
    http.post(PROCESS, json=process_body(user_message="x [fail:timeout]"))
    detail = anon.get("/health").json()["services"]["error_rates"]["detail"]
    assert detail["by_path"] == {"sdk": {"timeout": 1}, "cli": {"timeout": 1}}


# --------------------------------------------------------------------------- §5.5 budget


def test_budget_refusals_carry_no_category(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_budget("default", 0)
    for r in (http.post(CHAT, json=chat_body()), http.post(PROCESS, json=process_body())):
        assert r.status_code in (429, 403)
        assert "x-error-category" not in r.headers and "retry-after" not in r.headers


def test_tool_path_estimate_counts_content_words_without_role_prefixes(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_tool_passthrough(True)
    claude_fake.set_budget("default", 1000)
    claude_fake.add_usage("default", "haiku", 993)
    # CLI path: "user: a b c" = 4 words -> 993 + 8 > 1000.
    assert http.post(CHAT, json=chat_body("a b c", model="haiku")).status_code == 429
    # Tool path: content "a b c" = 3 words -> 993 + 6 <= 1000.
    r = http.post(CHAT, json=chat_body("a b c", model="haiku", tools=TOOLS))
    assert r.status_code == 200 and r.json()["id"] == "sdk-direct"


def test_tool_path_budget_refusal_is_429(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_tool_passthrough(True)
    claude_fake.set_budget("default", 5)
    r = http.post(CHAT, json=chat_body("a b c", model="haiku", tools=TOOLS))
    assert (r.status_code, r.json()) == (429, {"detail": "Budget exceeded for project default"})


@pytest.mark.parametrize(
    ("body", "estimate"),
    [
        ({"description": "a b c"}, 13),  # int(3 * 4.5)
        ({"description": "a b", "allow_skills": ["code-analyzer"]}, 3009),
        ({"description": "a", "allow_tools": ["Read"], "allow_skills": ["code-analyzer"]}, 4504),
    ],
)
def test_task_estimate(
    claude_fake: FakeService, http: httpx2.Client, body: dict[str, Any], estimate: int
) -> None:
    claude_fake.set_budget("est", estimate - 1)
    r = http.post(TASK, json={**body, "project_id": "est"}).json()
    assert (r["status"], r["usage"]) == ("failed", {"estimated_tokens": estimate})
    assert (r["execution_log"], r["artifacts"]) == ([], [])
    claude_fake.set_budget("est", estimate)  # equal passes
    assert http.post(TASK, json={**body, "project_id": "est"}).json()["status"] == "completed"


# --------------------------------------------------------------------------- §5.6 / §5.7


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"allow_tools": ["Read", "WebFetch", "Write"]}, "Tool 'WebFetch' is not in allowed list"),
        ({"allow_tools": ["Read", "Write", "WebFetch"]}, "Tool 'Write' is explicitly blocked"),
        (
            {"allow_tools": ["WebFetch"], "allow_agents": ["x"]},
            "Tool 'WebFetch' is not in allowed list",
        ),
        ({"allow_agents": ["x"], "allow_skills": ["y"]}, "Agent 'x' is not in allowed list"),
        ({"allow_skills": ["y"], "timeout": 301}, "Skill 'y' is not in allowed list"),
        ({"timeout": 301, "max_cost": 5}, "Requested timeout (301s) exceeds limit (300s)"),
        ({"max_cost": 5}, "Requested max cost ($5.0) exceeds limit ($1.0)"),  # HTTP: a float
    ],
)
def test_permission_check_order(http: httpx2.Client, body: dict[str, Any], reason: str) -> None:
    r = http.post(TASK, json={"description": "x", **body})  # the pro key
    assert (r.status_code, r.json()) == (403, {"detail": f"Permission denied: {reason}"})


def test_profile_limits_are_inclusive(claude_fake: FakeService, http: httpx2.Client) -> None:
    assert (
        http.post(TASK, json={"description": "x", "timeout": 300, "max_cost": 1}).json()["status"]
        == "completed"
    )
    free = claude_fake.auth_headers(claude_fake.free_key)
    r = http.post(TASK, json={"description": "x", "timeout": 60, "max_cost": 0.1}, headers=free)
    assert r.json()["status"] == "completed"
    r = http.post(TASK, json={"description": "x", "allow_skills": ["s"]}, headers=free)
    assert r.json() == {"detail": "Permission denied: Skill 's' is not in allowed list"}


def test_task_check_order(claude_fake: FakeService, http: httpx2.Client) -> None:
    ent = claude_fake.auth_headers(claude_fake.enterprise_key)
    claude_fake.set_budget("default", 0)
    # Permission (403) before the executor's validation (500).
    r = http.post(TASK, json={"description": "", "allow_tools": ["Write"]})
    assert r.status_code == 403
    # Validation before the budget: description first, then agents, then skills.
    body = {"description": "", "allow_agents": ["ghost"], "allow_skills": ["nope"]}
    r = http.post(TASK, json=body, headers=ent)
    assert r.json() == {"detail": "Task execution failed: Description is required"}
    r = http.post(TASK, json={**body, "description": "x"}, headers=ent)
    assert r.json() == {"detail": "Task execution failed: Unknown agents requested: ghost"}
    r = http.post(TASK, json={"description": "x", "allow_skills": ["nope"]}, headers=ent)
    assert r.json() == {"detail": "Task execution failed: Unknown skills requested: nope"}
    # The budget refusal comes before the run: a rejected model name is not reached.
    r = http.post(TASK, json={"description": "x", "model": "gpt-4"})
    assert (r.status_code, r.json()["status"]) == (200, "failed")
    assert claude_fake.prompt_runs() == {}


def test_cost_exceeded_text_has_four_decimals_and_is_not_billed(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    body = http.post(TASK, json={"description": "x", "max_cost": 0.00001, "model": "opus"}).json()
    cost = body["usage"]["total_cost"]
    assert body["status"] == "cost_exceeded" and cost > 0.00001
    assert body["result"]["error"] == f"Cost ${cost:.4f} exceeded limit $0.0000"
    assert body["usage"]["model_used"] == "opus"
    assert claude_fake.usage_records("default") == []


def test_completed_task_bills_its_tokens_under_the_model_used(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    body = http.post(TASK, json={"description": "x", "model": "haiku"}).json()
    (row,) = claude_fake.usage_records("default")
    assert (row.model, row.tokens) == ("haiku", body["usage"]["total_tokens"])
    assert row.cost == pytest.approx(body["usage"]["total_cost"])
    u = body["usage"]
    assert u["total_cost"] == pytest.approx(price("haiku", u["input_tokens"], u["output_tokens"]))


# --------------------------------------------------------------------------- §6


def test_process_timeout_prints_as_python_computes_it(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    """``max(30, max_tokens / 10)``: ``30`` (an int) when 30 wins, else a float."""
    claude_fake.latency(200)
    claude_fake.set_max_workers(1)
    out: dict[str, httpx2.Response] = {}

    def call() -> None:
        out["r"] = http.post(PROCESS, json=process_body(max_tokens=100), timeout=60)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while claude_fake.pool_stats().active_workers != 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    claude_fake.reset()  # kills the run: the wait ends as a timeout
    thread.join(10)
    assert out["r"].json() == {"detail": "Task timed out after 30 seconds"}


# --------------------------------------------------------------------------- order of checks (§3)


@pytest.mark.parametrize(
    ("body", "model", "reasoning"),
    [
        (
            {"prompt": "review and list"},
            "haiku",  # rule 3 decides; the text lists every rule that applied
            "Simple prompt with basic keywords → Haiku"
            " | Complex reasoning keywords with sufficient budget → Sonnet",
        ),
        (
            {"prompt": "show it", "context_size": 10_001},
            "opus",
            "Context constraint: Large context requires Opus"
            " | Simple prompt with basic keywords → Haiku",
        ),
    ],
)
def test_route_reasoning_lists_every_rule_that_applied(
    http: httpx2.Client, body: dict[str, Any], model: str, reasoning: str
) -> None:
    r = http.post("/v1/route", json=body).json()
    assert (r["recommended_model"], r["reasoning"]) == (model, reasoning)


def test_chat_low_budget_forces_haiku_but_tasks_route_with_a_million(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_budget("default", 10_000)
    claude_fake.add_usage("default", "sonnet", 9_100)  # R = 900
    assert http.post(CHAT, json=chat_body("Write a poem")).json()["model"] == "haiku"
    task = http.post(TASK, json={"description": "Write a poem"}).json()
    assert (task["status"], task["usage"]["model_used"]) == ("completed", "sonnet")


def test_tools_with_passthrough_on_but_empty_take_the_cli_path(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_tool_passthrough(True)
    body = http.post(CHAT, json=chat_body("hi", model="haiku", tools=[])).json()
    assert list(body) == ["id", "model", "content", "usage", "cost", "project_id"]


def test_tool_path_missing_sdk_comes_before_the_budget(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_tool_passthrough(True)
    claude_fake.set_anthropic_key(False)
    claude_fake.set_budget("default", 0)
    r = http.post(CHAT, json=chat_body("hi", tools=TOOLS))
    assert (r.status_code, r.json()) == (500, {"detail": "SDK client not initialized"})
    assert "x-error-category" not in r.headers


def test_process_budget_comes_before_the_breaker(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    for _ in range(5):
        http.post(PROCESS, json=process_body(user_message="x [fail:overloaded]"))
    assert http.post(PROCESS, json=process_body()).status_code == 503  # breaker open
    claude_fake.set_budget("default", 0)
    r = http.post(PROCESS, json=process_body())
    assert (r.status_code, r.json()) == (403, {"detail": "Budget exceeded for project default"})


def test_task_with_a_negative_timeout_is_a_failed_run(http: httpx2.Client) -> None:
    r = http.post(TASK, json={"description": "x", "timeout": -5})
    assert (r.status_code, r.json()) == (
        500,
        {"detail": "Task execution failed: object of type 'NoneType' has no len()"},
    )


def test_capabilities_key_order(http: httpx2.Client) -> None:
    body = http.get("/v1/capabilities").json()
    assert list(body) == ["agents", "skills", "agents_count", "skills_count"]
    assert list(body["agents"][0]) == ["name", "description", "tools", "model"]
    assert list(body["skills"][0]) == ["name", "description", "command"]
