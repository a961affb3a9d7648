"""Bad input and bad configuration are rejected before any request, naming the parameter."""

from __future__ import annotations

from typing import Any

import pytest
from http_mock import MockRouter

import claude_client as cc

from .conftest import KEY, Runner

BAD_CALLS: list[tuple[str, str, tuple[Any, ...], dict[str, Any], str]] = [
    ("empty-prompt", "complete", ("",), {}, "prompt"),
    ("blank-prompt", "complete", ("   ",), {}, "prompt"),
    ("no-prompt", "complete", (), {}, "prompt"),
    ("prompt-not-str", "complete", (42,), {}, "prompt"),
    ("unknown-model", "complete", ("Hi", "gpt-4"), {}, "model"),
    ("chat-timeout-0", "complete", ("Hi",), {"timeout": 0}, "timeout"),
    ("chat-service-timeout-301", "complete", ("Hi",), {"service_timeout": 301}, "service_timeout"),
    ("chat-service-timeout-over-deadline", "complete", ("Hi",),
     {"timeout": 20, "service_timeout": 20}, "service_timeout"),
    ("chat-timeout-str", "complete", ("Hi",), {"timeout": "30"}, "timeout"),
    ("chat-timeout-nan", "complete", ("Hi",), {"timeout": float("nan")}, "timeout"),
    ("messages-not-list", "complete", (), {"messages": "hi"}, "messages"),
    ("messages-bad-role", "complete", (), {"messages": [{"role": "bot", "content": "x"}]},
     "messages"),
    ("messages-empty", "complete", (), {"messages": []}, "messages"),
    ("tools-not-dicts", "complete", ("Hi",), {"tools": ["Read"]}, "tools"),
    ("max-retries-negative", "complete", ("Hi",), {"max_retries": -1}, "max_retries"),
    ("max-retries-float", "complete", ("Hi",), {"max_retries": 1.5}, "max_retries"),
    ("extra-headers-not-map", "complete", ("Hi",), {"extra_headers": ["a"]}, "extra_headers"),
    ("extra-headers-auth", "complete", ("Hi",), {"extra_headers": {"Authorization": "x"}},
     "extra_headers"),
    ("project-empty", "complete", ("Hi",), {"project_id": ""}, "project_id"),
    ("task-empty", "agentic_task", ("",), {}, "description"),
    ("task-timeout-0", "agentic_task", ("x",), {"timeout": 0}, "timeout"),
    ("task-service-timeout-601", "agentic_task", ("x",),
     {"timeout": 900, "service_timeout": 601}, "service_timeout"),
    ("task-service-timeout-plus-10-over-deadline", "agentic_task", ("x",),
     {"timeout": 60, "service_timeout": 50}, "service_timeout"),
    ("task-cost-negative", "agentic_task", ("x",), {"max_cost": -0.1}, "max_cost"),
    ("task-cost-too-high", "agentic_task", ("x",), {"max_cost": 10.5}, "max_cost"),
    ("task-tools-str", "agentic_task", ("x",), {"allow_tools": "Read"}, "allow_tools"),
    ("task-tools-non-str", "agentic_task", ("x",), {"allow_tools": ["Read", 3]}, "allow_tools"),
    ("task-agents-non-str", "agentic_task", ("x",), {"allow_agents": [None]}, "allow_agents"),
    ("task-skills-non-str", "agentic_task", ("x",), {"allow_skills": [b"x"]}, "allow_skills"),
    ("task-model", "agentic_task", ("x",), {"model": "gpt"}, "model"),
    ("batch-empty", "batch", ([],), {}, "prompts"),
    ("batch-str", "batch", ("abc",), {}, "prompts"),
    ("batch-empty-item", "batch", (["a", ""],), {}, "prompts[1]"),
    ("batch-bad-item", "batch", (["a", 3],), {}, "prompts[1]"),
    ("batch-dict-no-prompt", "batch", ([{"id": "1"}],), {}, "prompts[0]['prompt']"),
    ("batch-dict-unknown-key", "batch", (["a", {"prompt": "b", "model": "opus"}],), {},
     "prompts[1]"),
    ("batch-timeout", "batch", (["a"],), {"timeout": -5}, "timeout"),
    ("batch-service-timeout", "batch", (["a"],), {"service_timeout": 500}, "service_timeout"),
    ("batch-model", "batch", (["a"],), {"model": "gpt"}, "model"),
    ("batch-chunk-size", "batch", (["a"],), {"chunk_size": 0}, "chunk_size"),
    ("batch-concurrency", "batch", (["a"],), {"max_concurrency": 0}, "max_concurrency"),
    ("batch-progress", "batch", (["a"],), {"on_progress": 3}, "on_progress"),
    ("usage-period", "get_usage", ("year",), {}, "period"),
    ("route-empty", "route", ("",), {}, "prompt"),
    ("route-context", "route", ("x",), {"context_size": -1}, "context_size"),
    ("provider-empty", "provider_models", ("",), {}, "provider"),
    ("process-nothing", "process", (), {}, "user_message"),
    ("process-provider", "process", ("hi",), {"provider": "openai"}, "provider"),
    ("process-temperature", "process", ("hi",), {"temperature": 5}, "temperature"),
    ("health-timeout", "health", (), {"timeout": -1}, "timeout"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "param"), [b[1:] for b in BAD_CALLS], ids=[b[0] for b in BAD_CALLS]
)
async def test_bad_input_rejected_before_any_request(
    runner: Runner,
    mock: MockRouter,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    param: str,
) -> None:
    client = runner.client()
    with pytest.raises(cc.InvalidInputError) as info:
        await runner.call(client, method, *args, **kwargs)
    assert info.value.param == param
    assert param in str(info.value)
    assert isinstance(info.value, ValueError)
    # rejected before sending: not the service's 400 / 422, and no HTTP status
    assert not isinstance(info.value, (cc.ValidationError, cc.APIStatusError))
    assert mock.calls.call_count == 0


