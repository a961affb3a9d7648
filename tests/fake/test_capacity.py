"""The fake's worker pool against BEHAVIOUR.md §6 (capacity).

Waits are bounded by conditions on ``pool_stats()`` (polled with a deadline), never by
fixed sleeps; the only timing assertions are generous bounds that are the point of a test.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

from claude_client.testing import FakeService, PoolStats, serve

CHAT = "/v1/chat/completions"
BATCH = "/v1/batch"
TASK = "/v1/task"


def overloaded(active: int, queued: int) -> str:
    return (
        f"Worker pool overloaded: {active} active workers, {queued} queued tasks. Try again later."
    )


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def batch_body(n: int, prefix: str = "p", **extra: Any) -> dict[str, Any]:
    return {"prompts": [{"prompt": f"{prefix}{i}"} for i in range(n)], "model": "haiku", **extra}


@pytest.fixture
def background(claude_fake: FakeService) -> Iterator[Callable[..., dict[str, Any]]]:
    """Start a request in a thread; the pool is reset (runs killed) before joining."""
    threads: list[threading.Thread] = []

    def start(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}

        def run() -> None:
            with httpx2.Client(
                base_url=claude_fake.base_url, headers=claude_fake.auth_headers(), timeout=60
            ) as client:
                out["response"] = client.request(method, path, **kwargs)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        return out

    yield start
    claude_fake.reset()
    for thread in threads:
        thread.join(30)


def fill_pool(
    claude_fake: FakeService, background: Callable[..., dict[str, Any]], workers: int
) -> dict[str, Any]:
    """max_workers = ``workers``, every worker busy and the queue full (slow runs)."""
    claude_fake.set_max_workers(workers)
    claude_fake.latency(30)
    pending = background("POST", BATCH, json=batch_body(11 * workers, "fill", timeout=300))
    wait_until(lambda: claude_fake.pool_stats().queued_tasks == 10 * workers)
    return pending


# --------------------------------------------------------------------------- admission


def test_defaults_and_stats_type(claude_fake: FakeService) -> None:
    stats = claude_fake.pool_stats()
    assert isinstance(stats, PoolStats)
    assert (stats.max_workers, stats.max_queue, stats.active_workers, stats.queued_tasks) == (
        5,
        50,
        0,
        0,
    )
    with pytest.raises(ValueError, match="max_workers"):
        claude_fake.set_max_workers(0)
    with pytest.raises(AttributeError):
        stats.refused = 3  # type: ignore[misc]  # frozen


def test_chat_over_a_full_pool_is_503_with_the_services_detail(
    claude_fake: FakeService, http: httpx2.Client, background: Callable[..., dict[str, Any]]
) -> None:
    fill_pool(claude_fake, background, workers=1)
    r = http.post(CHAT, json={"messages": [{"role": "user", "content": "hi"}]})
    assert (r.status_code, r.json()) == (503, {"detail": overloaded(1, 10)})
    assert "retry-after" not in r.headers and "x-error-category" not in r.headers
    assert claude_fake.pool_stats().refused == 1


def test_task_over_a_full_pool_is_a_200_failed(
    claude_fake: FakeService, http: httpx2.Client, background: Callable[..., dict[str, Any]]
) -> None:
    fill_pool(claude_fake, background, workers=1)
    r = http.post(TASK, json={"description": "count the files"})
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["result"], body["usage"]) == (
        "failed",
        {"error": overloaded(1, 10)},
        {},
    )
    assert (body["execution_log"], body["artifacts"]) == ([], [])


def test_process_cli_path_over_a_full_pool_is_503(
    claude_fake: FakeService, http: httpx2.Client, background: Callable[..., dict[str, Any]]
) -> None:
    fill_pool(claude_fake, background, workers=2)
    r = http.post(
        "/v1/process", json={"provider": "claudecode", "model_name": "haiku", "user_message": "x"}
    )
    assert (r.status_code, r.json()) == (503, {"detail": overloaded(2, 20)})
    # The SDK path does not use the pool.
    claude_fake.latency(0)
    r = http.post(
        "/v1/process",
        json={
            "provider": "claudecode",
            "model_name": "haiku",
            "user_message": "x",
            "use_cli": False,
        },
    )
    assert r.status_code == 200


def test_batch_overflow_fails_whole_while_admitted_prompts_keep_running(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_max_workers(1)
    claude_fake.latency(0.02)
    r = http.post(BATCH, json=batch_body(12))  # 1 running + 10 queued admitted, the 12th refused
    assert (r.status_code, r.json()) == (503, {"detail": overloaded(1, 10)})
    wait_until(lambda: claude_fake.pool_stats().runs_completed == 11)
    runs = claude_fake.prompt_runs()
    assert runs == {f"p{i}": 1 for i in range(11)}  # p11 never ran, none ran twice
    stats = claude_fake.pool_stats()
    assert (stats.refused, stats.peak_active, stats.peak_queued) == (1, 1, 10)
    assert claude_fake.tokens_used("default") == 0  # results discarded, not billed


def test_55_prompts_fit_an_idle_default_pool_56_never_do(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    assert http.post(BATCH, json=batch_body(55)).json()["completed"] == 55
    r = http.post(BATCH, json=batch_body(56))
    assert (r.status_code, r.json()) == (503, {"detail": overloaded(5, 50)})


# --------------------------------------------------------------------------- waiting


def test_chat_queue_time_counts_and_the_timed_out_prompt_still_runs(
    claude_fake: FakeService, http: httpx2.Client, background: Callable[..., dict[str, Any]]
) -> None:
    claude_fake.set_max_workers(1)
    claude_fake.latency(1.0)
    blocker = background("POST", BATCH, json=batch_body(2, "block"))  # holds the worker 2 s
    wait_until(lambda: claude_fake.pool_stats().queued_tasks == 1)
    started = time.monotonic()
    r = http.post(CHAT, json={"messages": [{"role": "user", "content": "late"}], "timeout": 1})
    assert time.monotonic() - started < 1.9  # its wait began at submission, not at its start
    assert (r.status_code, r.json()) == (504, {"detail": "Task timed out after 1.0 seconds"})
    assert "x-error-category" not in r.headers
    assert claude_fake.prompt_runs()["user: late"] == 0  # still queued when its wait ended
    wait_until(lambda: claude_fake.prompt_runs()["user: late"] == 1)  # not removed: it runs
    wait_until(lambda: "response" in blocker)
    assert blocker["response"].json()["completed"] == 2
    wait_until(lambda: claude_fake.pool_stats().active_workers == 0)
    stats = claude_fake.pool_stats()
    assert (stats.timed_out, stats.runs_started, stats.runs_completed) == (1, 3, 3)
    billed = {r.model for r in claude_fake.usage_records("default")}
    assert billed == {"haiku"}  # the dropped chat result was never billed
    assert len(claude_fake.usage_records("default")) == 2


def test_batch_waits_per_item_from_when_collection_reaches_it(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    # One worker, 0.4 s runs, timeout 1 s: the 3rd item ends ~1.2 s after submission but
    # only ~0.4 s after collection reached it, so it completes.
    claude_fake.set_max_workers(1)
    claude_fake.latency(0.4)
    body = http.post(BATCH, json=batch_body(3, timeout=1)).json()
    assert [r["status"] for r in body["results"]] == ["completed"] * 3


def test_a_running_prompt_is_killed_at_its_timeout(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.latency(30)
    started = time.monotonic()
    body = http.post(BATCH, json=batch_body(2, timeout=1)).json()
    assert time.monotonic() - started < 5
    assert [r["error"] for r in body["results"]] == ["Task timed out after 1.0 seconds"] * 2
    assert (body["completed"], body["failed"]) == (0, 2)
    wait_until(lambda: claude_fake.pool_stats().active_workers == 0)  # workers freed
    assert claude_fake.pool_stats().timed_out == 2


def test_process_timeout_is_max_30_or_max_tokens_over_10(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.latency(200)
    claude_fake.set_max_workers(1)
    body = {"provider": "claudecode", "model_name": "haiku", "user_message": "x"}
    out: dict[str, Any] = {}

    def call() -> None:
        out["r"] = http.post("/v1/process", json=body, timeout=300)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    wait_until(lambda: claude_fake.pool_stats().active_workers == 1)
    claude_fake.reset()  # kills the run: the route answers at once
    thread.join(10)
    assert out["r"].status_code == 504
    assert out["r"].json() == {"detail": "Task timed out after 100.0 seconds"}


# --------------------------------------------------------------------------- /health


def test_health_reports_the_live_pool(
    claude_fake: FakeService, anon: httpx2.Client, background: Callable[..., dict[str, Any]]
) -> None:
    def pool() -> dict[str, Any]:
        entry: dict[str, Any] = anon.get("/health").json()["services"]["worker_pool"]
        assert entry["status"] == entry["detail"]["status"]
        return entry["detail"]  # type: ignore[no-any-return]

    assert pool() == {
        "status": "ok",
        "active_workers": 0,
        "max_workers": 5,
        "queued_tasks": 0,
        "max_queue": 50,
    }
    claude_fake.set_max_workers(2)
    claude_fake.latency(30)
    background("POST", BATCH, json=batch_body(6, "a", timeout=300))
    wait_until(lambda: claude_fake.pool_stats().queued_tasks == 4)
    assert pool() == {
        "status": "ok",  # 4 queued is not > 2 x 2
        "active_workers": 2,
        "max_workers": 2,
        "queued_tasks": 4,
        "max_queue": 20,
    }
    background("POST", BATCH, json=batch_body(1, "b", timeout=300))
    wait_until(lambda: claude_fake.pool_stats().queued_tasks == 5)
    assert pool()["status"] == "degraded"
    background("POST", BATCH, json=batch_body(15, "c", timeout=300))
    wait_until(lambda: claude_fake.pool_stats().queued_tasks == 20)
    assert pool()["status"] == "overloaded"
    assert anon.get("/health").json()["status"] == "degraded"


# --------------------------------------------------------------------------- controls


def test_raising_max_workers_starts_queued_runs(
    claude_fake: FakeService, background: Callable[..., dict[str, Any]]
) -> None:
    claude_fake.set_max_workers(1)
    claude_fake.latency(30)
    background("POST", BATCH, json=batch_body(4, timeout=300))
    wait_until(lambda: claude_fake.pool_stats().queued_tasks == 3)
    claude_fake.set_max_workers(4)
    wait_until(lambda: claude_fake.pool_stats().active_workers == 4)
    assert claude_fake.pool_stats().queued_tasks == 0


def test_reset_restores_the_serve_value_and_zeroes_counters(http: httpx2.Client) -> None:
    with serve(max_workers=3) as fake:
        fake.set_max_workers(7)
        with httpx2.Client(base_url=fake.base_url, headers=fake.auth_headers()) as client:
            assert client.post(BATCH, json=batch_body(3)).json()["completed"] == 3
        assert fake.pool_stats().runs_started == 3
        fake.reset()
        stats = fake.pool_stats()
        assert (stats.max_workers, stats.max_queue, stats.runs_started) == (3, 30, 0)
        assert fake.prompt_runs() == {}


def test_jitter_is_seeded_and_bounded(claude_fake: FakeService) -> None:
    claude_fake.latency(0.5, jitter=0.25)
    first = [claude_fake.pool.draw_duration() for _ in range(20)]
    assert all(0.5 <= d <= 0.75 for d in first) and len(set(first)) > 1
    claude_fake.reset()
    claude_fake.latency(0.5, jitter=0.25)
    assert [claude_fake.pool.draw_duration() for _ in range(20)] == first
    with pytest.raises(ValueError):
        claude_fake.latency(-1)


def test_tool_path_and_process_sdk_path_stay_outside_the_pool(
    claude_fake: FakeService, http: httpx2.Client
) -> None:
    claude_fake.set_tool_passthrough(True)
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    r = http.post(CHAT, json={"messages": [{"role": "user", "content": "hi"}], "tools": tools})
    assert r.json()["id"] == "sdk-direct"
    r = http.post(
        "/v1/process",
        json={"provider": "x", "model_name": "sonnet", "user_message": "hi", "use_cli": False},
    )
    assert r.status_code == 200
    assert claude_fake.pool_stats().runs_started == 0


def test_cli_flag_sets_max_workers() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "claude_client.testing", "--port", "0", "--max-workers", "7"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        base_url = first.split(" on ", 1)[1].split(" ", 1)[0]
        detail = httpx2.get(base_url + "/health", timeout=10).json()["services"]["worker_pool"]
        assert (detail["detail"]["max_workers"], detail["detail"]["max_queue"]) == (7, 70)
    finally:
        proc.terminate()
        proc.wait(10)
