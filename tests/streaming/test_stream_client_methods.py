"""client.stream() / client.stream_task() on both clients, against the fake service.

One set of cases runs for ``ClaudeClient`` and ``AsyncClaudeClient``: the methods
only validate input and build settings; the streams themselves are tested in the
other modules of this folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from claude_client import (
    AsyncClaudeClient,
    ClaudeClient,
    ClientClosedError,
    InvalidInputError,
    PermissionError,
    TaskResult,
    ThinkingEvent,
)

pytest.importorskip("fastapi")

PROMPT = "Explain the tides in two sentences"


class Side:
    """Drives one kind of client; ``collect`` iterates a stream to a list."""

    def __init__(self, kind: str, fake: Any) -> None:
        self.kind = kind
        self.fake = fake
        # One loop for the whole test: an async client's pool belongs to its loop.
        self.loop = asyncio.new_event_loop() if kind == "async" else None

    def client(self, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", self.fake.base_url)
        kwargs.setdefault("api_key", self.fake.api_key)
        cls = AsyncClaudeClient if self.kind == "async" else ClaudeClient
        return cls(**kwargs)

    def collect(self, make_stream: Any) -> tuple[list[Any], Any]:
        if self.kind == "sync":
            stream = make_stream()
            return list(stream), stream

        async def run() -> tuple[list[Any], Any]:
            stream = make_stream()
            return [item async for item in stream], stream

        assert self.loop is not None
        return self.loop.run_until_complete(run())

    def close(self, client: Any) -> None:
        if self.loop is None:
            client.close()
        else:
            self.loop.run_until_complete(client.close())


@pytest.fixture(params=["sync", "async"])
def side(request: pytest.FixtureRequest, claude_fake: Any) -> Iterator[Side]:
    driver = Side(request.param, claude_fake)
    yield driver
    if driver.loop is not None:
        driver.loop.close()


def test_stream_concatenates_to_the_answer_with_usage_after(side: Side) -> None:
    client = side.client()
    chunks, stream = side.collect(lambda: client.stream(PROMPT, model="haiku"))
    assert len(chunks) > 1
    assert "".join(chunks) == side.fake.expected_answer(PROMPT) == stream.content
    assert stream.model == "haiku"
    assert stream.usage.total_tokens == side.fake.expected_usage(PROMPT)["total_tokens"]
    assert stream.cost == pytest.approx(side.fake.expected_cost(PROMPT, "haiku"))
    # A named model needs no routing call.
    assert side.fake.requests_to("/v1/route") == []
    side.close(client)


def test_stream_auto_asks_the_service_to_route_this_prompt(side: Side) -> None:
    client = side.client()
    _, stream = side.collect(lambda: client.stream(PROMPT))
    assert stream.model == side.fake.expected_model(PROMPT)
    routed = side.fake.requests_to("/v1/route", "POST")
    assert len(routed) == 1 and routed[0].body["prompt"] == PROMPT
    # Nothing is cached: a second stream asks again.
    side.collect(lambda: client.stream(PROMPT))
    assert len(side.fake.requests_to("/v1/route", "POST")) == 2
    side.close(client)


def test_stream_with_messages_routes_by_the_last_turn(side: Side) -> None:
    client = side.client()
    history = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
    ]
    chunks, _ = side.collect(lambda: client.stream(PROMPT, messages=history))
    assert chunks
    assert side.fake.requests_to("/v1/route", "POST")[0].body["prompt"] == PROMPT
    sent = [r for r in side.fake.requests if r.method == "WS"][-1].body
    assert sent["messages"][-1] == {"role": "user", "content": PROMPT}
    assert len(sent["messages"]) == 3
    side.close(client)


def test_stream_sends_project_and_handshake_auth(side: Side) -> None:
    client = side.client(project_id="my-app")
    side.collect(lambda: client.stream(PROMPT, model="sonnet"))
    frame = [r for r in side.fake.requests if r.method == "WS"][-1]
    assert frame.body["project_id"] == "my-app"
    assert frame.body["model"] == "sonnet"
    assert "api_key" not in frame.body
    side.close(client)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": PROMPT, "model": "gpt-4"}, "model"),
        ({"prompt": None}, "prompt"),
        ({"prompt": None, "messages": []}, "messages"),
        ({"prompt": PROMPT, "timeout": 0}, "timeout"),
        ({"prompt": PROMPT, "idle_timeout": -1}, "idle_timeout"),
    ],
)
def test_stream_rejects_bad_input_before_connecting(
    side: Side, kwargs: dict[str, Any], param: str
) -> None:
    client = side.client()
    with pytest.raises(InvalidInputError) as info:
        client.stream(**kwargs)
    assert info.value.param == param
    assert side.fake.requests == []
    side.close(client)


def test_stream_task_yields_thinking_then_the_task_result(side: Side) -> None:
    client = side.client()
    events, stream = side.collect(
        lambda: client.stream_task("Count the files", allow_tools=["Read"], timeout=60)
    )
    assert isinstance(events[0], ThinkingEvent) and events[0]["type"] == "thinking"
    result = events[-1]
    assert isinstance(result, TaskResult) and result is stream.result
    assert result["status"] == "completed" and result.status == "completed"
    assert result["result"]["summary"]
    frame = [r for r in side.fake.requests if r.method == "WS"][-1].body
    assert frame["type"] == "agentic_task"
    # timeout=60 is the stream's deadline: the task gets 60 - 10 s - the 3 s margin
    assert frame["allow_tools"] == ["Read"] and frame["timeout"] == 47
    side.close(client)


def test_stream_task_permission_error_for_a_free_key(side: Side) -> None:
    client = side.client(api_key=side.fake.free_key)
    with pytest.raises(PermissionError) as info:
        side.collect(lambda: client.stream_task("Run the tests", allow_tools=["Bash"]))
    assert "Permission denied" in str(info.value)
    side.close(client)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"description": ""}, "description"),
        ({"description": "x", "timeout": 0}, "timeout"),
        ({"description": "x", "timeout": 900, "service_timeout": 601}, "service_timeout"),
        ({"description": "x", "timeout": 30, "service_timeout": 25}, "service_timeout"),
        ({"description": "x", "max_cost": 11}, "max_cost"),
        ({"description": "x", "allow_tools": [1]}, "allow_tools"),
    ],
)
def test_stream_task_rejects_bad_input_before_connecting(
    side: Side, kwargs: dict[str, Any], param: str
) -> None:
    client = side.client()
    with pytest.raises(InvalidInputError) as info:
        client.stream_task(**kwargs)
    assert info.value.param == param
    assert side.fake.requests == []
    side.close(client)


def test_streams_of_a_closed_client(side: Side) -> None:
    client = side.client()
    side.close(client)
    with pytest.raises(ClientClosedError):
        client.stream(PROMPT)
    with pytest.raises(ClientClosedError):
        client.stream_task("Count the files")


@pytest.mark.parametrize(
    ("timeout", "idle_timeout", "expected"),
    [
        # The deadline is several idle periods away: the idle limit strikes first and
        # must be reported as such (it once said "timeout"). The gap covers a slow
        # connect on a loaded machine (0.7 s once let the deadline win).
        (3.0, 0.4, "idle timeout"),
        # The deadline comes before the idle limit.
        (0.4, 5.0, "did not finish within its timeout"),
    ],
    ids=["idle-first", "deadline-first"],
)
def test_a_silent_stream_reports_the_limit_that_struck(
    side: Side, timeout: float, idle_timeout: float, expected: str
) -> None:
    from claude_client import APITimeoutError
    from claude_client.testing import Fault

    side.fake.inject(Fault.WS_SILENT, after=1)
    client = side.client()
    with pytest.raises(APITimeoutError) as info:
        side.collect(
            lambda: client.stream(PROMPT, model="haiku", timeout=timeout, idle_timeout=idle_timeout)
        )
    assert expected in str(info.value)
    side.close(client)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_stream_connect_retries_sleep_with_the_clients_sleep(side: Side) -> None:
    """The client's ``sleep`` hook reaches the stream's connect retries, as it does REST's."""
    from claude_client import APIConnectionError

    slept: list[float] = []

    async def async_sleep(seconds: float) -> None:
        slept.append(seconds)

    hook = async_sleep if side.kind == "async" else slept.append
    client = side.client(
        base_url=f"http://127.0.0.1:{_closed_port()}", sleep=hook, max_retries=2, timeout=30
    )
    with pytest.raises(APIConnectionError):
        side.collect(lambda: client.stream(PROMPT, model="haiku"))
    assert len(slept) == 2  # two retries, slept through the client's hook
    side.close(client)


def test_stream_deadline_runs_on_the_clients_clock(side: Side) -> None:
    """The client's ``clock`` hook is what a stream's deadline is measured on."""
    from claude_client import TimeoutError

    ticks = iter(range(0, 10**9, 1000))  # every reading 1000 s after the last

    client = side.client(clock=lambda: float(next(ticks)))
    with pytest.raises(TimeoutError) as info:
        side.collect(lambda: client.stream(PROMPT, model="haiku", timeout=60))
    assert "did not finish within its timeout of 60 s (0 frames received)" in str(info.value)
    side.close(client)
