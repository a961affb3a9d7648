"""Every status of BEHAVIOUR.md -> the right exception, sync and async, with its attributes."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from http_mock import MockRouter

import claude_client as cc

from .conftest import BASE, CHAT_BODY, KEY, TASK_BODY, Runner

# id, method, args, (path, http method), status, body (json or text), headers, expected class,
# attribute checks
J = "json"
T = "text"

MAPPING: list[tuple[str, str, tuple[Any, ...], str, str, int, Any, dict[str, str], type]] = [
    ("401-missing", "complete", ("Hi",), "POST", "/v1/chat/completions", 401,
     {"detail": "Not authenticated"}, {"WWW-Authenticate": "Bearer"}, cc.AuthenticationError),
    ("401-revoked", "complete", ("Hi",), "POST", "/v1/chat/completions", 401,
     {"detail": "Invalid or revoked API key"}, {}, cc.AuthenticationError),
    ("403-not-authenticated-old", "get_usage", (), "GET", "/v1/usage", 403,
     {"detail": "Not authenticated"}, {}, cc.AuthenticationError),
    ("403-permission", "agentic_task", ("x",), "POST", "/v1/task", 403,
     {"detail": "Permission denied: Tool 'Bash' is not in allowed list"}, {},
     cc.PermissionDeniedError),
    ("403-budget-process", "process", ("hi",), "POST", "/v1/process", 403,
     {"detail": "Budget exceeded for project p"}, {}, cc.HTTPBudgetExceededError),
    ("429-rate", "complete", ("Hi",), "POST", "/v1/chat/completions", 429,
     {"detail": "Rate limit exceeded. Please try again later."}, {}, cc.RateLimitError),
    ("429-upstream-rate", "complete", ("Hi",), "POST", "/v1/chat/completions", 429,
     {"detail": "rate limited"}, {"X-Error-Category": "rate_limited", "Retry-After": "7"},
     cc.RateLimitError),
    ("429-budget", "complete", ("Hi",), "POST", "/v1/chat/completions", 429,
     {"detail": "Budget exceeded for project p"}, {}, cc.HTTPBudgetExceededError),
    ("404-provider", "provider_models", ("openai",), "GET", "/v1/providers/openai/models", 404,
     {"detail": "Provider openai not supported. Only 'anthropic' and 'claudecode' available."},
     {}, cc.NotFoundError),
    ("400-period", "get_usage", ("month",), "GET", "/v1/usage", 400,
     {"detail": "Invalid period: x. Use 'month', 'week', or 'day'"}, {}, cc.ValidationError),
    ("400-bad-request", "complete", ("Hi",), "POST", "/v1/chat/completions", 400,
     {"detail": "bad request"}, {"X-Error-Category": "bad_request"}, cc.ValidationError),
    ("400-no-messages", "process", ("hi",), "POST", "/v1/process", 400,
     {"detail": "No messages provided"}, {}, cc.ValidationError),
    ("422", "route", ("hi",), "POST", "/v1/route", 422,
     {"detail": [{"type": "missing", "loc": ["body", "prompt"], "msg": "Field required",
                  "input": {}}]}, {}, cc.ValidationError),
    ("500-internal", "complete", ("Hi",), "POST", "/v1/chat/completions", 500,
     {"detail": "boom"}, {"X-Error-Category": "internal_error"}, cc.ServerError),
    ("500-task-exec", "agentic_task", ("x",), "POST", "/v1/task", 500,
     {"detail": "Task execution failed: Unknown agents requested: a"}, {}, cc.ServerError),
    ("501-stream", "process", ("hi",), "POST", "/v1/process", 501,
     {"detail": "Streaming not supported"}, {}, cc.ServerError),
    ("502-upstream", "complete", ("Hi",), "POST", "/v1/chat/completions", 502,
     {"detail": "upstream"}, {"X-Error-Category": "upstream_error", "X-Upstream-Status": "529"},
     cc.ServerError),
    ("502-html-proxy", "health", (), "GET", "/health", 502,
     "<html><body><h1>502 Bad Gateway</h1>nginx</body></html>",
     {"Content-Type": "text/html"}, cc.ServerError),
    ("503-overloaded", "complete", ("Hi",), "POST", "/v1/chat/completions", 503,
     {"detail": "Worker pool overloaded: 10 busy"}, {"Retry-After": "2"}, cc.ServerError),
    ("503-breaker", "process", ("hi",), "POST", "/v1/process", 503,
     {"detail": "CLI circuit breaker open — too many recent failures"}, {"Retry-After": "30"},
     cc.ServerError),
    ("504-task-timeout", "complete", ("Hi",), "POST", "/v1/chat/completions", 504,
     {"detail": "Task timed out after 30 seconds"}, {}, cc.HTTPTimeoutError),
    ("504-html", "health", (), "GET", "/health", 504, "<html>504 Gateway Time-out</html>",
     {"Content-Type": "text/html"}, cc.HTTPTimeoutError),
    ("408", "ready", (), "GET", "/ready", 408, {"detail": "timeout"}, {}, cc.HTTPTimeoutError),
    ("520", "capabilities", (), "GET", "/v1/capabilities", 520, "", {}, cc.ServerError),
    ("529", "complete", ("Hi",), "POST", "/v1/chat/completions", 529,
     {"detail": "overloaded"}, {}, cc.ServerError),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "args", "http", "path", "status", "body", "headers", "expected"),
    [m[1:] for m in MAPPING],
    ids=[m[0] for m in MAPPING],
)
async def test_status_maps_to_exception(
    runner: Runner,
    mock: MockRouter,
    method: str,
    args: tuple[Any, ...],
    http: str,
    path: str,
    status: int,
    body: Any,
    headers: dict[str, str],
    expected: type,
) -> None:
    headers = {"X-Request-ID": "req-42", **headers}
    if isinstance(body, str):
        answer = httpx2.Response(status, text=body, headers=headers)
    else:
        answer = httpx2.Response(status, json=body, headers=headers)
    route = mock.request(http, path).mock(return_value=answer)
    client = runner.client(max_retries=0)
    with pytest.raises(expected) as info:
        await runner.call(client, method, *args)
    exc = info.value
    assert type(exc) is expected or expected is cc.ClaudeAPIError
    assert isinstance(exc, cc.APIStatusError)  # every error status, whatever its class
    assert exc.status_code == status
    # the request is named: method and full URL (attributes and the message)
    assert exc.method == http and exc.url == BASE + path
    assert f"{http} {BASE}{path}" in str(exc)
    assert exc.request_id == "req-42" and "req-42" in str(exc)
    assert route.call_count == 1
    if isinstance(body, dict) and isinstance(body["detail"], str):
        assert exc.message == body["detail"]
    if isinstance(body, str) and body:
        assert "Bad Gateway" in exc.message or "Time-out" in exc.message
        assert len(str(exc.body)) <= 310
    if "X-Error-Category" in headers:
        assert exc.error_category == headers["X-Error-Category"]
    if "Retry-After" in headers:
        assert exc.retry_after == float(headers["Retry-After"])
    if "X-Upstream-Status" in headers:
        assert exc.upstream_status == int(headers["X-Upstream-Status"])
    if status == 422:
        assert isinstance(exc, cc.ValidationError)
        assert exc.errors[0]["loc"] == ["body", "prompt"]
        assert "prompt: Field required" in exc.message


def test_error_names_do_not_shadow_builtins() -> None:
    # the 0.x names stay importable, as aliases of the canonical classes ...
    assert cc.APITimeoutError is cc.APITimeoutError
    assert cc.PermissionError is cc.PermissionDeniedError
    # ... but `import *` does not bring them (it would shadow the builtins)
    assert "TimeoutError" not in cc.__all__ and "PermissionError" not in cc.__all__
    names: dict[str, Any] = {}
    exec("from claude_client import *", names)
    assert "TimeoutError" not in names and "PermissionError" not in names
    # not OSErrors: `except OSError` around file code does not catch API errors
    assert not issubclass(cc.APITimeoutError, OSError)
    assert not issubclass(cc.PermissionDeniedError, OSError)
    assert issubclass(cc.InvalidInputError, ValueError)
    assert issubclass(cc.InvalidInputError, cc.ClaudeAPIError)
    assert not issubclass(cc.InvalidInputError, cc.ValidationError)
    # every timeout is an APITimeoutError; every error status an APIStatusError
    assert issubclass(cc.HTTPTimeoutError, cc.APITimeoutError)
    assert issubclass(cc.HTTPTimeoutError, cc.APIStatusError)
    assert issubclass(cc.HTTPBudgetExceededError, cc.BudgetExceededError)
    assert issubclass(cc.HTTPBudgetExceededError, cc.APIStatusError)


TASK_OUTCOMES = [
    (
        "cost_exceeded",
        {
            "status": "cost_exceeded",
            "result": {"error": "Cost $1.2 exceeded limit $1.0", "output": "partial"},
            "usage": {"input_tokens": 1, "output_tokens": 2, "total_cost": 1.2, "model_used": "o"},
        },
        cc.BudgetExceededError,
    ),
    (
        "timeout",
        {"status": "timeout", "result": {"error": "Task exceeded timeout of 60s"}, "usage": {}},
        cc.APITimeoutError,
    ),
    ("failed", {"status": "failed", "result": {"error": "tool crashed"}}, cc.TaskFailedError),
    (
        "insufficient-budget",
        {
            "status": "failed",
            "result": {"error": "Insufficient budget"},
            "usage": {"estimated_tokens": 5000},
        },
        cc.BudgetExceededError,
    ),
]


@pytest.mark.parametrize(
    ("override", "expected"), [t[1:] for t in TASK_OUTCOMES], ids=[t[0] for t in TASK_OUTCOMES]
)
async def test_task_status_raises_with_task_result(
    runner: Runner, mock: MockRouter, override: dict[str, Any], expected: type
) -> None:
    body = {**TASK_BODY, "artifacts": [], **override}
    route = mock.post("/v1/task").mock(return_value=httpx2.Response(200, json=body))
    with pytest.raises(expected) as info:
        await runner.call(runner.client(), "agentic_task", "do it")
    exc = info.value
    assert route.call_count == 1  # a task that ran is never retried
    assert exc.task_result["status"] == body["status"]
    assert exc.task_result.result.error == body["result"]["error"]
    assert exc.message == body["result"]["error"]
    assert exc.method == "POST" and exc.url == BASE + "/v1/task"  # a 200 names it too
    if body["status"] == "cost_exceeded":
        assert exc.estimated_cost == 1.2


BAD_200 = [
    ("html", "complete", ("Hi",), "/v1/chat/completions", "<html>hello</html>"),
    ("truncated-json", "complete", ("Hi",), "/v1/chat/completions", '{"id": "x", "con'),
    ("missing-content", "complete", ("Hi",), "/v1/chat/completions",
     {k: v for k, v in CHAT_BODY.items() if k != "content"}),
    ("usage-a-string", "complete", ("Hi",), "/v1/chat/completions", {**CHAT_BODY, "usage": "x"}),
    ("usage-bad-tokens", "complete", ("Hi",), "/v1/chat/completions",
     {**CHAT_BODY, "usage": {"input_tokens": "1", "output_tokens": 1, "total_tokens": 2}}),
    ("list-not-object", "complete", ("Hi",), "/v1/chat/completions", [1, 2]),
    ("task-missing-status", "agentic_task", ("x",), "/v1/task",
     {k: v for k, v in TASK_BODY.items() if k != "status"}),
    ("task-unknown-status", "agentic_task", ("x",), "/v1/task", {**TASK_BODY, "status": "weird"}),
    ("task-artifacts-bad", "agentic_task", ("x",), "/v1/task",
     {**TASK_BODY, "artifacts": [{"type": "file", "size_bytes": 1}]}),
    ("usage-by-model-bad", "get_usage", (), "/v1/usage",
     {"project_id": "p", "period": "month", "total_tokens": 1, "total_cost": 0.1,
      "by_model": {"haiku": 3}, "limit": None, "remaining": None}),
    ("health-not-json", "health", (), "/health", "OK"),
    ("ready-missing", "ready", (), "/ready", {}),
    ("route-null", "route", ("x",), "/v1/route", None),
    ("caps-wrong", "capabilities", (), "/v1/capabilities", {"agents": "none"}),
    ("batch-wrong", "batch", (["a"],), "/v1/batch", {"total": 1}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "args", "path", "body"), [b[1:] for b in BAD_200], ids=[b[0] for b in BAD_200]
)
async def test_malformed_2xx_body_is_response_validation_error(
    runner: Runner,
    mock: MockRouter,
    method: str,
    args: tuple[Any, ...],
    path: str,
    body: Any,
) -> None:
    http = "GET" if path in ("/health", "/ready", "/v1/usage", "/v1/capabilities") else "POST"
    if isinstance(body, str):
        answer = httpx2.Response(200, text=body)
    else:
        answer = httpx2.Response(200, json=body)
    mock.request(http, path).mock(return_value=answer)
    client = runner.client()
    if method == "batch":
        # a chunk that cannot be parsed marks its items failed instead of raising
        result = await runner.call(client, method, *args)
        assert result.failed == 1 and "ResponseValidationError" in result.results[0].error
        return
    with pytest.raises(cc.ResponseValidationError) as info:
        await runner.call(client, method, *args)
    assert len(str(info.value)) < 800
    assert info.value.url == BASE + path


async def test_connection_refused_is_api_connection_error(runner: Runner, mock: MockRouter) -> None:
    route = mock.get("/health").mock(side_effect=httpx2.ConnectError("connection refused"))
    with pytest.raises(cc.APIConnectionError) as info:
        await runner.call(runner.client(max_retries=1), "health")
    assert route.call_count == 2
    assert isinstance(info.value.__cause__, httpx2.ConnectError)
    assert info.value.status_code is None


async def test_read_timeout_is_our_timeout_error(runner: Runner, mock: MockRouter) -> None:
    mock.get("/health").mock(side_effect=httpx2.ReadTimeout("slow"))
    with pytest.raises(cc.APITimeoutError) as info:
        await runner.call(runner.client(max_retries=0), "health")
    assert not isinstance(info.value, cc.APIStatusError)  # no answer came
    assert isinstance(info.value.__cause__, httpx2.ReadTimeout)


async def test_reset_mid_response_is_api_connection_error(runner: Runner, mock: MockRouter) -> None:
    mock.get("/v1/usage").mock(side_effect=httpx2.RemoteProtocolError("peer closed"))
    with pytest.raises(cc.APIConnectionError):
        await runner.call(runner.client(max_retries=0), "get_usage")


async def test_timeout_at_the_deadline_says_so(runner: Runner, mock: MockRouter) -> None:
    def hang(request: httpx2.Request) -> httpx2.Response:
        runner.clock.now += 10  # the read timeout (capped to the deadline) fired
        raise httpx2.ReadTimeout("timed out", request=request)

    mock.get("/v1/usage").mock(side_effect=hang)
    with pytest.raises(cc.APITimeoutError, match="within the call's timeout of 5 s"):
        await runner.call(runner.client(), "get_usage", timeout=5)


async def test_a_refused_connection_names_the_url_without_a_hint_for_a_chosen_base_url(
    runner: Runner,
) -> None:
    # Port 1 on the loopback: nothing listens there, so the connection is refused.
    client = runner.client(base_url="http://127.0.0.1:1", max_retries=0)
    with pytest.raises(cc.APIConnectionError) as info:
        await runner.call(client, "complete", "Hi")
    text = str(info.value)
    assert text.startswith("POST http://127.0.0.1:1/v1/chat/completions: connection failed:")
    assert info.value.method == "POST"
    assert info.value.url == "http://127.0.0.1:1/v1/chat/completions"
    assert "is the service running" not in text  # the caller chose this base_url
    assert KEY not in text and KEY not in repr(info.value)


async def test_a_refused_connection_at_the_default_base_url_says_how_to_point_elsewhere(
    runner: Runner,
) -> None:
    router = MockRouter("http://localhost:8006")
    router.get("/health").mock(side_effect=httpx2.ConnectError("[Errno 111] Connection refused"))
    # CLAUDE_API_URL is unset: the default base_url
    client = runner.client(base_url=None, max_retries=0, transport=router.transport)
    with pytest.raises(cc.APIConnectionError) as info:
        await runner.call(client, "health")
    text = str(info.value)
    assert text.startswith("GET http://localhost:8006/health: connection failed:")
    assert "is the service running? The default is http://localhost:8006" in text
    assert "set base_url= or CLAUDE_API_URL" in text


async def test_a_404_under_a_base_url_ending_in_v1_says_the_sdk_adds_it(
    runner: Runner, mock: MockRouter
) -> None:
    mock.post("/v1/v1/chat/completions").mock(
        return_value=httpx2.Response(404, json={"detail": "Not Found"})
    )
    client = runner.client(base_url=BASE + "/v1", max_retries=0)
    with pytest.raises(cc.NotFoundError) as info:
        await runner.call(client, "complete", "Hi")
    assert info.value.url == BASE + "/v1/v1/chat/completions"
    assert "the SDK adds /v1 itself" in str(info.value)


async def test_a_404_under_a_root_base_url_has_no_v1_hint(runner: Runner, mock: MockRouter) -> None:
    mock.get("/v1/providers/x/models").mock(
        return_value=httpx2.Response(404, json={"detail": "Provider x not supported"})
    )
    with pytest.raises(cc.NotFoundError) as info:
        await runner.call(runner.client(), "provider_models", "x")
    assert "/v1 itself" not in str(info.value)


def _one_of_each() -> list[cc.ClaudeAPIError]:
    at: dict[str, Any] = {"method": "POST", "url": BASE + "/v1/task"}
    return [
        cc.APIConnectionError("refused", **at),
        cc.StreamInterruptedError("dropped", partial_content="par", **at),
        cc.APITimeoutError("deadline", **at),
        cc.HTTPTimeoutError("504", status_code=504, request_id="r1", **at),
        cc.APIStatusError("418", status_code=418, **at),
        cc.AuthenticationError("401", status_code=401, **at),
        cc.PermissionDeniedError("403", status_code=403, **at),
        cc.NotFoundError("404", status_code=404, **at),
        cc.ValidationError("422", status_code=422, errors=[{"loc": ["body"]}], **at),
        cc.RateLimitError("429", status_code=429, retry_after=3.0, **at),
        cc.ServerError("500", status_code=500, **at),
        cc.BudgetExceededError("budget", estimated_cost=1.5),
        cc.HTTPBudgetExceededError("budget", status_code=429, **at),
        cc.InvalidInputError("timeout: bad", param="timeout"),
        cc.ResponseValidationError("bad body", **at),
        cc.ClientClosedError("closed"),
        cc.TaskFailedError("failed", **at),
    ]


@pytest.mark.parametrize("error", _one_of_each(), ids=lambda e: type(e).__name__)
def test_errors_pickle_and_show_as_claude_client_names(error: cc.ClaudeAPIError) -> None:
    import pickle
    import traceback

    cls = type(error)
    assert cls.__module__ == "claude_client" and getattr(cc, cls.__name__) is cls
    shown = traceback.format_exception_only(error)[-1]
    assert shown.startswith(f"claude_client.{cls.__name__}: ")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls and str(copy) == str(error)
    assert vars(copy) == vars(error)
    if isinstance(error, cc.APIStatusError):
        assert isinstance(copy.status_code, int)
