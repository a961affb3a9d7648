"""``timeout`` means one thing: the caller's deadline for the whole call (README "Timeouts").

Against the embedded fake service, which records the ``timeout`` field each request
carried: the service-side limit is derived from what remains of the deadline (5 %
margin, 1..5 s; tasks another 10 s, the service's extra wait), bounded to what the
service accepts, and recomputed on a retry. Sync and async.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

import claude_client as cc
from claude_client.testing import FakeService

from .conftest import Runner


def make(runner: Runner, fake: FakeService, **kwargs: Any) -> Any:
    """A client of the fake on real time; its sleeps advance the clock instead of sleeping."""
    kwargs.setdefault("base_url", fake.base_url)
    kwargs.setdefault("api_key", fake.api_key)
    start = runner.clock.now
    kwargs.setdefault("clock", lambda: time.monotonic() + (runner.clock.now - start))
    return runner.client(**kwargs)


def sent(fake: FakeService, path: str) -> list[Any]:
    return [r.body["timeout"] for r in fake.requests_to(path, "POST")]


async def test_the_client_timeout_is_the_deadline_of_complete(
    runner: Runner, claude_fake: FakeService
) -> None:
    # Before: no timeout field, so the service's own 30 s applied to a 120 s client.
    await runner.call(make(runner, claude_fake, timeout=120), "complete", "Hi")
    assert sent(claude_fake, "/v1/chat/completions") == [115.0]  # 120 - 5 s margin


async def test_a_long_deadline_asks_for_the_service_maximum(
    runner: Runner, claude_fake: FakeService
) -> None:
    await runner.call(make(runner, claude_fake, timeout=1000), "complete", "Hi")
    assert sent(claude_fake, "/v1/chat/completions") == [300.0]


async def test_a_deadline_shorter_than_the_service_minimum_is_still_the_deadline(
    runner: Runner, claude_fake: FakeService
) -> None:
    claude_fake.latency(5)
    client = make(runner, claude_fake, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(cc.APITimeoutError) as info:
        await runner.call(client, "complete", "Slow question")
    elapsed = time.monotonic() - started
    assert not isinstance(info.value, cc.APIStatusError)  # the client's deadline, not a 504
    assert "0.5 s" in str(info.value)
    assert elapsed < 2.5  # generous: the point is "about 0.5 s", not the service's 5 s
    assert sent(claude_fake, "/v1/chat/completions") == [1.0]  # never below the minimum


async def test_agentic_task_honours_the_client_timeout(
    runner: Runner, claude_fake: FakeService
) -> None:
    client = make(runner, claude_fake, timeout=60)
    result = await runner.call(client, "agentic_task", "Count the files")
    assert result.status == "completed"
    assert sent(claude_fake, "/v1/task") == [47]  # 60 - the service's 10 s wait - 3 s margin


async def test_agentic_task_timeout_300_keeps_working(
    runner: Runner, claude_fake: FakeService
) -> None:
    client = make(runner, claude_fake, timeout=30)
    result = await runner.call(client, "agentic_task", "Count the files", timeout=300)
    assert result.status == "completed"
    assert sent(claude_fake, "/v1/task") == [285]  # the per-call deadline wins


async def test_batch_honours_the_client_timeout(runner: Runner, claude_fake: FakeService) -> None:
    client = make(runner, claude_fake, timeout=60)
    result = await runner.call(client, "batch", ["a", "b"])
    assert result.total == 2 and result.failed == 0
    [value] = sent(claude_fake, "/v1/batch")
    assert 56 <= value <= 57  # what remained of 60 s when the chunk went, less 3 s


async def test_service_timeout_sets_the_service_limit(
    runner: Runner, claude_fake: FakeService
) -> None:
    client = make(runner, claude_fake)
    await runner.call(client, "complete", "Hi", service_timeout=42)
    await runner.call(client, "agentic_task", "Count", service_timeout=120)
    await runner.call(client, "batch", ["a"], service_timeout=12)
    assert sent(claude_fake, "/v1/chat/completions") == [42]
    assert sent(claude_fake, "/v1/task") == [120]
    assert sent(claude_fake, "/v1/batch") == [12]


@pytest.mark.parametrize(
    ("method", "args", "kwargs"),
    [
        ("complete", ("Hi",), {"timeout": 30, "service_timeout": 30}),
        ("batch", (["a"],), {"timeout": 10, "service_timeout": 20}),
        ("agentic_task", ("x",), {"timeout": 100, "service_timeout": 90}),  # + 10 s wait
        ("complete", ("Hi",), {"service_timeout": 0.5}),
        ("agentic_task", ("x",), {"timeout": 900, "service_timeout": 601}),
    ],
)
async def test_a_service_timeout_that_cannot_fit_is_refused_before_sending(
    runner: Runner,
    claude_fake: FakeService,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    with pytest.raises(cc.InvalidInputError) as info:
        await runner.call(make(runner, claude_fake), method, *args, **kwargs)
    assert info.value.param == "service_timeout"
    assert "service_timeout" in str(info.value)
    if "timeout" in kwargs:
        assert "timeout=" in str(info.value) or "between" in str(info.value)
    assert claude_fake.requests == []


async def test_a_retry_asks_the_service_for_what_remains(
    runner: Runner, claude_fake: FakeService
) -> None:
    # The first attempt is refused with Retry-After 20: the (recorded, not slept)
    # wait uses 20 s of the 60 s deadline, so the retry asks for about 20 s less.
    claude_fake.fail_next(1, status=503, retry_after=20, category="overloaded")
    client = make(runner, claude_fake, timeout=60)
    response = await runner.call(client, "complete", "Hi")
    assert response.content
    first, second = sent(claude_fake, "/v1/chat/completions")
    assert first == 57.0
    assert runner.sleeps and runner.sleeps[0] >= 20
    assert 1 <= second <= 60 - runner.sleeps[0] - 3


async def test_a_deadline_above_the_profile_cap_needs_service_timeout(
    runner: Runner, claude_fake: FakeService
) -> None:
    # The fake's default key is a pro key (task cap 300 s): a 1000 s deadline derives
    # 600 s, which the profile refuses; service_timeout= keeps the deadline and fits.
    client = make(runner, claude_fake, timeout=1000)
    with pytest.raises(cc.PermissionDeniedError, match="exceeds limit"):
        await runner.call(client, "agentic_task", "Count the files")
    result = await runner.call(client, "agentic_task", "Count the files", service_timeout=300)
    assert result.status == "completed"
    assert sent(claude_fake, "/v1/task") == [600, 300]
