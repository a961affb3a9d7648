"""Independent audit of the fake's ``/v1/stream`` against STREAMING.md (issue 10).

Pins the rules test_stream.py does not: frame key orders, the socket task's budget
(project ``default``, the task estimate), its validation errors and billing, the profile
check on raw values that fail validation afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from claude_client.testing import FakeService


@pytest.fixture
def ws(claude_fake: FakeService) -> Iterator[ClientConnection]:
    with connect(
        claude_fake.ws_url, additional_headers=claude_fake.auth_headers(), open_timeout=5
    ) as conn:
        yield conn


def send(conn: ClientConnection, message: dict[str, Any]) -> None:
    conn.send(json.dumps(message))


def frame(conn: ClientConnection) -> dict[str, Any]:
    value = json.loads(conn.recv(timeout=5))
    assert isinstance(value, dict)
    return value


def task(key: str, **fields: Any) -> dict[str, Any]:
    return {"type": "agentic_task", "api_key": key, **fields}


def chat_done(conn: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    send(conn, message)
    while (f := frame(conn))["type"] == "token":
        pass
    return f


def test_done_frame_key_order(ws: ClientConnection) -> None:
    done = chat_done(ws, {"type": "chat", "messages": [{"role": "user", "content": "hi"}]})
    assert list(done) == ["type", "usage", "cost", "model"]
    assert list(done["usage"]) == ["input_tokens", "output_tokens", "total_tokens"]
    assert isinstance(done["cost"], float)


def test_result_frame_key_order(claude_fake: FakeService, ws: ClientConnection) -> None:
    send(ws, task(claude_fake.api_key, description="x"))
    assert list(frame(ws)) == ["type", "content"]
    result = frame(ws)
    assert list(result) == ["type", "status", "result", "execution_log", "artifacts", "usage"]


def test_task_budget_is_the_default_projects_with_the_task_estimate(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    claude_fake.set_budget("default", 12)  # "a b c": int(3 * 4.5) = 13 > 12
    send(ws, task(claude_fake.api_key, description="a b c", project_id="other"))
    assert frame(ws)["type"] == "thinking"
    assert frame(ws) == {
        "type": "result",
        "status": "failed",
        "result": {"error": "Insufficient budget"},
        "execution_log": [],
        "artifacts": [],
        "usage": {"estimated_tokens": 13},
    }
    claude_fake.set_budget("default", 13)  # equal passes
    send(ws, task(claude_fake.api_key, description="a b c"))
    frame(ws)
    assert frame(ws)["status"] == "completed"


def test_task_validation_errors_keep_the_socket(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    ent = claude_fake.enterprise_key
    for fields, detail in (
        ({"description": ""}, "Description is required"),
        (
            {"description": "x", "allow_skills": ["nope", "nada"]},
            "Unknown skills requested: nope, nada",
        ),
    ):
        send(ws, task(ent, **fields))
        assert frame(ws)["type"] == "thinking"
        assert frame(ws) == {"type": "error", "error": f"Task execution error: {detail}"}
    send(ws, task(ent, description="   "))  # blank text runs
    frame(ws)
    assert frame(ws)["status"] == "completed"


def test_failed_socket_task_records_a_zero_row(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    send(ws, task(claude_fake.api_key, description="list it", timeout=0))
    frame(ws)
    assert frame(ws) == {
        "type": "error",
        "error": "Task execution error: object of type 'NoneType' has no len()",
    }
    rows = claude_fake.usage_records("default")
    assert [(r.model, r.tokens) for r in rows] == [("haiku", 0)]


def test_socket_task_cost_exceeded_is_not_billed(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    send(ws, task(claude_fake.api_key, description="x", max_cost=0))
    frame(ws)
    result = frame(ws)
    cost = result["usage"]["total_cost"]
    assert (result["status"], result["execution_log"], result["artifacts"]) == (
        "cost_exceeded",
        [],
        [],
    )
    assert result["result"]["error"] == f"Cost ${cost:.4f} exceeded limit $0.0000"
    assert claude_fake.usage_records("default") == []


def test_profile_check_prints_raw_values_before_they_are_validated(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    # 300.5 is not a valid int timeout, but the profile check sees it first.
    send(ws, task(claude_fake.api_key, description="x", timeout=300.5))
    assert frame(ws) == {
        "type": "error",
        "error": "Permission denied: Requested timeout (300.5s) exceeds limit (300s)",
    }
    send(ws, task(claude_fake.api_key, description="x", allow_tools=["Read", "Edit"]))
    assert frame(ws) == {
        "type": "error",
        "error": "Permission denied: Tool 'Edit' is explicitly blocked",
    }
    done = chat_done(ws, {"type": "chat", "model": "haiku", "messages": [{"content": "hi"}]})
    assert done["type"] == "done"  # still usable


def test_socket_chat_budget_is_the_messages_project_not_the_keys(
    claude_fake: FakeService, ws: ClientConnection
) -> None:
    claude_fake.set_budget("default", 0)  # the key's project and the default one
    message = {"type": "chat", "model": "haiku", "messages": [{"content": "hi"}], "project_id": "p"}
    assert chat_done(ws, message)["type"] == "done"
    assert claude_fake.tokens_used("p") > 0
    send(ws, {**message, "project_id": "default"})
    assert frame(ws) == {"type": "error", "error": "Budget exceeded for project default"}
