"""`claude-client batch`: input formats, one line per prompt, resume after SIGKILL, --max-cost."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest
from cli_kit import cli_env, read_lines, start, wait_for_lines, write_prompts

from claude_client.testing import FakeService, unused_url


def prompts(n: int, tag: str = "p") -> list[str]:
    return [f"{tag} number {i}" for i in range(1, n + 1)]


def by_id(lines: list[dict]) -> dict:
    return {line["id"]: line for line in lines}


def runs_per_prompt(fake: FakeService) -> dict[str, int]:
    # The fake counts chat runs by the flattened prompt ("user: <prompt>").
    return {k.removeprefix("user: "): v for k, v in fake.prompt_runs().items()}


# -------------------------------------------------------------------- input and output


def test_text_lines_json_list_and_jsonl_with_stable_ids(run, fake: FakeService, tmp_path) -> None:
    text = tmp_path / "in.txt"
    text.write_text("first prompt\n\nsecond prompt\n")
    result = run("batch", str(text), "-m", "haiku", "-q")
    assert result.status == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert sorted(line["id"] for line in lines) == [1, 3]  # line numbers, blank line skipped
    first = by_id(lines)[1]
    assert first == {
        "id": 1,
        "status": "completed",
        "content": fake.expected_answer("first prompt"),
        "usage": first["usage"],
        "cost": pytest.approx(fake.expected_cost("first prompt", "haiku")),
        "model": "haiku",
    }
    assert first["usage"]["total_tokens"] > 0

    listed = run("batch", "-", "-q", input=json.dumps(["a b", {"id": "q2", "prompt": "c d"}]))
    assert listed.status == 0, listed.err
    assert {x["id"]: x["content"] for x in map(json.loads, listed.out.splitlines())} == {
        1: "Answer: a b",
        "q2": "Answer: c d",
    }

    jsonl = '{"id": "x", "prompt": "e f"}\n{"prompt": "g h"}\n'
    result = run("batch", "-", "-q", input=jsonl)
    assert {x["id"] for x in map(json.loads, result.out.splitlines())} == {"x", 2}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": 1, "prompt": "a"}\n{"id": 1, "prompt": "b"}\n', "id 1 appears twice"),
        ('[{"id": "k", "prompt": "a"}, {"id": "k", "prompt": "b"}]', 'id "k" appears twice'),
        ('["a", "  "]', "is empty"),
        ('[{"prompt": 3}]', "'prompt' must be a string"),
        ("[not json", "not valid JSON"),
    ],
)
def test_bad_input_is_a_usage_error_before_anything_is_sent(
    run, fake: FakeService, content: str, message: str
) -> None:
    fake.clear_requests()
    result = run("batch", "-", input=content)
    assert result.status == 2
    assert message in result.err
    assert fake.requests == []


def test_an_existing_output_needs_resume_or_overwrite(run, tmp_path) -> None:
    src = write_prompts(tmp_path / "in.txt", ["a"])
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": 1, "status": "completed"}\n')
    result = run("batch", str(src), "-o", str(out))
    assert result.status == 2 and "--resume" in result.err
    assert run("batch", str(src), "--resume").status == 2  # --resume needs -o
    assert run("batch", str(src), "-o", str(out), "--overwrite", "-q").status == 0
    assert read_lines(out)[0]["content"] == "Answer: a"


def test_a_failing_prompt_gets_a_failed_line_and_the_others_complete(
    run, fake: FakeService, tmp_path
) -> None:
    src = write_prompts(tmp_path / "in.txt", ["ok one", "[fail] bad", "ok two"])
    out = tmp_path / "out.jsonl"
    result = run("batch", str(src), "-o", str(out), "-q")
    assert result.status == 1  # some prompts failed: their lines say why
    lines = by_id(read_lines(out))
    assert lines[1]["status"] == lines[3]["status"] == "completed"
    assert lines[2]["status"] == "failed"
    assert lines[2]["error"]["type"] == "ServerError"
    assert lines[2]["error"]["status_code"] == 502
    assert set(lines[2]) == {"id", "status", "error"}


def test_an_unreachable_service_stops_the_run_without_writing_failures(
    run, fake: FakeService, tmp_path
) -> None:
    src = write_prompts(tmp_path / "in.txt", prompts(20))
    out = tmp_path / "out.jsonl"
    result = run("batch", str(src), "-o", str(out), env=cli_env(fake, CLAUDE_API_URL=unused_url()))
    assert result.status == 3
    assert "APIConnectionError" in result.err and "--resume" in result.err
    assert read_lines(out) == []  # nothing is marked failed: --resume sends them later


def test_default_concurrency_is_the_pools_max_workers(run, fake: FakeService, tmp_path) -> None:
    fake.set_max_workers(3)
    fake.latency(0.02)
    src = write_prompts(tmp_path / "in.txt", prompts(30))
    result = run("batch", str(src), "-o", str(tmp_path / "out.jsonl"), "-q")
    assert result.status == 0, result.err
    stats = fake.pool_stats()
    assert stats.peak_active == 3
    assert stats.refused == 0 and stats.peak_queued == 0


# -------------------------------------------------------------------- resume


def test_resume_repairs_a_cut_last_line_and_skips_answered_ids(
    run, fake: FakeService, tmp_path
) -> None:
    src = write_prompts(tmp_path / "in.txt", prompts(5))
    out = tmp_path / "out.jsonl"
    good = [
        {
            "id": 1,
            "status": "completed",
            "content": "kept",
            "usage": {"total_tokens": 2},
            "cost": 0.5,
            "model": "haiku",
        },
        {
            "id": 2,
            "status": "failed",
            "error": {"type": "ServerError", "message": "x", "status_code": 502},
        },
    ]
    # id 3's line was cut by the kill: it goes, and id 3 is asked again.
    out.write_text("".join(json.dumps(x) + "\n" for x in good) + '{"id": 3, "sta')
    result = run("batch", str(src), "-o", str(out), "--resume")
    assert result.status == 1, result.err  # id 2 stays failed
    assert "resuming: 2 of 5 prompts already answered" in result.err
    lines = read_lines(out)
    assert sorted(line["id"] for line in lines) == [1, 2, 3, 4, 5]
    assert by_id(lines)[1]["content"] == "kept"
    assert runs_per_prompt(fake) == {"p number 3": 1, "p number 4": 1, "p number 5": 1}

    # A whole last line that only lost its newline is kept (the newline is added).
    other = tmp_path / "other.jsonl"
    whole = {"id": 1, "status": "completed", "content": "whole", "cost": 0.0}
    other.write_text(json.dumps(whole))
    assert run("batch", str(src), "-o", str(other), "--resume", "-q").status == 0
    assert by_id(read_lines(other))[1]["content"] == "whole"
    assert len(read_lines(other)) == 5
    assert "p number 1" not in runs_per_prompt(fake)  # its line was kept: not asked


def test_sigkill_midway_then_resume_gives_one_line_per_id_and_no_prompt_twice(
    fake: FakeService, tmp_path
) -> None:
    n, concurrency = 300, 5
    fake.latency(0.01, jitter=0.02)
    src = write_prompts(tmp_path / "in.txt", prompts(n))
    out = tmp_path / "out.jsonl"
    args = ["batch", str(src), "-o", str(out), "-m", "haiku", "-c", str(concurrency), "-q"]
    proc = start(args, cli_env(fake))
    try:
        wait_for_lines(out, 60, proc)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    before = {line["id"] for line in read_lines(out)}
    assert 60 <= len(before) < n

    resumed = start([*args, "--resume"], cli_env(fake))
    assert resumed.wait(timeout=60) == 0
    lines = read_lines(out)
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids)) == n  # none duplicated
    assert set(ids) == set(range(1, n + 1))  # none missing
    assert all(line["status"] == "completed" for line in lines)
    runs = runs_per_prompt(fake)
    twice = {p for p, count in runs.items() if count > 1}
    # Only the prompts in flight at the kill ran again, never one with a line.
    assert len(twice) <= concurrency
    assert not {int(p.split()[-1]) for p in twice} & before
    assert set(runs) == {f"p number {i}" for i in range(1, n + 1)}


# -------------------------------------------------------------------- --max-cost


def test_max_cost_stops_near_the_limit_with_its_own_status(
    run, fake: FakeService, tmp_path
) -> None:
    fake.latency(0.01)
    items = prompts(200, "same length")
    src = write_prompts(tmp_path / "in.txt", items)
    each = fake.expected_cost(items[0], "haiku")
    limit = 20 * each
    out = tmp_path / "out.jsonl"
    result = run(
        "batch", str(src), "-o", str(out), "-m", "haiku", "-c", "4", "--max-cost", repr(limit)
    )
    assert result.status == 9, result.err
    assert "--max-cost" in result.err and "--resume" in result.err
    lines = read_lines(out)
    spent = sum(line["cost"] for line in lines)
    assert spent >= limit - 1e-12
    assert len(lines) <= 20 + 4  # at most the prompts in flight when it was reached
    # Resuming with the same limit sends nothing more: the file's cost counts.
    again = run(
        "batch", str(src), "-o", str(out), "-m", "haiku", "--max-cost", repr(limit), "--resume"
    )
    assert again.status == 9
    assert len(read_lines(out)) == len(lines)


def test_rate_limit_refusals_wait_and_retry_instead_of_failing(
    run, fake: FakeService, tmp_path
) -> None:
    # More 429s than the SDK's own retries (2): the batch waits (Retry-After 0 here) and
    # sends again, so every prompt completes.
    fake.fail_next(6, status=429, retry_after=0, path="/v1/chat/completions")
    src = write_prompts(tmp_path / "in.txt", prompts(4))
    out = tmp_path / "out.jsonl"
    result = run("batch", str(src), "-o", str(out), "-c", "1", "-q")
    assert result.status == 0, result.err
    assert [line["status"] for line in read_lines(out)] == ["completed"] * 4


def test_a_reader_that_leaves_stops_the_batch(fake: FakeService, tmp_path) -> None:
    fake.latency(0.01)
    src = write_prompts(tmp_path / "in.txt", prompts(200))
    proc = start(
        ["batch", str(src), "-c", "2", "-q"],
        cli_env(fake),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert json.loads(proc.stdout.readline())["status"] == "completed"
    proc.stdout.close()  # `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 1
    assert "BrokenPipeError" in err and "Exception ignored" not in err
    assert "Traceback" not in err
    assert sum(runs_per_prompt(fake).values()) < 200  # it stopped sending