@pytest.mark.parametrize(
    ("kwargs", "env", "param"),
    [
        ({"base_url": "localhost:8006"}, {}, "base_url"),
        ({"base_url": "ftp://x"}, {}, "base_url"),
        ({}, {"CLAUDE_API_URL": "not a url"}, "CLAUDE_API_URL"),
        ({"timeout": 0}, {}, "timeout"),
        ({"timeout": "5"}, {}, "timeout"),
        ({}, {"CLAUDE_TIMEOUT": "soon"}, "CLAUDE_TIMEOUT"),
        ({}, {"CLAUDE_TIMEOUT": "-3"}, "CLAUDE_TIMEOUT"),
        ({"max_retries": -2}, {}, "max_retries"),
        ({"api_key": 12345}, {}, "api_key"),
        ({"api_key": ""}, {}, "api_key"),
        ({"api_key": "cc_abc def"}, {}, "api_key"),
        ({"api_key": {}}, {}, "api_key"),
        ({"api_key": {"p": ""}}, {}, "api_key['p']"),
        ({"api_key": {"a": KEY}, "project_id": "b"}, {}, "project_id"),
        ({"default_headers": {"Authorization": "Bearer x"}}, {}, "default_headers"),
        ({"http_client": object()}, {}, "http_client"),
    ],
)
def test_bad_configuration_names_the_parameter(
    monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, Any], env: dict[str, str], param: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for cls in (cc.ClaudeClient, cc.AsyncClaudeClient):
        with pytest.raises(cc.InvalidInputError) as info:
            cls(**{"api_key": KEY, **kwargs})
        assert info.value.param == param
        # a malformed key is still a secret: never echoed
        assert "abc def" not in str(info.value)


def test_configuration_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_API_URL", "https://claude.example.com/prefix/")
    monkeypatch.setenv("CLAUDE_API_KEY", KEY)
    monkeypatch.setenv("CLAUDE_TIMEOUT", "42")
    with cc.ClaudeClient() as client:
        assert client.base_url == "https://claude.example.com/prefix"
        assert client.timeout == 42.0 and client.max_retries == 2
        assert client._key_for(None) == KEY


def test_defaults_without_environment() -> None:
    with cc.ClaudeClient() as client:
        assert client.base_url == "http://localhost:8006"
        assert client.timeout == 300.0
        assert client._key_for(None, required=False) is None


async def test_a_batch_item_with_an_unknown_key_names_it_and_the_accepted_keys(
    runner: Runner, mock: MockRouter
) -> None:
    item = {"prompt": "b", "model": "opus", "temperature": 0}
    with pytest.raises(cc.InvalidInputError) as info:
        await runner.call(runner.client(), "batch", ["a", item])
    text = str(info.value)
    assert info.value.param == "prompts[1]"
    assert "'model'" in text and "'temperature'" in text
    assert "'prompt' and 'id'" in text
    assert mock.calls.call_count == 0
