"""Concurrency, leaks and lifecycle against the fake service.

* 200 concurrent ``AsyncClaudeClient.complete()`` and 16 threads x 50 calls on one
  ``ClaudeClient``: with retries off, zero errors and every answer is the fake's
  deterministic answer to that call's own prompt (no cross-talk).
* 1,000 calls mixing successes, error statuses, malformed bodies, timeouts, finished,
  failed and abandoned streams: no file descriptors or threads left once the client is
  closed, and the pool still works before that.
* Closing twice is fine; a closed client raises ``ClientClosedError`` for every use.
* No SDK class has a ``__del__`` that schedules work on an event loop
  (openai-python#1254), and garbage-collecting unclosed async clients and streams after
  their loop is gone raises nothing.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import os
import pkgutil
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from reliability_kit import WATCH, Sleeps, assert_sdk_error

import claude_client
from claude_client import (
    AsyncClaudeClient,
    ClaudeAPIError,
    ClaudeClient,
    ClientClosedError,
    NotFoundError,
    ResponseValidationError,
    ServerError,
    StreamInterruptedError,
    TimeoutError,
)
from claude_client._streaming import AsyncChatStream, ChatStream, StreamSettings
from claude_client.testing import FakeService, Fault

CHAT = "/v1/chat/completions"
SLACK_SECONDS = 10.0  # how long sockets and threads may take to go away after close


def _prompt(i: int) -> str:
    return f"prompt number {i} with marker m{i * 7919 % 100003} and tail {i % 13}"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _settle(check: Callable[[], bool], seconds: float = SLACK_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        gc.collect()
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


@pytest.fixture
def baseline(fake: FakeService) -> Iterator[tuple[int, int]]:
    """(open fds, threads) with the fake already running and nothing of ours open."""
    _settle(lambda: True, 0)
    yield open_fds(), threading.active_count()


# --------------------------------------------------------------------------- no cross-talk


def test_200_concurrent_async_completes_each_get_their_own_answer(fake: FakeService) -> None:
    # A deployment whose pool holds all 200 at once (20 workers + 200 queued): this test is
    # about cross-talk, not capacity (tests/reliability/test_capacity.py is).
    fake.set_max_workers(20)
    prompts = [_prompt(i) for i in range(200)]

    async def main() -> list[Any]:
        async with AsyncClaudeClient(
            base_url=fake.base_url, api_key=fake.api_key, timeout=60, max_retries=0
        ) as client:
            return await asyncio.gather(
                *(client.complete(p, model="haiku") for p in prompts), return_exceptions=True
            )

    results = asyncio.run(main())
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"{len(errors)} errors, first: {errors[0]!r}"
    for prompt, result in zip(prompts, results, strict=True):
        assert result.content == fake.expected_answer(prompt)
        assert dict(result.usage) == fake.expected_usage(prompt)
    sent = sorted(r.body["messages"][-1]["content"] for r in fake.requests_to(CHAT))
    assert sent == sorted(prompts)  # each prompt arrived exactly once


def test_16_threads_x_50_calls_on_one_sync_client(fake: FakeService) -> None:
    errors: list[BaseException] = []
    mismatches: list[str] = []
    with ClaudeClient(
        base_url=fake.base_url, api_key=fake.api_key, timeout=60, max_retries=0
    ) as client:

        def worker(t: int) -> None:
            for n in range(50):
                prompt = _prompt(t * 1000 + n)
                try:
                    result = client.complete(prompt, model="haiku")
                except BaseException as exc:
                    errors.append(exc)
                    continue
                if result.content != fake.expected_answer(prompt):
                    mismatches.append(f"{prompt!r} -> {result.content!r}")

        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(worker, range(16)))
    assert not errors, f"{len(errors)} errors, first: {errors[0]!r}"
    assert not mismatches, mismatches[:3]
    assert len(fake.requests_to(CHAT)) == 16 * 50


# --------------------------------------------------------------------------- leaks


def _stream(client: ClaudeClient, prompt: str) -> ChatStream:
    settings = StreamSettings.for_client(client, idle_timeout=5.0, close_timeout=1.0)
    return ChatStream(settings, messages=[{"role": "user", "content": prompt}], model="haiku")


def _abandon_stream(client: ClaudeClient, prompt: str) -> None:
    stream = _stream(client, prompt)
    assert next(stream) == "Answer: "  # the socket is open and a frame arrived
    del stream  # never closed by the caller


def test_1000_mixed_calls_leak_no_fds_and_the_pool_stays_usable(
    fake: FakeService, baseline: tuple[int, int]
) -> None:
    fds_before, threads_before = baseline
    outcomes: dict[str, int] = {}

    def expect(kind: str, call: Callable[[], Any], error: type[BaseException] | None) -> None:
        try:
            call()
        except ClaudeAPIError as exc:
            assert_sdk_error(exc)
            assert error is not None and isinstance(exc, error), f"{kind}: {exc!r}"
        else:
            assert error is None, f"{kind}: expected {error}"
        outcomes[kind] = outcomes.get(kind, 0) + 1

    client = ClaudeClient(
        base_url=fake.base_url, api_key=fake.api_key, timeout=10, max_retries=1, sleep=Sleeps()
    )
    peak = fds_before
    for i in range(1000):
        prompt = _prompt(i)
        slot = i % 20
        if slot < 9:
            expect("ok", lambda p=prompt: client.complete(p, model="haiku"), None)
        elif slot == 9:
            fake.fail_next(2, status=503, path=CHAT)
            expect("503", lambda p=prompt: client.complete(p, model="haiku"), ServerError)
        elif slot == 10:
            expect("404", lambda: client.provider_models("nope"), NotFoundError)
        elif slot == 11:
            fake.inject(Fault.HTML, status=502, times=2)
            expect("html", lambda: client.get_usage(), ServerError)
        elif slot == 12:
            fake.inject(Fault.TRUNCATED_JSON, path=CHAT)
            expect("truncated", lambda p=prompt: client.complete(p), ResponseValidationError)
        elif slot == 13 and i % 100 == 13:  # 10 of these: each waits for its timeout
            fake.inject(Fault.HANG, path="/v1/usage")
            expect("hang", lambda: client.get_usage(timeout=0.3), TimeoutError)
        elif slot in (13, 14):
            expect("usage", lambda: client.get_usage(), None)
        elif slot == 15:
            expect("abandoned_stream", lambda p=prompt: _abandon_stream(client, p), None)
        elif slot == 16:
            expect("stream", lambda p=prompt: "".join(_stream(client, p)), None)
        elif slot == 17:
            fake.drop_stream_after(1)
            expect(
                "dropped_stream",
                lambda p=prompt: "".join(_stream(client, p)),
                StreamInterruptedError,
            )
        elif slot == 18:
            fake.inject(Fault.WS_ERROR_FRAME, after=1)
            expect("error_stream", lambda p=prompt: "".join(_stream(client, p)), ServerError)
        else:
            expect("health", lambda: client.health(), None)
        if i % 100 == 99:
            peak = max(peak, open_fds())
    assert sum(outcomes.values()) == 1000
    assert outcomes["hang"] == 10 and outcomes["abandoned_stream"] == 50, outcomes
    # a few keep-alive sockets (both ends live in this process), never one per call
    assert peak <= fds_before + 30, (fds_before, peak)
    # the pool is reusable after all that
    prompt = _prompt(100_000)
    assert client.complete(prompt, model="haiku").content == fake.expected_answer(prompt)
    client.close()
    assert _settle(lambda: open_fds() <= fds_before), (fds_before, open_fds())
    assert _settle(lambda: threading.active_count() <= threads_before), threading.enumerate()


def test_async_mixed_calls_and_abandoned_streams_leak_no_fds(
    fake: FakeService, baseline: tuple[int, int]
) -> None:
    fds_before, threads_before = baseline

    async def abandon(client: AsyncClaudeClient, prompt: str) -> None:
        settings = StreamSettings.for_client(client, idle_timeout=5.0, close_timeout=1.0)
        stream = AsyncChatStream(settings, messages=[{"role": "user", "content": prompt}])
        assert await stream.__anext__() == "Answer: "
        del stream  # never closed: asyncio's async-generator finaliser must close it

    async def main() -> None:
        client = AsyncClaudeClient(base_url=fake.base_url, api_key=fake.api_key, max_retries=0)
        for i in range(200):
            prompt = _prompt(i)
            if i % 4 == 0:
                await abandon(client, prompt)
            elif i % 4 == 1:
                fake.fail_next(1, status=520, path=CHAT)
                with pytest.raises(ServerError):
                    await client.complete(prompt, model="haiku")
            else:
                result = await client.complete(prompt, model="haiku")
                assert result.content == fake.expected_answer(prompt)
        await client.close()

    asyncio.run(main())
    assert _settle(lambda: open_fds() <= fds_before), (fds_before, open_fds())
    assert _settle(lambda: threading.active_count() <= threads_before), threading.enumerate()


# --------------------------------------------------------------------------- lifecycle


def _sync_uses(client: ClaudeClient) -> dict[str, Callable[[], Any]]:
    return {
        "complete": lambda: client.complete("hi"),
        "agentic_task": lambda: client.agentic_task("d", timeout=30, max_cost=0.5),
        "batch": lambda: client.batch(["hi"]),
        "get_usage": lambda: client.get_usage(),
        "health": lambda: client.health(),
        "route": lambda: client.route("hi"),
        "providers": lambda: client.providers(),
        "generated": lambda: client.generated,
        "with": lambda: client.__enter__(),
    }


def test_sync_close_twice_and_use_after_close(fake: FakeService) -> None:
    client = ClaudeClient(base_url=fake.base_url, api_key=fake.api_key)
    assert client.health()
    client.close()
    client.close()  # a second close does nothing
    assert client.closed
    for name, use in _sync_uses(client).items():
        with pytest.raises(ClientClosedError, match="closed") as info:
            use()
        assert_sdk_error(info.value)
        WATCH.check(info.value, f"closed client {name}")
    WATCH.check(client)
    assert "closed" in repr(client)
    assert fake.requests_to("/v1/chat/completions") == []


def test_async_close_twice_and_use_after_close(fake: FakeService) -> None:
    async def main() -> None:
        client = AsyncClaudeClient(base_url=fake.base_url, api_key=fake.api_key)
        assert await client.health()
        await client.close()
        await client.close()
        await client.aclose()
        uses = {
            "complete": lambda: client.complete("hi"),
            "agentic_task": lambda: client.agentic_task("d", timeout=30, max_cost=0.5),
            "batch": lambda: client.batch(["hi"]),
            "get_usage": lambda: client.get_usage(),
            "health": lambda: client.health(),
            "with": lambda: client.__aenter__(),
        }
        for name, use in uses.items():
            with pytest.raises(ClientClosedError, match="closed") as info:
                await use()
            assert_sdk_error(info.value)
            WATCH.check(info.value, f"closed async client {name}")
        with pytest.raises(ClientClosedError):
            client.generated  # noqa: B018

    asyncio.run(main())
    assert fake.requests_to("/v1/chat/completions") == []


def test_closing_while_other_threads_call_gives_clean_errors(fake: FakeService) -> None:
    """Calls racing a close() end as a result or ClientClosedError/another SDK error."""
    fake.latency(0.05)  # one model run: chat is slow, /v1/usage would be instant
    client = ClaudeClient(base_url=fake.base_url, api_key=fake.api_key, max_retries=0)
    outcomes: list[Any] = []

    def worker(i: int) -> None:
        for _ in range(5):
            try:
                outcomes.append(client.complete(f"racing call {i}", model="haiku"))
            except BaseException as exc:
                outcomes.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    client.close()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert errors, "the close raced no call: nothing was checked"
    for exc in errors:
        assert_sdk_error(exc)


# --------------------------------------------------------------------------- __del__


SCHEDULES = re.compile(
    r"create_task|ensure_future|call_soon|run_coroutine_threadsafe|get_event_loop|"
    r"get_running_loop|asyncio\.run|\bawait\b|aclose\(|new_event_loop"
)


def _sdk_classes() -> list[type]:
    names = ["claude_client"] + [
        m.name
        for m in pkgutil.walk_packages(claude_client.__path__, "claude_client.")
        if m.name != "claude_client.testing.__main__"
    ]
    classes = []
    for name in names:
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == name:
                classes.append(obj)
    return classes


def test_no_sdk_class_has_a_del_that_schedules_work_on_a_loop() -> None:
    classes = _sdk_classes()
    assert len(classes) > 40  # the walk found the package, streaming and testing included
    offenders = []
    for cls in classes:
        finaliser = vars(cls).get("__del__")
        if finaliser is None:
            continue
        source = inspect.getsource(finaliser)
        if SCHEDULES.search(source):
            offenders.append(f"{cls.__module__}.{cls.__qualname__}.__del__")
    assert not offenders


def test_unclosed_async_clients_and_streams_collected_after_their_loop_is_gone(
    fake: FakeService,
) -> None:
    """openai-python#1254: nothing may run on (or complain about) a closed loop at GC."""
    unraisable: list[Any] = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:

        async def main() -> None:
            for i in range(5):
                client = AsyncClaudeClient(base_url=fake.base_url, api_key=fake.api_key)
                await client.complete(_prompt(i), model="haiku")
                settings = StreamSettings.for_client(client, close_timeout=1.0)
                stream = AsyncChatStream(settings, messages=[{"role": "user", "content": "a b"}])
                await stream.__anext__()
                del client, stream  # neither closed

        loop = asyncio.new_event_loop()
        loop.run_until_complete(main())
        loop.close()
        for _ in range(3):
            gc.collect()
    finally:
        sys.unraisablehook = old_hook
    assert not unraisable, [f"{u.exc_type.__name__}: {u.exc_value}" for u in unraisable]


