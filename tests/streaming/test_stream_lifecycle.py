"""Leaving early closes the socket: break, exceptions, close() from elsewhere, GC.

The last tests open and abandon 1,000 streams and check that the process's file
descriptors and threads come back to where they were.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from stream_testkit import ScriptedServer, chat_script

from claude_client._streaming import AsyncChatStream, ChatStream, StreamSettings

MESSAGES = [{"role": "user", "content": "go"}]
ENDLESS = [item for i in range(300) for item in (("token", f"t{i} "), ("sleep", 0.05))]


def _fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def _settle(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        gc.collect()
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def unraisable() -> Iterator[list[Any]]:
    """Exceptions Python could only report (e.g. from a finaliser): there must be none."""
    seen: list[Any] = []
    old = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        yield seen
    finally:
        gc.collect()
        sys.unraisablehook = old


def test_an_exception_in_the_loop_body_closes_the_socket(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = ENDLESS
    with pytest.raises(ZeroDivisionError):
        for _chunk in ChatStream(settings, messages=MESSAGES):
            1 / 0  # noqa: B018
    assert server.wait_all_ended(2.0)
    assert server.connections[0].close_code == 1000


async def test_an_exception_in_the_async_loop_body_closes_the_socket(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = ENDLESS
    with pytest.raises(ZeroDivisionError):
        async for _chunk in AsyncChatStream(settings, messages=MESSAGES):
            1 / 0  # noqa: B018
    for _ in range(100):
        await asyncio.sleep(0.02)
        if server.connections and server.connections[0].ended_at is not None:
            break
    assert server.connections[0].ended_at is not None
    assert server.connections[0].close_code == 1000


def test_close_from_another_thread_ends_a_blocked_iteration(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "a"), ("silent",)]
    stream = ChatStream(settings, messages=MESSAGES)
    assert next(stream) == "a"
    timer = threading.Timer(0.2, stream.close)
    timer.start()
    started = time.monotonic()
    rest = list(stream)  # blocked in recv until close() runs
    timer.join()
    assert rest == []
    assert time.monotonic() - started < 2
    assert stream.content == "a"
    assert server.wait_all_ended(2.0)


async def test_aclose_from_another_task_ends_a_blocked_iteration(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "a"), ("silent",)]
    stream = AsyncChatStream(settings, messages=MESSAGES)

    async def consume() -> list[str]:
        return [chunk async for chunk in stream]

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    await stream.aclose()
    assert await asyncio.wait_for(task, 2) == ["a"]


def test_close_is_idempotent_and_a_closed_stream_yields_nothing(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    stream = ChatStream(settings, messages=MESSAGES)
    assert next(stream) == "Once"
    stream.close()
    stream.close()
    assert list(stream) == []
    assert stream.content == "Once"


async def test_async_close_is_idempotent(server: ScriptedServer, settings: StreamSettings) -> None:
    stream = AsyncChatStream(settings, messages=MESSAGES)
    assert await stream.__anext__() == "Once"
    await stream.aclose()
    await stream.aclose()
    assert [c async for c in stream] == []


def test_an_abandoned_sync_stream_is_closed_when_collected(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = ENDLESS
    stream = ChatStream(settings, messages=MESSAGES)
    next(stream)
    del stream
    assert server.wait_all_ended(2.0)


async def test_an_abandoned_async_stream_is_closed_while_the_loop_runs(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = ENDLESS
    async for _chunk in AsyncChatStream(settings, messages=MESSAGES):
        break  # no aclose(), no context manager
    for _ in range(100):
        await asyncio.sleep(0.02)
        if server.connections[0].ended_at is not None:
            break
    assert server.connections[0].ended_at is not None


@pytest.mark.parametrize("strict", [False, True], ids=["default-warnings", "W-error"])
def test_an_async_stream_outliving_its_loop_is_closed_without_touching_the_closed_loop(
    server: ScriptedServer, settings: StreamSettings, unraisable: list[Any], strict: bool
) -> None:
    server.script = ENDLESS
    kept: list[AsyncChatStream] = []

    async def main() -> None:
        stream = AsyncChatStream(settings, messages=MESSAGES)
        kept.append(stream)
        await stream.__anext__()  # left open on purpose

    with warnings.catch_warnings(record=True) as caught:
        # "error": asyncio then raises inside websockets' close() during
        # shutdown_asyncgens (an async generator first used that late); the stream
        # must still drop its connection.
        warnings.simplefilter("error" if strict else "always", ResourceWarning)
        asyncio.run(main())  # asyncio.run closes open async generators before the loop
        assert server.wait_all_ended(2.0)
        if not strict:
            assert server.connections[0].close_code == 1000
        kept.clear()  # the stream is collected after its loop closed
        gc.collect()
    assert not [w for w in caught if "unclosed" in str(w.message)]
    assert unraisable == []


# --------------------------------------------------------------------------- 1,000 streams

N = 1000


def _baseline(server: ScriptedServer, settings: StreamSettings) -> tuple[int, int]:
    # One full stream first so lazily created things (imports, the server's
    # accept path) are not counted as leaks.
    assert "".join(ChatStream(settings, messages=MESSAGES)) == "abc"
    assert server.wait_all_ended(5.0)
    gc.collect()
    return _fd_count(), threading.active_count()


def test_a_thousand_abandoned_sync_streams_leave_nothing_open(
    server: ScriptedServer, settings: StreamSettings, unraisable: list[Any]
) -> None:
    server.script = chat_script(["a", "b", "c"])
    fds, threads = _baseline(server, settings)
    for i in range(N):
        stream = ChatStream(settings, messages=MESSAGES)
        if i % 2:
            next(stream)  # one chunk, then dropped on the floor
            del stream
        else:
            for _chunk in stream:
                break
    assert _settle(lambda: _fd_count() <= fds and threading.active_count() <= threads), (
        f"fds {_fd_count()} (baseline {fds}), threads {threading.active_count()} "
        f"(baseline {threads})"
    )
    assert server.wait_all_ended(5.0)
    assert len(server.connections) == N + 1
    assert unraisable == []


def test_a_thousand_abandoned_async_streams_leave_nothing_open(
    server: ScriptedServer, settings: StreamSettings, unraisable: list[Any]
) -> None:
    server.script = chat_script(["a", "b", "c"])
    fds, threads = _baseline(server, settings)

    async def main() -> None:
        with_loop = _fd_count()  # the running loop has fds of its own (epoll, self-pipe)
        for i in range(N):
            stream = AsyncChatStream(settings, messages=MESSAGES)
            if i % 2:
                await stream.__anext__()
                del stream
            else:
                async for _chunk in stream:
                    break
            if i % 100 == 0:
                await asyncio.sleep(0)
        # The abandoned generators are closed by tasks the loop runs now.
        for _ in range(200):
            await asyncio.sleep(0.02)
            gc.collect()
            if _fd_count() <= with_loop:
                break
        assert _fd_count() <= with_loop, "sockets still open while the loop runs"

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        asyncio.run(main())
    assert _settle(lambda: _fd_count() <= fds and threading.active_count() <= threads), (
        f"fds {_fd_count()} (baseline {fds}), threads {threading.active_count()} "
        f"(baseline {threads})"
    )
    assert server.wait_all_ended(5.0)
    assert len(server.connections) == N + 1
    assert unraisable == []


async def test_cancelling_the_consuming_task_closes_the_socket(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "a"), ("silent",)]
    got: list[str] = []

    async def consume() -> None:
        async for chunk in AsyncChatStream(settings, messages=MESSAGES):
            got.append(chunk)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert got == ["a"]
    for _ in range(100):
        if server.connections[0].ended_at is not None:
            break
        await asyncio.sleep(0.02)
    assert server.connections[0].close_code == 1000


def test_break_out_of_a_named_client_stream_closes_it_and_it_does_not_resume(
    server: ScriptedServer,
) -> None:
    from claude_client import ClaudeClient

    server.script = ENDLESS
    with ClaudeClient(base_url=server.base_url, api_key="cc_" + "0" * 40, timeout=10) as client:
        stream = client.stream("go", model="haiku")
        for _chunk in stream:
            break
        # `stream` is still referenced (by this frame and by the client): the socket
        # closed anyway, when the loop let go of the generator.
        assert server.wait_all_ended(2.0)
        assert server.connections[0].close_code == 1000
        assert list(stream) == []  # a later loop does not resume the old answer
        assert len(server.connections) == 1


async def test_break_out_of_a_named_async_client_stream_closes_it(
    server: ScriptedServer,
) -> None:
    from claude_client import AsyncClaudeClient

    server.script = ENDLESS
    async with AsyncClaudeClient(
        base_url=server.base_url, api_key="cc_" + "0" * 40, timeout=10
    ) as client:
        stream = client.stream("go", model="haiku")
        async for _chunk in stream:
            break
        for _ in range(100):  # the generator's aclose runs as a task of this loop
            if server.connections[0].ended_at is not None:
                break
            await asyncio.sleep(0.02)
        assert server.connections[0].ended_at is not None
        assert server.connections[0].close_code == 1000
        assert [chunk async for chunk in stream] == []
        assert len(server.connections) == 1
