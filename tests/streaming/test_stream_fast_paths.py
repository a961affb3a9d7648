"""What the throughput fixes of the streaming layer must not change.

* the asyncio streams time out through one ``_Watchdog`` timer per stream instead of
  ``asyncio.timeout()`` per frame: it may only ever cancel the task while it waits
  in ``recv()``, never the caller's own loop body, and a cancellation from outside
  (even one racing with the watchdog) stays a ``CancelledError``;
* ``for`` / ``async for`` iterate the stream's generator directly;
* ``Protocol.handle`` returns a tuple (token fast path) and ``decode_frame`` parses
  ``str`` frames with ``raw_decode``, falling back for anything unusual.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Union

import pytest
from stream_testkit import ScriptedServer, chat_script

from claude_client import TimeoutError as StreamTimeout
from claude_client._exceptions import ResponseValidationError
from claude_client._streaming import AsyncChatStream, ChatStream, StreamSettings, _async, _core

MESSAGES = [{"role": "user", "content": "go"}]


def _cancelling() -> int:
    task = asyncio.current_task()
    assert task is not None
    return task.cancelling()


def _with(settings: StreamSettings, **changes: Any) -> StreamSettings:
    return StreamSettings(**{**settings.__dict__, **changes})


# --------------------------------------------------------------------------- watchdog


async def test_a_caller_slower_than_the_idle_timeout_is_never_cancelled(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = chat_script(["a", "b", "c", "d"])
    stream = AsyncChatStream(_with(settings, idle_timeout=0.15), messages=MESSAGES)
    got = []
    async for chunk in stream:
        got.append(chunk)
        await asyncio.sleep(0.3)  # the loop body outlasts the idle timeout every time
    assert got == ["a", "b", "c", "d"]
    assert stream.finished
    assert _cancelling() == 0


async def test_the_idle_timeout_still_fires_after_a_slow_loop_body(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    # The watchdog disarms while the caller holds a chunk and must re-arm on the
    # next recv(): the silence after "b" has to time out, not hang.
    server.script = [("token", "a"), ("token", "b"), ("silent",)]
    stream = AsyncChatStream(_with(settings, idle_timeout=0.2), messages=MESSAGES)
    got = []
    started = time.monotonic()
    with pytest.raises(StreamTimeout, match="idle timeout"):
        async for chunk in stream:
            got.append(chunk)
            await asyncio.sleep(0.4)
    assert got == ["a", "b"]
    assert time.monotonic() - started < 3
    assert _cancelling() == 0


async def test_the_deadline_is_checked_between_chunks_not_inside_the_loop_body(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = chat_script([f"t{i}" for i in range(20)])
    stream = AsyncChatStream(_with(settings, timeout=0.5, idle_timeout=5.0), messages=MESSAGES)
    got = []
    with pytest.raises(StreamTimeout, match=r"within its timeout of 0\.5"):
        async for chunk in stream:
            got.append(chunk)
            await asyncio.sleep(0.2)  # never interrupted, even past the deadline
    assert 1 <= len(got) < 20


async def test_outer_cancellation_while_waiting_in_recv_propagates(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "a"), ("silent",)]

    async def consume() -> None:
        async for _chunk in AsyncChatStream(_with(settings, idle_timeout=5.0), messages=MESSAGES):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


@pytest.mark.parametrize("outer_first", [False, True], ids=["watchdog-first", "outer-first"])
async def test_outer_cancellation_racing_with_the_watchdog_still_propagates(
    server: ScriptedServer,
    settings: StreamSettings,
    monkeypatch: pytest.MonkeyPatch,
    outer_first: bool,
) -> None:
    # Both cancellations reach the task in the same loop iteration: the caller's
    # must win (as with asyncio.timeout), not become an idle TimeoutError.
    server.script = [("token", "a"), ("silent",)]
    consumer: list[asyncio.Task[Any]] = []
    fired: list[bool] = []
    original = _async._Watchdog._check

    def check_and_cancel(dog: Any) -> None:
        fires = dog.waiting and dog.loop.time() >= dog.limit()  # else it only re-arms
        if fires and outer_first:
            consumer[0].cancel()
        original(dog)
        if fires:
            assert dog.fired
            fired.append(True)
            if not outer_first:
                consumer[0].cancel()

    monkeypatch.setattr(_async._Watchdog, "_check", check_and_cancel)

    async def consume() -> None:
        async for _chunk in AsyncChatStream(_with(settings, idle_timeout=0.2), messages=MESSAGES):
            pass

    consumer.append(asyncio.create_task(consume()))
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(consumer[0], 3)
    assert consumer[0].cancelled()
    assert fired == [True]


async def test_an_enclosing_asyncio_timeout_is_not_mistaken_for_the_idle_timeout(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "a"), ("silent",)]
    got = []
    with pytest.raises(TimeoutError) as info:
        async with asyncio.timeout(0.3):
            async for chunk in AsyncChatStream(
                _with(settings, idle_timeout=5.0), messages=MESSAGES
            ):
                got.append(chunk)
    assert not isinstance(info.value, StreamTimeout)  # asyncio's own, not the stream's
    assert got == ["a"]
    assert _cancelling() == 0


async def test_the_watchdog_cancels_the_task_iterating_now_not_the_first_one(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    server.script = [("token", "a"), ("token", "b"), ("silent",)]
    stream = AsyncChatStream(_with(settings, idle_timeout=0.2), messages=MESSAGES)
    assert await stream.__anext__() == "a"  # started in this task

    async def rest() -> list[str]:
        return [chunk async for chunk in stream]

    other = asyncio.create_task(rest())
    with pytest.raises(StreamTimeout, match="idle timeout"):
        await asyncio.wait_for(other, 3)
    await asyncio.sleep(0.3)  # this task is still fine and not cancelled
    assert _cancelling() == 0


async def test_a_stream_without_any_limit_needs_no_watchdog(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    stream = AsyncChatStream(_with(settings, timeout=None, idle_timeout=None), messages=MESSAGES)
    assert "".join([c async for c in stream]) == "Once upon a time."


# --------------------------------------------------------------------------- iteration


def test_for_continues_where_next_left_off(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    stream = ChatStream(settings, messages=MESSAGES)
    assert next(stream) == "Once"
    assert list(stream) == [" upon", " a", " time", "."]
    assert iter(stream) is iter(stream)
    with pytest.raises(StopIteration):
        next(stream)


async def test_async_for_continues_where_anext_left_off(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    stream = AsyncChatStream(settings, messages=MESSAGES)
    assert await stream.__anext__() == "Once"
    assert [c async for c in stream] == [" upon", " a", " time", "."]
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


def test_a_stream_closed_before_its_first_item_never_connects(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    stream = ChatStream(settings, messages=MESSAGES)
    stream.close()
    assert list(stream) == []
    assert [c for c in stream] == []
    assert server.connections == []


async def test_an_async_stream_closed_before_its_first_item_never_connects(
    server: ScriptedServer, settings: StreamSettings
) -> None:
    stream = AsyncChatStream(settings, messages=MESSAGES)
    await stream.aclose()
    assert [c async for c in stream] == []
    assert server.connections == []


# --------------------------------------------------------------------------- frames


def _reference_decode(raw: Union[str, bytes]) -> dict[str, Any]:
    """``decode_frame`` before the raw_decode fast path (json.loads only)."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        raise ResponseValidationError(
            f"stream frame is not JSON: {' '.join(raw.split())[:120]!r}"
        ) from None
    if not isinstance(frame, dict):
        raise ResponseValidationError(f"stream frame is not a JSON object: {type(frame).__name__}")
    return frame


