"""Every row of shared/contract/BEHAVIOUR.md against the fake, with plain httpx.

Statuses, ``detail`` strings and headers are asserted verbatim.
"""

from __future__ import annotations

import socket
import time
import uuid

import httpx2
import pytest

from claude_client.testing import FakeService, Fault

CHAT = "/v1/chat/completions"


def chat_body(prompt: str = "hello world", **extra: object) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": prompt}], **extra}


# --------------------------------------------------------------------------- every response


def test_request_id_is_echoed(http: httpx2.Client) -> None:
    r = http.get("/v1/capabilities", headers={"X-Request-ID": "req-123"})
    assert r.headers["x-request-id"] == "req-123"


def test_request_id_is_a_fresh_uuid4_otherwise(http: httpx2.Client, anon: httpx2.Client) -> None:
    ids = {http.post(CHAT, json=chat_body()).headers["x-request-id"] for _ in range(2)}
    ids.add(anon.get("/v1/usage").headers["x-request-id"])  # on errors too
    assert len(ids) == 3
    assert all(uuid.UUID(i).version == 4 for i in ids)


def test_validation_error_is_fastapi_422_shape(http: httpx2.Client) -> None:
    r = http.post(CHAT, json={"messages": [], "timeout": 0})
    assert r.status_code == 422
    (err,) = r.json()["detail"]
    assert err["loc"] == ["body", "timeout"]
    assert err["type"] == "greater_than_equal"
    assert {"type", "loc", "msg", "input"} <= set(err)
    r = http.post(CHAT, json={"model": "haiku"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "messages"]
    assert r.json()["detail"][0]["type"] == "missing"


# --------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwdw=="}])
def test_missing_or_non_bearer_header_is_401_not_authenticated(
    anon: httpx2.Client, headers: dict[str, str]
) -> None:
    r = anon.post(CHAT, json=chat_body(), headers=headers)
    assert r.status_code == 401
    assert r.json() == {"detail": "Not authenticated"}
    assert r.headers["www-authenticate"] == "Bearer"


def test_unknown_key_is_401_invalid_or_revoked(anon: httpx2.Client) -> None:
    r = anon.get("/v1/usage", headers={"Authorization": "Bearer cc_" + "0" * 40})
    assert r.status_code == 401
    assert r.json() == {"detail": "Invalid or revoked API key"}


def test_revoked_key_is_401(claude_fake: FakeService, anon: httpx2.Client) -> None:
    key = claude_fake.add_key(profile="pro", project_id="p1")
    assert anon.get("/v1/usage", headers=claude_fake.auth_headers(key)).status_code == 200
    claude_fake.revoke_key(key)
    r = anon.get("/v1/usage", headers=claude_fake.auth_headers(key))
    assert (r.status_code, r.json()) == (401, {"detail": "Invalid or revoked API key"})


def test_keys_look_like_the_service_keys(claude_fake: FakeService) -> None:
    import re

    for key in (
        claude_fake.api_key,
        claude_fake.free_key,
        claude_fake.enterprise_key,
        claude_fake.add_key(),
    ):
        assert re.fullmatch(r"cc_[0-9a-f]{40}", key)


def test_rate_limit_is_429_without_retry_after(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_rate_limit(claude_fake.api_key, 2)
    assert [http.get("/v1/capabilities").status_code for _ in range(2)] == [200, 200]
    r = http.get("/v1/capabilities")
    assert r.status_code == 429
    assert r.json() == {"detail": "Rate limit exceeded. Please try again later."}
    assert "retry-after" not in r.headers
    assert "x-error-category" not in r.headers


def test_default_rate_limit_is_100_per_minute(claude_fake: FakeService) -> None:
    info = claude_fake.key_info(claude_fake.api_key)
    assert info is not None and info.rpm == 100
    assert claude_fake.key_info(claude_fake.add_key()).rpm == 100  # type: ignore[union-attr]


def test_non_json_body_gets_422_before_auth(anon: httpx2.Client) -> None:
    r = anon.post(CHAT, content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["type"] == "json_invalid"


def test_auth_runs_before_body_validation(anon: httpx2.Client, http: httpx2.Client) -> None:
    assert anon.post(CHAT, json={"wrong": 1}).status_code == 401
    assert http.post(CHAT, json={"wrong": 1}).status_code == 422


@pytest.mark.parametrize(
    "path", ["/", "/health", "/ready", "/v1/providers", "/v1/providers/anthropic/models"]
)
def test_unauthenticated_routes(anon: httpx2.Client, path: str) -> None:
    assert anon.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/v1/usage", "/v1/capabilities"])
def test_authenticated_get_routes(anon: httpx2.Client, path: str) -> None:
    assert anon.get(path).status_code == 401


# --------------------------------------------------------------------------- backend failures


@pytest.mark.parametrize(
    ("category", "status"),
    [
        ("rate_limited", 429),
        ("overloaded", 503),
        ("upstream_error", 502),
        ("auth_error", 502),
        ("connection_error", 502),
        ("cli_error", 502),
        ("timeout", 504),
        ("bad_request", 400),
        ("internal_error", 500),
    ],
)
def test_backend_failure_categories(
    claude_fake: FakeService, http: httpx2.Client, category: str, status: int
) -> None:
    claude_fake.fail_next(status=status, category=category, retry_after=7, upstream_status=529)
    r = http.post(CHAT, json=chat_body())
    assert r.status_code == status
    assert r.headers["x-error-category"] == category
    assert r.headers["retry-after"] == "7"
    assert r.headers["x-upstream-status"] == "529"
    assert isinstance(r.json()["detail"], str)
    assert http.post(CHAT, json=chat_body()).status_code == 200  # only the next one


@pytest.mark.parametrize(
    ("status", "category"),
    [
        (429, "rate_limited"),
        (503, "overloaded"),
        (502, "upstream_error"),
        (504, "timeout"),
        (400, "bad_request"),
        (500, "internal_error"),
    ],
)
def test_fail_next_derives_the_category_from_the_status(
    claude_fake: FakeService, http: httpx2.Client, status: int, category: str
) -> None:
    claude_fake.fail_next(status=status)
    r = http.post(CHAT, json=chat_body())
    assert (r.status_code, r.headers["x-error-category"]) == (status, category)
    assert "retry-after" not in r.headers


def test_run_over_its_own_timeout_is_504_without_category(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.latency(10)
    started = time.monotonic()
    r = http.post(CHAT, json=chat_body(timeout=1))
    assert 0.9 < time.monotonic() - started < 3  # the service-side limit, not the latency
    assert r.status_code == 504
    assert r.json() == {"detail": "Task timed out after 1.0 seconds"}  # chat prints a float
    assert "x-error-category" not in r.headers


def test_full_worker_pool_is_503(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.inject(Fault.POOL_OVERLOADED)
    r = http.post(CHAT, json=chat_body())
    assert r.status_code == 503
    assert r.json()["detail"].startswith("Worker pool overloaded: ")


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        (Fault.CLI_BREAKER_OPEN, "CLI circuit breaker open — too many recent failures"),
        (
            Fault.UPSTREAM_BREAKER_OPEN,
            "Upstream API circuit breaker open — too many recent failures",
        ),
    ],
)
def test_process_circuit_breakers(
    claude_fake: FakeService, http: httpx2.Client, fault: Fault, detail: str
) -> None:
    claude_fake.inject(fault, path="/v1/process")
    r = http.post(
        "/v1/process", json={"provider": "claudecode", "model_name": "sonnet", "user_message": "hi"}
    )
    assert (r.status_code, r.json(), r.headers["retry-after"]) == (503, {"detail": detail}, "30")


# --------------------------------------------------------------------------- chat


def test_chat_body_shape_and_determinism(claude_fake: FakeService, http: httpx2.Client) -> None:
    prompt = "Write   a poem about the sea"
    body = http.post(CHAT, json=chat_body(prompt, model="sonnet")).json()
    assert set(body) == {"id", "model", "content", "usage", "cost", "project_id"}
    assert body["content"] == claude_fake.expected_answer(prompt)
    assert body["content"] == "Answer: Write a poem about the sea"
    assert body["usage"] == {"input_tokens": 7, "output_tokens": 7, "total_tokens": 14}
    assert body["usage"] == claude_fake.expected_usage(prompt)
    assert body["cost"] == pytest.approx((7 * 3 + 7 * 15) / 1e6)
    assert body["cost"] == claude_fake.expected_cost(prompt, "sonnet")
    assert (body["model"], body["project_id"]) == ("sonnet", "default")
    again = http.post(CHAT, json=chat_body(prompt, model="sonnet")).json()
    assert again["content"] == body["content"] and again["id"] != body["id"]


@pytest.mark.parametrize(
    ("model", "price_in", "price_out"), [("haiku", 0.25, 1.25), ("sonnet", 3, 15), ("opus", 15, 75)]
)
def test_price_table(http: httpx2.Client, model: str, price_in: float, price_out: float) -> None:
    body = http.post(CHAT, json=chat_body("one two three", model=model)).json()
    u = body["usage"]
    assert body["cost"] == pytest.approx(
        (u["input_tokens"] * price_in + u["output_tokens"] * price_out) / 1e6
    )


@pytest.mark.parametrize(
    ("prompt", "extra", "model"),
    [
        ("list the files", {}, "haiku"),  # short with a basic keyword
        ("Write a haiku about the sea", {}, "sonnet"),  # no keyword: the default
        ("please review this module", {}, "sonnet"),  # complex keyword
        ("Write a haiku about the sea", {"max_tokens": 20000}, "opus"),  # large context
    ],
)
def test_absent_model_is_routed_by_keywords_context_and_budget(
    claude_fake: FakeService, http: httpx2.Client, prompt: str, extra: dict[str, int], model: str
) -> None:
    assert http.post(CHAT, json=chat_body(prompt, **extra)).json()["model"] == model
    assert http.post(CHAT, json=chat_body(prompt, model=None, **extra)).json()["model"] == model
    assert claude_fake.expected_model(prompt, extra.get("max_tokens"), chat=True) == model


def test_model_auto_is_not_special_it_fails_like_any_unknown_name(http: httpx2.Client) -> None:
    r = http.post(CHAT, json=chat_body("list the files", model="auto"))
    assert r.status_code == 502
    assert r.headers["x-error-category"] == "cli_error"
    assert r.json()["detail"].startswith("Process exited with code 1\nStderr: ")


def test_chat_budget_exceeded_is_429(claude_fake: FakeService, http: httpx2.Client) -> None:
    # "user: hello world" = 3 words -> estimate 6; a run bills 3 + 3 = 6 tokens.
    claude_fake.set_budget("default", 12)
    assert http.post(CHAT, json=chat_body()).status_code == 200  # 0 + 6 <= 12; 6 used
    assert http.post(CHAT, json=chat_body()).status_code == 200  # 6 + 6 = 12 passes (equal)
    r = http.post(CHAT, json=chat_body())  # 12 + 6 > 12
    assert (r.status_code, r.json()) == (429, {"detail": "Budget exceeded for project default"})
    assert "retry-after" not in r.headers


def test_chat_unknown_model_is_502_cli_error(http: httpx2.Client) -> None:
    r = http.post(CHAT, json=chat_body(model="gpt-4"))
    assert r.status_code == 502
    assert r.headers["x-error-category"] == "cli_error"


def test_chat_with_tools_is_openai_shaped(claude_fake: FakeService, http: httpx2.Client) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    # Off by default, as the service: the tools are ignored, the CLI body comes back.
    assert "content" in http.post(CHAT, json=chat_body("hi", tools=tools)).json()
    claude_fake.set_tool_passthrough(True)
    body = http.post(
        CHAT, json=chat_body("weather in Paris", model="haiku", tools=tools, tool_choice="required")
    ).json()
    assert (body["id"], body["object"]) == ("sdk-direct", "chat.completion")
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    plain = http.post(CHAT, json=chat_body("hi", model="haiku", tools=tools)).json()
    assert plain["choices"][0]["message"]["content"] == "Answer: hi"
    assert plain["choices"][0]["finish_reason"] == "stop"
    claude_fake.set_tool_passthrough(False)
    assert "content" in http.post(CHAT, json=chat_body("hi", tools=tools)).json()


def test_chat_is_billed_to_the_keys_project(claude_fake: FakeService, anon: httpx2.Client) -> None:
    key = claude_fake.add_key(project_id="billing")
    body = anon.post(CHAT, json=chat_body(), headers=claude_fake.auth_headers(key)).json()
    assert body["project_id"] == "billing"
    assert claude_fake.tokens_used("billing") == body["usage"]["total_tokens"]


# --------------------------------------------------------------------------- batch


def test_batch_failed_item_inside_a_200(http: httpx2.Client) -> None:
    r = http.post(
        "/v1/batch",
        json={
            "model": "haiku",
            "prompts": [
                {"prompt": "first one", "id": "a"},
                {"prompt": "this will [fail]"},
                {"prompt": "third"},
            ],
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["total"], body["completed"], body["failed"]) == (3, 2, 1)
    a, b, c = body["results"]
    assert a == {
        "id": "a",
        "prompt": "first one",
        "status": "completed",
        "content": "Answer: first one",
        "usage": {"input_tokens": 3, "output_tokens": 3, "total_tokens": 6},
        "cost": pytest.approx((3 * 0.25 + 3 * 1.25) / 1e6),
        "error": None,
    }
    assert b["status"] == "failed" and b["error"] and b["content"] is None
    assert c["content"] == "Answer: third"
    assert body["total_tokens"] == 6 + c["usage"]["total_tokens"]


def test_batch_has_no_budget_check(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_budget("default", 0)
    assert http.post(CHAT, json=chat_body()).status_code == 429
    body = http.post("/v1/batch", json={"prompts": [{"prompt": "x"}]}).json()
    assert body["completed"] == 1


@pytest.mark.parametrize(("workers", "low", "high"), [(5, 0.6, 2.5), (10, 0.3, 0.58)])
def test_batch_items_run_on_the_worker_pool(
    claude_fake: FakeService, http: httpx2.Client, workers: int, low: float, high: float
) -> None:
    claude_fake.latency(0.3)
    claude_fake.set_max_workers(workers)
    started = time.monotonic()
    body = http.post("/v1/batch", json={"prompts": [{"prompt": f"p{i}"} for i in range(10)]})
    elapsed = time.monotonic() - started
    assert body.json()["completed"] == 10
    assert low <= elapsed < high  # ceil(10 items / workers) x 0.3 s


def test_batch_results_keep_input_order(http: httpx2.Client) -> None:
    prompts = [{"prompt": f"prompt number {i}", "id": str(i)} for i in range(12)]
    results = http.post("/v1/batch", json={"prompts": prompts}).json()["results"]
    assert [r["id"] for r in results] == [str(i) for i in range(12)]
    assert [r["content"] for r in results] == [f"Answer: prompt number {i}" for i in range(12)]


def test_empty_batch_without_model_crashes_with_plain_text_500(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    r = http.post("/v1/batch", json={"prompts": []})
    assert (r.status_code, r.text) == (500, "Internal Server Error")
    assert r.headers["content-type"].startswith("text/plain")
    # The crash closed that connection (a pooled client's next request on it may be
    # reset, as on the service): ask on a new one.
    ok = httpx2.post(
        claude_fake.base_url + "/v1/batch",
        json={"prompts": [], "model": "haiku"},
        headers=claude_fake.auth_headers(),
    ).json()
    assert (ok["total"], ok["results"]) == (0, [])


def test_the_crash_closes_the_connection(claude_fake: FakeService) -> None:
    body = b'{"prompts": []}'
    request = (
        f"POST /v1/batch HTTP/1.1\r\nHost: fake\r\nAuthorization: Bearer {claude_fake.api_key}"
        f"\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection(("127.0.0.1", claude_fake.port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head = received.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 500")
    assert b"connection: close" not in head  # not announced: a pooled client is surprised
    assert received.endswith(b"Internal Server Error")


# --------------------------------------------------------------------------- usage


def test_usage_periods_limit_and_remaining(claude_fake: FakeService, http: httpx2.Client) -> None:
    body = http.get("/v1/usage").json()
    assert body == {
        "project_id": "default",
        "period": "month",
        "total_tokens": 0,
        "total_cost": 0.0,
        "by_model": {},
        "limit": None,
        "remaining": None,
    }
    chat = http.post(CHAT, json=chat_body(model="opus")).json()
    claude_fake.add_usage("default", "haiku", 1000, 0.5, when=time.time() - 3 * 86400)
    claude_fake.set_budget("default", 500)
    day = http.get("/v1/usage", params={"period": "day"}).json()
    week = http.get("/v1/usage", params={"period": "week"}).json()
    assert day["by_model"] == {"opus": {"tokens": 6, "cost": chat["cost"]}}
    assert (day["limit"], day["remaining"]) == (500, 494)
    assert week["total_tokens"] == 1006 and week["remaining"] == -506  # can be negative
    assert week["by_model"]["haiku"] == {"tokens": 1000, "cost": 0.5}


def test_usage_invalid_period_is_400(http: httpx2.Client) -> None:
    r = http.get("/v1/usage", params={"period": "year"})
    assert r.status_code == 400
    assert r.json() == {"detail": "Invalid period: year. Use 'month', 'week', or 'day'"}


def test_usage_is_the_keys_project(claude_fake: FakeService, anon: httpx2.Client) -> None:
    body = anon.get("/v1/usage", headers=claude_fake.auth_headers(claude_fake.free_key)).json()
    assert body["project_id"] == "free-project"


# --------------------------------------------------------------------------- route


def test_route_shape(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_budget("default", 1000)
    body = http.post("/v1/route", json={"prompt": "short", "context_size": 200_000}).json()
    assert set(body) == {"recommended_model", "reasoning", "budget_status"}
    assert body["recommended_model"] == "opus"
    assert body["budget_status"]["limit"] == 1000
    assert body["budget_status"]["remaining"] == 1000


# --------------------------------------------------------------------------- process

PROCESS = "/v1/process"


def test_process_ok(http: httpx2.Client) -> None:
    r = http.post(
        PROCESS,
        json={
            "provider": "anthropic",
            "model_name": "claude-3-haiku",
            "system_message": "be brief",
            "user_message": "hi there",
        },
    )
    assert r.status_code == 200
    body = r.json()
    # model and provider are the request's, verbatim; the alias is in the metadata.
    assert (body["content"], body["model"], body["provider"]) == (
        "Answer: hi there",
        "claude-3-haiku",
        "anthropic",
    )
    assert body["content_blocks"] is None  # CLI path
    meta = body["metadata"]
    assert set(meta) == {
        "actual_model",
        "usage",
        "cost_usd",
        "processing_time",
        "finish_reason",
        "mapped_from",
    }
    assert (meta["actual_model"], meta["finish_reason"], meta["processing_time"]) == (
        "haiku",
        "stop",
        0,
    )
    assert meta["mapped_from"] == "anthropic:claude-3-haiku → claudecode:haiku"
    assert meta["usage"]["output_tokens"] == 3


def test_process_without_messages_is_400(http: httpx2.Client) -> None:
    r = http.post(PROCESS, json={"provider": "claudecode", "model_name": "sonnet"})
    assert (r.status_code, r.json()) == (400, {"detail": "No messages provided"})


@pytest.mark.parametrize(
    "extra", [{"additional_params": {"stream": True}}, {"async_processing": True}]
)
def test_process_stream_or_async_is_501(http: httpx2.Client, extra: dict[str, object]) -> None:
    r = http.post(
        PROCESS,
        json={"provider": "claudecode", "model_name": "sonnet", "user_message": "hi", **extra},
    )
    assert r.status_code == 501
    assert isinstance(r.json()["detail"], str)


def test_process_budget_is_403_against_the_body_project(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_budget("other", 0)
    ok = http.post(
        PROCESS, json={"provider": "claudecode", "model_name": "sonnet", "user_message": "hi"}
    )
    assert ok.status_code == 200  # the key's project has no budget
    r = http.post(
        PROCESS,
        json={
            "provider": "claudecode",
            "model_name": "sonnet",
            "user_message": "hi",
            "project_id": "other",
        },
    )
    assert (r.status_code, r.json()) == (403, {"detail": "Budget exceeded for project other"})


# --------------------------------------------------------------------------- providers


def test_providers(anon: httpx2.Client) -> None:
    assert anon.get("/v1/providers").json() == [
        {"name": "claudecode", "available": True, "models": ["haiku", "sonnet", "opus"]},
        {
            "name": "anthropic",
            "available": True,
            "models": [
                "haiku",
                "sonnet",
                "opus",
                "claude-3-haiku",
                "claude-3-sonnet",
                "claude-3-opus",
            ],
        },
    ]
    for provider in ("anthropic", "claudecode", "claude", "Claude"):
        body = anon.get(f"/v1/providers/{provider}/models").json()
        assert body["provider"] == provider  # the path value as given
        assert set(body["models"]) == {"haiku", "sonnet", "opus"}
        assert body["models"]["sonnet"] == {
            "max_tokens": 8192,
            "context_window": 200000,
            "supports_functions": False,
            "supports_vision": True,
        }
        assert body["models"]["haiku"]["max_tokens"] == body["models"]["opus"]["max_tokens"] == 4096


def test_unknown_provider_is_404(anon: httpx2.Client) -> None:
    r = anon.get("/v1/providers/openai/models")
    assert r.status_code == 404
    assert r.json() == {
        "detail": "Provider openai not supported. Only 'anthropic' and 'claudecode' available."
    }


# --------------------------------------------------------------------------- agentic tasks

TASK = "/v1/task"


def task(http: httpx2.Client, key: str | None = None, **body: object) -> httpx2.Response:
    body.setdefault("description", "Count the files")
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return http.post(TASK, json=body, headers=headers)


def test_task_completed_shape(http: httpx2.Client) -> None:
    r = task(http, description="Summarise the README", allow_tools=["Read", "Grep"])
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "completed"
    assert set(body["result"]) == {"summary", "full_output", "workspace_directory"}
    assert body["result"]["summary"] == "Completed: Summarise the README"
    task_id = body["task_id"]
    assert body["result"]["workspace_directory"] == f"/tmp/agentic_tasks/{task_id}"
    assert body["artifacts"] == []  # only files really found in the workspace
    assert set(body["usage"]) == {
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "total_cost",
        "model_used",
        "duration_seconds",
    }
    (entry,) = body["execution_log"]  # the service writes one entry
    assert (entry["step"], entry["action"]) == (1, "task_completed")
    assert entry["details"] == {"output_length": len(body["result"]["full_output"])}
    assert "+" not in entry["timestamp"] and "Z" not in entry["timestamp"]  # naive UTC
    assert uuid.UUID(task_id).version == 4


@pytest.mark.parametrize(
    ("key_name", "body", "reason"),
    [
        ("free_key", {}, "Requested timeout (300s) exceeds limit (60s)"),
        ("free_key", {"timeout": 60}, "Requested max cost ($1.0) exceeds limit ($0.1)"),
        (
            "free_key",
            {"timeout": 60, "max_cost": 0.1, "allow_tools": ["Bash"]},
            "Tool 'Bash' is explicitly blocked",
        ),
        (
            "free_key",
            {"timeout": 60, "max_cost": 0.1, "allow_tools": ["Grep"]},
            "Tool 'Grep' is not in allowed list",
        ),
        (
            "free_key",
            {"timeout": 60, "max_cost": 0.1, "allow_agents": ["code-reviewer"]},
            "Agent 'code-reviewer' is not in allowed list",
        ),
        ("api_key", {"allow_tools": ["Write"]}, "Tool 'Write' is explicitly blocked"),
        ("api_key", {"allow_tools": ["WebFetch"]}, "Tool 'WebFetch' is not in allowed list"),
        ("api_key", {"allow_agents": ["x"]}, "Agent 'x' is not in allowed list"),
        ("api_key", {"allow_skills": ["changelog"]}, "Skill 'changelog' is not in allowed list"),
        ("api_key", {"timeout": 301}, "Requested timeout (301s) exceeds limit (300s)"),
        ("api_key", {"max_cost": 1.5}, "Requested max cost ($1.5) exceeds limit ($1.0)"),
        ("enterprise_key", {"timeout": 601}, "Requested timeout (601s) exceeds limit (600s)"),
        ("enterprise_key", {"max_cost": 11}, "Requested max cost ($11.0) exceeds limit ($10.0)"),
    ],
)
def test_task_permission_denied(
    claude_fake: FakeService,
    http: httpx2.Client,
    key_name: str,
    body: dict[str, object],
    reason: str,
) -> None:
    r = task(http, key=getattr(claude_fake, key_name), **body)
    assert r.status_code == 403
    assert r.json() == {"detail": f"Permission denied: {reason}"}


def test_task_key_without_profile(claude_fake: FakeService, http: httpx2.Client) -> None:
    r = task(http, key=claude_fake.add_key(profile=None))
    assert r.json() == {"detail": "Permission denied: No permission profile found for API key"}


def test_task_within_profiles(claude_fake: FakeService, http: httpx2.Client) -> None:
    free = task(http, key=claude_fake.free_key, timeout=60, max_cost=0.1, allow_tools=["Read"])
    assert free.json()["status"] == "completed"
    ent = task(
        http,
        key=claude_fake.enterprise_key,
        timeout=600,
        max_cost=10,
        allow_tools=["Write", "Bash"],
        allow_agents=["doc-writer"],
        allow_skills=["changelog"],
    )
    assert ent.json()["status"] == "completed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"allow_agents": ["nope", "nada"]}, "Unknown agents requested: nope, nada"),
        ({"allow_skills": ["nope"]}, "Unknown skills requested: nope"),
        ({"description": ""}, "Description is required"),
    ],
)
def test_task_executor_errors_are_500(
    claude_fake: FakeService, http: httpx2.Client, body: dict[str, object], message: str
) -> None:
    r = task(http, key=claude_fake.enterprise_key, **body)
    assert (r.status_code, r.json()) == (500, {"detail": f"Task execution failed: {message}"})


def test_task_crash_is_500(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.next_task_status("crash")
    r = task(http)
    assert r.status_code == 500
    assert r.json()["detail"].startswith("Task execution failed: ")


def test_task_failed(claude_fake: FakeService, http: httpx2.Client) -> None:
    body = task(http, description="do it [failed]").json()
    assert body["status"] == "failed"
    assert set(body["result"]) == {"error"}


def test_task_insufficient_budget(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.set_budget("team", 5)
    body = task(http, project_id="team").json()
    assert body["status"] == "failed"
    assert body["result"] == {"error": "Insufficient budget"}
    assert set(body["usage"]) == {"estimated_tokens"} and body["usage"]["estimated_tokens"] > 5
    assert task(http).json()["status"] == "completed"  # project "default" has no budget


def test_task_status_timeout_is_never_produced(claude_fake: FakeService) -> None:
    with pytest.raises(ValueError, match=r"'timeout'.*never produced"):
        claude_fake.next_task_status("timeout")


def test_task_overrun_is_500_not_a_timeout_status(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.latency(2)
    started = time.monotonic()
    r = task(http, timeout=1)
    assert time.monotonic() - started < 1.8  # killed 1 s after its start
    assert (r.status_code, r.json()) == (
        500,
        {"detail": "Task execution failed: object of type 'NoneType' has no len()"},
    )


def test_task_cost_exceeded(claude_fake: FakeService, http: httpx2.Client) -> None:
    body = task(http, description="Refactor everything", max_cost=0).json()
    assert body["status"] == "cost_exceeded"
    cost = body["usage"]["total_cost"]
    assert cost > 0
    assert body["result"]["error"] == f"Cost ${cost:.4f} exceeded limit $0.0000"
    assert body["result"]["output"] == "Completed: Refactor everything"
    assert set(body["usage"]) == {"input_tokens", "output_tokens", "total_cost", "model_used"}
    assert (body["execution_log"], body["artifacts"]) == ([], [])
    assert claude_fake.tokens_used("default") == 0  # not billed


def test_next_task_status_queue(claude_fake: FakeService, http: httpx2.Client) -> None:
    claude_fake.next_task_status("failed")
    claude_fake.next_task_status("cost_exceeded")
    assert [task(http).json()["status"] for _ in range(3)] == [
        "failed",
        "cost_exceeded",
        "completed",
    ]
    with pytest.raises(ValueError):
        claude_fake.next_task_status("exploded")


def test_task_is_billed_to_the_body_project(claude_fake: FakeService, http: httpx2.Client) -> None:
    body = task(http, project_id="proj-x").json()
    assert claude_fake.tokens_used("proj-x") == body["usage"]["total_tokens"]


# --------------------------------------------------------------------------- capabilities etc.


def test_capabilities(http: httpx2.Client) -> None:
    body = http.get("/v1/capabilities").json()
    assert body["agents_count"] == len(body["agents"]) >= 3
    assert body["skills_count"] == len(body["skills"]) >= 2
    assert set(body["agents"][0]) == {"name", "description", "tools", "model"}
    assert set(body["skills"][0]) == {"name", "description", "command"}


def test_health_and_ready(claude_fake: FakeService, anon: httpx2.Client) -> None:
    health = anon.get("/health").json()
    assert health["status"] == "ok" and health["version"] == "0.1.0"
    assert list(health["services"]) == [
        "worker_pool",
        "redis",
        "audit_db",
        "budget_manager",
        "auth_manager",
        "error_rates",
        "sdk_circuit_breaker",
        "cli_circuit_breaker",
    ]
    assert all(set(entry) == {"status", "detail"} for entry in health["services"].values())
    claude_fake.set_health("redis", "unavailable")  # a deployment without Redis
    assert anon.get("/health").json()["status"] == "degraded"
    assert anon.get("/ready").json() == {"ready": True, "reason": None}
    claude_fake.set_ready(False, "warming up")
    r = anon.get("/ready")
    assert (r.status_code, r.json()) == (200, {"ready": False, "reason": "warming up"})
