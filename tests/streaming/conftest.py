"""Fixtures for tests/streaming (the server itself is in ``stream_testkit.py``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from stream_testkit import API_KEY, Driver, ScriptedServer, SleepRecorder

from claude_client._streaming import StreamSettings


@pytest.fixture(scope="session")
def _server_instance() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture
def server(_server_instance: ScriptedServer) -> Iterator[ScriptedServer]:
    _server_instance.reset()
    yield _server_instance
    _server_instance.wait_all_ended(2.0)
    _server_instance.reset()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def settings(server: ScriptedServer, sleeps: SleepRecorder) -> StreamSettings:
    return StreamSettings.from_client(
        base_url=server.base_url,
        api_key=API_KEY,
        default_headers={"X-Client-Name": "streaming-tests", "User-Agent": "claude-client-tests/1"},
        timeout=10.0,
        idle_timeout=3.0,
        connect_timeout=3.0,
        max_retries=2,
        close_timeout=1.0,
        sleep=sleeps,
        async_sleep=sleeps.async_sleep,
    )


@pytest.fixture(params=["sync", "async"])
def drive(request: pytest.FixtureRequest) -> Driver:
    """Runs one test case through the sync and the asyncio streams."""
    return Driver(request.param)
