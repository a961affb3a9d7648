"""Fixtures for the facade tests: one set of cases runs against both clients.

``runner`` is parametrised ``sync`` / ``async``; ``await runner.call(client, name, ...)``
calls a method on either kind of client. Time is controlled: every client made by
``runner.client()`` records its backoff sleeps in ``runner.sleeps`` instead of
sleeping, and uses ``runner.clock`` (a fake monotonic clock that the sleeps advance).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from http_mock import MockRouter

from claude_client import AsyncClaudeClient, ClaudeClient

BASE = "http://svc.test"
KEY = "cc_" + "a1" * 20
KEY_B = "cc_" + "b2" * 20

CHAT_BODY = {
    "id": "msg_1",
    "model": "haiku",
    "content": "Hello there",
    "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
    "cost": 0.0000033,
    "project_id": "default",
}

TASK_BODY = {
    "task_id": "task_1",
    "status": "completed",
    "result": {
        "summary": "Wrote tests",
        "full_output": "All done",
        "workspace_directory": "/tmp/ws",
    },
    "execution_log": [
        {"step": 1, "timestamp": "2026-01-01T00:00:00", "action": "read", "details": {}}
    ],
    "artifacts": [
        {"type": "file", "path": "tests/test_x.py", "size_bytes": 120, "created_at": "2026"}
    ],
    "usage": {
        "input_tokens": 10,
        "output_tokens": 20,
        "total_tokens": 30,
        "total_cost": 0.05,
        "model_used": "sonnet",
        "duration_seconds": 1.5,
    },
}

USAGE_BODY = {
    "project_id": "default",
    "period": "month",
    "total_tokens": 1500,
    "total_cost": 0.75,
    "by_model": {"haiku": {"tokens": 1000, "cost": 0.25}, "sonnet": {"tokens": 500, "cost": 0.5}},
    "limit": 100000,
    "remaining": 98500,
}

HEALTH_BODY = {
    "status": "healthy",
    "version": "0.1.0",
    "uptime_seconds": 12.5,
    "services": {"claude_cli": {"status": "ok", "detail": None}},
}

CAPS_BODY = {
    "agents": [{"name": "reviewer", "description": "reviews", "tools": ["Read"], "model": "haiku"}],
    "skills": [{"name": "docs", "description": "writes docs", "command": "/docs"}],
    "agents_count": 1,
    "skills_count": 1,
}

ROUTE_BODY = {"recommended_model": "haiku", "reasoning": "short", "budget_status": {"ok": True}}

PROCESS_BODY = {
    "content": "processed",
    "content_blocks": None,
    "model": "claude-sonnet",
    "provider": "claudecode",
    "metadata": {"usage": {"input_tokens": 1}},
}


def batch_answer(request: httpx2.Request) -> httpx2.Response:
    """A /v1/batch answer echoing the prompts of the request, all completed."""
    prompts = json.loads(request.content)["prompts"]
    results = [
        {
            "id": p.get("id"),
            "prompt": p["prompt"],
            "status": "completed",
            "content": f"answer to {p['prompt']}",
            "usage": {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3},
            "cost": 0.001,
            "error": None,
        }
        for p in prompts
    ]
    return httpx2.Response(
        200,
        json={
            "total": len(results),
            "completed": len(results),
            "failed": 0,
            "results": results,
            "total_cost": 0.001 * len(results),
            "total_tokens": 3 * len(results),
        },
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Runner:
    """Makes clients of one kind and calls their methods the same way."""

    def __init__(self, kind: str, router: MockRouter) -> None:
        self.kind = kind
        self.router = router
        self.sleeps: list[float] = []
        self.clock = FakeClock()
        self._clients: list[Any] = []

    @property
    def is_async(self) -> bool:
        return self.kind == "async"

    def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.now += seconds

    async def _async_sleep(self, seconds: float) -> None:
        self._sleep(seconds)

    def client(self, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", BASE)
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("clock", self.clock)
        if str(kwargs["base_url"]).startswith(BASE) and not (
            {"transport", "http_client"} & kwargs.keys()
        ):  # the mocked service (a real one, e.g. the fake, is reached over the network)
            kwargs["transport"] = self.router.transport
        if self.is_async:
            kwargs.setdefault("sleep", self._async_sleep)
            c: Any = AsyncClaudeClient(**kwargs)
        else:
            kwargs.setdefault("sleep", self._sleep)
            c = ClaudeClient(**kwargs)
        self._clients.append(c)
        return c

    async def call(self, client: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(client, method)(*args, **kwargs)
        if self.is_async:
            result = await result
        return result

    async def close(self, client: Any) -> None:
        if self.is_async:
            await client.close()
        else:
            client.close()

    async def close_all(self) -> None:
        for c in self._clients:
            await self.close(c)


@pytest.fixture(params=["sync", "async"])
async def runner(request: pytest.FixtureRequest, mock: MockRouter) -> AsyncIterator[Runner]:
    r = Runner(request.param, mock)
    yield r
    await r.close_all()


@pytest.fixture
def mock() -> MockRouter:
    """Routes for ``BASE``; every client ``runner.client()`` makes sends through them."""
    return MockRouter(BASE)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLAUDE_API_URL", "CLAUDE_API_KEY", "CLAUDE_TIMEOUT", "CLAUDE_LOG"):
        monkeypatch.delenv(name, raising=False)
