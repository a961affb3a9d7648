"""What a terminal shows: the batch progress bar and task spinner in a real pty, plain
lines when stderr is a pipe, and Ctrl-C (SIGINT) ending a batch within a second."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time

import pytest
from cli_kit import cli_env, read_lines, start, wait_for_lines, write_prompts

from claude_client.testing import FakeService

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals and signals")


def read_pty_until(fd: int, proc: subprocess.Popen[bytes], needles: list[str], limit: float) -> str:
    """Read the pty until every needle appeared (or the process ended); bounded."""
    seen = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        text = seen.decode("utf-8", "replace")
        if all(n in text for n in needles):
            return text
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    return seen.decode("utf-8", "replace")


def test_progress_bar_renders_on_a_terminal(fake: FakeService, tmp_path) -> None:
    fake.latency(0.02)
    src = write_prompts(tmp_path / "in.txt", [f"q {i}" for i in range(120)])
    master, slave = pty.openpty()
    proc = start(
        ["batch", str(src), "-o", str(tmp_path / "out.jsonl"), "-m", "haiku"],
        cli_env(fake),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    try:
        text = read_pty_until(master, proc, ["\x1b[2K[", "/120 failed 0 |", "120/120"], 60)
    finally:
        assert proc.wait(timeout=60) == 0
        os.close(master)
    assert "\r\x1b[2K[" in text  # redrawn in place
    bar = text.split("\r\x1b[2K")[-1]
    assert bar.startswith("[" + "#" * 24 + "] 120/120 failed 0 | ")
    for part in ("/s | ETA ", " tok | $"):
        assert part in bar
    assert "progress:" not in text  # no plain lines on a terminal


def test_no_bar_when_stderr_is_a_pipe_only_plain_lines(run, fake: FakeService, tmp_path) -> None:
    fake.latency(0.02)
    src = write_prompts(tmp_path / "in.txt", [f"q {i}" for i in range(40)])
    result = run("batch", str(src), "-o", str(tmp_path / "out.jsonl"), "--progress-interval", "0.1")
    assert result.status == 0, result.err
    assert "\r" not in result.err and "\x1b" not in result.err and "#" not in result.err
    lines = [line for line in result.err.splitlines() if line.startswith("progress: ")]
    assert len(lines) >= 2  # periodic, then the final one
    assert lines[-1].startswith("progress: 40/40 failed 0 | ")


def test_task_spinner_shows_the_latest_step_on_a_terminal(fake: FakeService) -> None:
    fake.latency(0.5)  # the task's model run: long enough to see the spinner turn
    master, slave = pty.openpty()
    proc = start(
        ["task", "Tidy the repo", "--tools", "Read"],
        cli_env(fake),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    try:
        text = read_pty_until(master, proc, ["Starting task execution...", "[task completed"], 60)
        out, _ = proc.communicate(timeout=60)
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert "\r\x1b[2K" in text and "s  Starting task execution..." in text
    assert any(frame in text for frame in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
    assert out.decode().startswith("Completed: Tidy the repo")


def test_sigint_ends_a_batch_within_a_second_with_a_consistent_file(
    fake: FakeService, tmp_path
) -> None:
    n = 200
    fake.latency(0.05)
    src = write_prompts(tmp_path / "in.txt", [f"q {i}" for i in range(1, n + 1)])
    out = tmp_path / "out.jsonl"
    args = ["batch", str(src), "-o", str(out), "-m", "haiku", "-c", "5"]
    proc = start(args, cli_env(fake), stderr=subprocess.PIPE)
    wait_for_lines(out, 20, proc)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    finally:
        took = time.monotonic() - sent
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
    assert proc.returncode == 130, err
    assert took < 1.0, f"SIGINT took {took:.2f} s"
    assert "interrupted" in err and "--resume" in err
    text = out.read_text()
    assert text.endswith("\n")  # no half line
    lines = read_lines(out)
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids)) and 20 <= len(ids) < n
    assert all(line["status"] == "completed" for line in lines)
    # and it continues where it stopped
    resumed = start([*args, "--resume", "-q"], cli_env(fake))
    assert resumed.wait(timeout=60) == 0
    assert sorted(line["id"] for line in read_lines(out)) == list(range(1, n + 1))
