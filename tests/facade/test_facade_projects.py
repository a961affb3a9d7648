"""Per-project keys and the once-only warning for a single key used with other projects."""

from __future__ import annotations

import json
import warnings

import httpx2
import pytest
from http_mock import MockRouter

import claude_client as cc

from .conftest import CHAT_BODY, KEY, KEY_B, TASK_BODY, USAGE_BODY, Runner


async def test_mapping_selects_the_key_per_call(runner: Runner, mock: MockRouter) -> None:
    route = mock.post("/v1/chat/completions").mock(
        return_value=httpx2.Response(200, json=CHAT_BODY)
    )
    client = runner.client(api_key={"alpha": KEY, "beta": KEY_B}, project_id="alpha")
    await runner.call(client, "complete", "Hi")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {KEY}"
    await runner.call(client, "complete", "Hi", project_id="beta")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {KEY_B}"


async def test_get_usage_reports_the_named_project(runner: Runner, mock: MockRouter) -> None:
    def answer(request: httpx2.Request) -> httpx2.Response:
        project = "beta" if request.headers["authorization"].endswith(KEY_B) else "alpha"
        return httpx2.Response(200, json={**USAGE_BODY, "project_id": project})

    mock.get("/v1/usage").mock(side_effect=answer)
    client = runner.client(api_key={"alpha": KEY, "beta": KEY_B})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = await runner.call(client, "get_usage", project_id="beta")
    assert stats.project_id == "beta"


async def test_mapping_without_a_project_is_rejected_before_sending(
    runner: Runner, mock: MockRouter
) -> None:
    client = runner.client(api_key={"alpha": KEY, "beta": KEY_B})
    with pytest.raises(cc.InvalidInputError) as info:
        await runner.call(client, "complete", "Hi")
    assert info.value.param == "project_id"
    with pytest.raises(cc.InvalidInputError, match="gamma"):
        await runner.call(client, "complete", "Hi", project_id="gamma")
    assert mock.calls.call_count == 0


async def test_single_entry_mapping_is_the_default(runner: Runner, mock: MockRouter) -> None:
    route = mock.post("/v1/chat/completions").mock(
        return_value=httpx2.Response(200, json=CHAT_BODY)
    )
    await runner.call(runner.client(api_key={"alpha": KEY}), "complete", "Hi")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {KEY}"


async def test_task_sends_project_id_field_and_the_projects_key(
    runner: Runner, mock: MockRouter
) -> None:
    route = mock.post("/v1/task").mock(return_value=httpx2.Response(200, json=TASK_BODY))
    client = runner.client(api_key={"alpha": KEY, "beta": KEY_B}, project_id="alpha")
    await runner.call(client, "agentic_task", "x", project_id="beta")
    request = route.calls.last.request
    assert json.loads(request.content)["project_id"] == "beta"
    assert request.headers["authorization"] == f"Bearer {KEY_B}"


async def test_single_key_other_project_warns_once(runner: Runner, mock: MockRouter) -> None:
    mock.post("/v1/chat/completions").mock(
        return_value=httpx2.Response(200, json={**CHAT_BODY, "project_id": "key-project"})
    )
    client = runner.client()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = await runner.call(client, "complete", "Hi", project_id="other")
        await runner.call(client, "complete", "Hi", project_id="other")
        await runner.call(client, "complete", "Hi", project_id="third")
    assert r.content == "Hello there"  # the call still works
    ours = [w for w in caught if issubclass(w.category, cc.ProjectKeyWarning)]
    assert len(ours) == 1
    text = str(ours[0].message)
    assert "bills" in text and "api_key={" in text and KEY not in text
    assert "/claude_client/" not in ours[0].filename  # points at the caller, not at us


async def test_single_key_matching_project_does_not_warn(runner: Runner, mock: MockRouter) -> None:
    mock.post("/v1/chat/completions").mock(return_value=httpx2.Response(200, json=CHAT_BODY))
    client = runner.client(project_id="default")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        await runner.call(client, "complete", "Hi")
        await runner.call(client, "complete", "Hi")


async def test_per_call_options_do_not_leak_between_concurrent_calls(
    mock: MockRouter,
) -> None:
    import asyncio

    keys = {f"p{i}": "cc_" + f"{i:02d}" * 20 for i in range(10)}

    def answer(request: httpx2.Request) -> httpx2.Response:
        content = json.loads(request.content)["messages"][0]["content"]
        return httpx2.Response(
            200,
            json={
                **CHAT_BODY,
                "content": f"{content}|{request.headers['authorization']}|"
                f"{request.headers['x-call']}",
            },
        )

    mock.post("/v1/chat/completions").mock(side_effect=answer)
    async with cc.AsyncClaudeClient(
        "http://svc.test", api_key=keys, transport=mock.transport
    ) as client:
        results = await asyncio.gather(
            *(
                client.complete(f"q{i}", project_id=f"p{i % 10}", extra_headers={"X-Call": str(i)})
                for i in range(100)
            )
        )
    for i, r in enumerate(results):
        assert r.content == f"q{i}|Bearer {keys[f'p{i % 10}']}|{i}"


def test_per_call_options_do_not_leak_between_threads(mock: MockRouter) -> None:
    from concurrent.futures import ThreadPoolExecutor

    keys = {f"p{i}": "cc_" + f"{i:02d}" * 20 for i in range(4)}

    def answer(request: httpx2.Request) -> httpx2.Response:
        content = json.loads(request.content)["messages"][0]["content"]
        return httpx2.Response(
            200, json={**CHAT_BODY, "content": f"{content}|{request.headers['authorization']}"}
        )

    mock.post("/v1/chat/completions").mock(side_effect=answer)
    with (
        cc.ClaudeClient("http://svc.test", api_key=keys, transport=mock.transport) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        results = list(
            pool.map(lambda i: client.complete(f"q{i}", project_id=f"p{i % 4}").content, range(80))
        )
    assert results == [f"q{i}|Bearer {keys[f'p{i % 4}']}" for i in range(80)]