# --------------------------------------------------------------------------- streams


def test_8_threads_x_5_sync_streams_each_get_their_own_answer(fake: FakeService) -> None:
    errors: list[BaseException] = []
    mismatches: list[str] = []
    with ClaudeClient(base_url=fake.base_url, api_key=fake.api_key, max_retries=0) as client:

        def worker(t: int) -> None:
            for n in range(5):
                prompt = _prompt(t * 100 + n)
                try:
                    text = "".join(_stream(client, prompt))
                except BaseException as exc:
                    errors.append(exc)
                    continue
                if text != fake.expected_answer(prompt):
                    mismatches.append(f"{prompt!r} -> {text!r}")

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(worker, range(8)))
    assert not errors, f"{len(errors)} errors, first: {errors[0]!r}"
    assert not mismatches, mismatches[:3]
    assert len([r for r in fake.requests if r.method == "WS"]) == 40


def test_50_concurrent_async_streams_each_get_their_own_answer(fake: FakeService) -> None:
    prompts = [_prompt(i) for i in range(50)]

    async def one(client: AsyncClaudeClient, prompt: str) -> str:
        settings = StreamSettings.for_client(client, close_timeout=1.0)
        stream = AsyncChatStream(
            settings, messages=[{"role": "user", "content": prompt}], model="haiku"
        )
        async with stream:
            return "".join([chunk async for chunk in stream])

    async def main() -> list[Any]:
        async with AsyncClaudeClient(
            base_url=fake.base_url, api_key=fake.api_key, max_retries=0
        ) as client:
            return await asyncio.gather(*(one(client, p) for p in prompts), return_exceptions=True)

    results = asyncio.run(main())
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"{len(errors)} errors, first: {errors[0]!r}"
    assert results == [fake.expected_answer(p) for p in prompts]


