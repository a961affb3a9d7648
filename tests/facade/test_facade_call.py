"""client.call(): a generated endpoint on the facade's pool, unwrapped, with our errors."""

from __future__ import annotations

import httpx2
import pytest
from http_mock import MockRouter

from claude_client import ClientClosedError, RateLimitError, ResponseValidationError
from claude_client.generated.api.api import get_usage
from claude_client.generated.models.usage_response import UsageResponse

from .conftest import KEY, USAGE_BODY, Runner


def _endpoint(runner: Runner):  # type: ignore[no-untyped-def]
    return get_usage.asyncio_detailed if runner.is_async else get_usage.sync_detailed


async def test_call_returns_the_generated_model(runner: Runner, mock: MockRouter) -> None:
    route = mock.get("/v1/usage").respond(200, json=USAGE_BODY)
    client = runner.client()
    usage = await runner.call(client, "call", _endpoint(runner), period="week")
    assert isinstance(usage, UsageResponse)
    assert usage.total_tokens == USAGE_BODY["total_tokens"]
    request = route.calls[0].request
    assert request.url.params["period"] == "week"
    assert request.headers["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("body", [b'{"project_id": "p", "peri', b'{"project_id": 1}'])
async def test_call_maps_a_body_the_generated_parser_chokes_on(
    runner: Runner, mock: MockRouter, body: bytes
) -> None:
    mock.get("/v1/usage").respond(200, content=body)
    client = runner.client()
    with pytest.raises(ResponseValidationError) as info:
        await runner.call(client, "call", _endpoint(runner))
    assert "get_usage" in str(info.value)


async def test_call_gets_the_same_retries_and_errors(runner: Runner, mock: MockRouter) -> None:
    route = mock.get("/v1/usage").mock(
        side_effect=[
            httpx2.Response(429, json={"detail": "Rate limit exceeded. Please try again later."})
        ]
        * 3
    )
    client = runner.client(max_retries=2)
    with pytest.raises(RateLimitError):
        await runner.call(client, "call", _endpoint(runner))
    assert route.call_count == 3
    assert len(runner.sleeps) == 2


async def test_call_on_a_closed_client(runner: Runner, mock: MockRouter) -> None:
    client = runner.client()
    await runner.close(client)
    with pytest.raises(ClientClosedError):
        await runner.call(client, "call", _endpoint(runner))