FRAMES: list[Union[str, bytes]] = [
    '{"type": "token", "content": "hi"}',
    ' {"type": "token"}',
    '{"type": "token"}  \n',
    '{"type": "token"} {"type": "token"}',
    '{"type": "token"} x',
    "\ufeff{}",
    "{}",
    "[1, 2]",
    '"token"',
    "3",
    "null",
    "",
    "   ",
    "{",
    '{"a": NaN, "b": -Infinity}',
    '{"a": 1, "a": 2}',
    "not json at all",
    b'{"type": "token", "content": "bytes"}',
    b"\xff\xfe{",
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 100_000 + "1" + "}" * 100_000,
]


@pytest.mark.parametrize("raw", FRAMES, ids=range(len(FRAMES)))
def test_decode_frame_answers_exactly_as_json_loads_did(raw: Union[str, bytes]) -> None:
    try:
        expected: Any = _reference_decode(raw)
    except ResponseValidationError as exc:
        expected = exc
    if isinstance(expected, ResponseValidationError):
        with pytest.raises(ResponseValidationError) as info:
            _core.decode_frame(raw)
        assert str(info.value) == str(expected)
    else:
        got = _core.decode_frame(raw)
        assert json.dumps(got) == json.dumps(expected)  # NaN-safe comparison


def _chat() -> _core.ChatProtocol:
    return _core.ChatProtocol(model="haiku", messages=MESSAGES, project_id=None)


def test_the_token_fast_path_yields_as_before() -> None:
    protocol = _chat()
    assert protocol.handle('{"type": "token", "content": "a"}') == ("a",)
    assert protocol.handle('{"type": "token", "content": ""}') == ()
    assert protocol.handle('{"type": "token", "content": 5}') == ()
    assert protocol.handle('{"type": "token"}') == ()
    assert protocol.handle(b'{"type": "token", "content": "b"}') == ("b",)
    assert protocol.handle('{"type": "tokens", "content": "x"}') == ()
    assert protocol.handle('{"type": 7, "content": "x"}') == ()
    assert protocol.frames == 7
    assert protocol.content == "ab"
    assert not protocol.finished
    assert protocol.handle('{"type": "done", "usage": {}, "model": "haiku"}') == ()
    assert protocol.finished and protocol.frames == 8 and protocol.model == "haiku"


def test_an_error_frame_still_raises_through_handle() -> None:
    protocol = _chat()
    with pytest.raises(Exception, match="boom"):
        protocol.handle('{"type": "error", "error": "boom"}')
    assert protocol.finished and protocol.frames == 1


def test_a_task_protocol_does_not_take_the_chat_token_fast_path() -> None:
    protocol = _core.TaskProtocol(
        description="d",
        allow_tools=(),
        allow_agents=(),
        allow_skills=(),
        timeout=None,
        max_cost=None,
    )
    assert protocol.handle('{"type": "token", "content": "a"}') == ()
    assert protocol.content == ""
    (event,) = protocol.handle('{"type": "thinking", "content": "hmm"}')
    assert isinstance(event, _core.ThinkingEvent) and event.content == "hmm"


async def test_the_fast_current_task_getter_agrees_with_asyncio() -> None:
    loop = asyncio.get_running_loop()
    get = _async._current_task_getter()
    assert get(loop) is asyncio.current_task()

    async def inner() -> bool:
        return get(loop) is asyncio.current_task() is not None

    assert await asyncio.create_task(inner())