def test_closing_a_sync_stream_from_another_thread_ends_its_iteration(fake: FakeService) -> None:
    fake.set_answer_words(200)
    fake.set_token_delay(0.02)  # ~4 s of frames: the close must cut it short
    chunks: list[str] = []
    errors: list[BaseException] = []
    with ClaudeClient(base_url=fake.base_url, api_key=fake.api_key) as client:
        stream = _stream(client, "a b c")

        def consume() -> None:
            try:
                chunks.extend(stream)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=consume)
        thread.start()
        assert _settle(lambda: len(chunks) >= 3, 10)
        stream.close()
        thread.join(5)
        assert not thread.is_alive()
    assert 3 <= len(chunks) < 200 and not stream.finished
    for exc in errors:  # ending quietly or with one of ours are both fine
        assert_sdk_error(exc)


def test_cancelled_async_calls_leave_the_client_usable_and_leak_nothing(
    fake: FakeService, baseline: tuple[int, int]
) -> None:
    fds_before, _ = baseline
    fake.latency(0.5)

    async def main() -> None:
        async with AsyncClaudeClient(base_url=fake.base_url, api_key=fake.api_key) as client:
            for i in range(10):
                with pytest.raises(asyncio.TimeoutError):  # the caller's own limit
                    await asyncio.wait_for(client.complete(_prompt(i), model="haiku"), 0.05)
                task = asyncio.create_task(client.complete(_prompt(i), model="haiku"))
                await asyncio.sleep(0.02)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            fake.latency(0)
            prompt = _prompt(999)
            assert (await client.complete(prompt, model="haiku")).content == (
                fake.expected_answer(prompt)
            )

    asyncio.run(main())
    assert _settle(lambda: open_fds() <= fds_before), (fds_before, open_fds())


def test_async_client_used_from_a_second_event_loop(fake: FakeService) -> None:
    client = AsyncClaudeClient(base_url=fake.base_url, api_key=fake.api_key, max_retries=0)
    assert asyncio.run(client.complete("first loop", model="haiku")).content
    try:
        result = asyncio.run(client.complete("second loop", model="haiku"))
    except ClaudeAPIError as exc:
        # acceptable: a clear error that says what is wrong, not a parsing error
        assert_sdk_error(exc)
        assert not isinstance(exc, ResponseValidationError), repr(exc)
        assert "loop" in str(exc).lower()
    else:  # also acceptable: the client copes with a new loop
        assert result.content == fake.expected_answer("second loop")
    finally:
        asyncio.run(client.close())
