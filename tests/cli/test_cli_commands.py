"""Each `claude-client` command, run as a subprocess against the fake: output and status."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_kit import COMMAND, cli_env

from claude_client.testing import FakeService, unused_url

# -------------------------------------------------------------------- entry points, import


def test_help_lists_every_command_and_the_exit_statuses(run) -> None:
    result = run("--help")
    assert result.status == 0
    for command in (
        "complete",
        "task",
        "batch",
        "usage",
        "health",
        "ready",
        "route",
        "providers",
        "models",
        "capabilities",
        "fake",
        "completion",
    ):
        assert command in result.out
    assert "130 interrupted" in result.out


def test_version_and_no_command(run) -> None:
    from claude_client import __version__

    assert run("--version").out.strip() == f"claude-client {__version__}"
    result = run()
    assert result.status == 2
    assert "usage:" in result.err


def test_unknown_option_is_a_usage_error(run) -> None:
    result = run("health", "--bogus")
    assert result.status == 2
    assert "unrecognized arguments: --bogus" in result.err


def test_console_script_is_installed_and_runs_the_same_command() -> None:
    script = shutil.which("claude-client", path=str(Path(sys.executable).parent))
    assert script is not None, "pip install -e . should install the claude-client script"
    proc = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    assert proc.stdout.startswith("claude-client ")


def test_import_claude_client_imports_neither_the_cli_nor_argparse() -> None:
    code = (
        "import sys, claude_client\n"
        "bad = [m for m in sys.modules if m.startswith('claude_client._cli') or m == 'argparse']\n"
        "print(','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


# -------------------------------------------------------------------- health, ready


def test_health_ok_is_status_0_with_the_pool(run) -> None:
    result = run("health")
    assert result.status == 0, result.err
    assert result.out.startswith("ok (version 0.1.0")
    assert "worker_pool" in result.out and "active 0/5" in result.out


def test_health_degraded_is_status_1_and_json(run, fake: FakeService) -> None:
    fake.set_health("redis", "unavailable")
    result = run("health", "--json")
    assert result.status == 1
    body = result.json()
    assert body["status"] == "degraded"
    assert body["services"]["redis"]["status"] == "unavailable"


def test_health_unreachable_is_status_3(run, fake: FakeService) -> None:
    env = cli_env(fake, CLAUDE_API_URL=unused_url())
    result = run("--json", "health", env=env)
    assert result.status == 3
    assert result.json()["status"] == "unreachable"
    assert "APIConnectionError" in result.err and "CLAUDE_API_URL" in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_ready(run) -> None:
    result = run("ready")
    assert (result.status, result.out.strip()) == (0, "ready")
    assert run("ready", "--json").json() == {"ready": True, "reason": None}


# -------------------------------------------------------------------- complete


def test_complete_streams_the_answer_and_reports_usage_on_stderr(run, fake: FakeService) -> None:
    fake.clear_requests()
    result = run("complete", "Explain recursion in one sentence", "--model", "haiku")
    assert result.status == 0, result.err
    assert result.out == fake.expected_answer("Explain recursion in one sentence") + "\n"
    assert "[haiku: " in result.err and " tokens, $" in result.err
    # streamed over the socket, not the REST route
    assert fake.requests_to("/v1/chat/completions") == []


def test_complete_reads_stdin_and_no_stream_uses_rest(run, fake: FakeService) -> None:
    fake.clear_requests()
    result = run("complete", "--no-stream", "-q", input="hello   there\n")
    assert result.status == 0, result.err
    assert result.out == "Answer: hello there\n"
    assert result.err == ""  # --quiet
    assert len(fake.requests_to("/v1/chat/completions")) == 1


def test_complete_json_is_the_whole_result(run, fake: FakeService) -> None:
    body = run("complete", "--json", "-m", "sonnet", "x y").json()
    assert body["content"] == "Answer: x y"
    assert body["model"] == "sonnet"
    assert body["usage"]["total_tokens"] == 6
    assert body["cost"] == pytest.approx(fake.expected_cost("x y", "sonnet"))


def test_empty_prompt_is_a_usage_error_before_any_request(run, fake: FakeService) -> None:
    fake.clear_requests()
    result = run("complete")
    assert result.status == 2
    assert "PROMPT" in result.err
    assert fake.requests == []


@pytest.mark.parametrize(
    ("setup", "args", "status", "name"),
    [
        ("no key", ["complete", "--no-stream", "hi"], 4, "AuthenticationError"),
        ("fail 429", ["complete", "--no-stream", "hi"], 8, "RateLimitError"),
        ("fail 504", ["complete", "--no-stream", "hi"], 10, "TimeoutError"),
        ("fail 500", ["complete", "--no-stream", "hi"], 11, "ServerError"),
        ("fail 403", ["complete", "--no-stream", "hi"], 5, "PermissionDeniedError"),
        ("budget", ["complete", "--no-stream", "hi"], 9, "BudgetExceededError"),
        ("", ["complete", "--model", "gpt-4", "hi"], 7, "InvalidInputError"),
        ("", ["models", "nope"], 6, "NotFoundError"),
        ("", ["--timeout", "-1", "usage"], 2, "timeout"),
    ],
)
def test_every_error_class_has_its_exit_status_and_one_line(
    run, fake: FakeService, setup: str, args: list[str], status: int, name: str
) -> None:
    env = cli_env(fake)
    if setup == "no key":
        env.pop("CLAUDE_API_KEY")
    elif setup.startswith("fail "):
        code = int(setup.split()[1])
        detail = "Permission denied: tool not allowed" if code == 403 else None
        # Retry-After 0: the SDK's retries happen at once, the test stays fast.
        fake.fail_next(None, status=code, detail=detail, retry_after=0, path="/v1/chat/completions")
    elif setup == "budget":
        fake.set_budget("default", 1)
    result = run("--timeout", "20", *args, env=env)
    assert result.status == status, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("claude-client: error: "), result.err
    assert name in lines[0]


def test_the_key_is_never_printed(run, fake: FakeService) -> None:
    key = fake.add_key()
    env = cli_env(fake)
    env.pop("CLAUDE_API_KEY")
    outputs = [
        run("--key", key, "--json", "complete", "--no-stream", "hi", env=env),
        run("--key", key, "usage", env=env),
        run("--key", key, "--json", "health", env=env),
    ]
    fake.revoke_key(key)
    outputs.append(run("--key", key, "--json", "complete", "hi", env=env))
    outputs.append(run("complete", "--no-stream", "hi", env=cli_env(fake, CLAUDE_API_KEY=key)))
    for result in outputs:
        assert key not in result.out and key not in result.err
    assert [r.status for r in outputs] == [0, 0, 0, 4, 4]
    assert "--key is visible to other users in the process list" in outputs[0].err
    assert "prefer the CLAUDE_API_KEY environment variable" in outputs[0].err
    assert "warning" not in outputs[-1].err  # the environment gives no warning


# -------------------------------------------------------------------- task


def test_task_completed_shows_summary_artifacts_and_cost(run) -> None:
    result = run("task", "Summarise the README", "--tools", "Read,Grep", "--max-cost", "0.5")
    assert result.status == 0, result.err
    assert result.out.startswith("Completed: Summarise the README")
    assert "[task completed, model " in result.err and "cost $" in result.err


def test_task_json_is_the_task_result(run) -> None:
    body = run("task", "--json", "Count files", "--timeout", "60").json()
    assert body["status"] == "completed"
    assert "summary" in body["result"]


@pytest.mark.parametrize(
    ("marker", "status", "name"),
    [
        ("[cost_exceeded]", 9, "BudgetExceededError"),
        ("[crash]", 11, "ServerError"),
    ],
)
def test_task_outcomes_have_their_exit_status(run, marker: str, status: int, name: str) -> None:
    result = run("task", f"{marker} do it")
    assert result.status == status, result.err
    assert name in result.err


def test_task_failed_is_status_12_and_timeout_10(run, fake: FakeService) -> None:
    base = {
        "task_id": "t1",
        "result": {"error": "the tool crashed"},
        "usage": {},
        "execution_log": [],
        "artifacts": [],
    }
    fake.fail_next(1, status=200, path="/v1/task", body={**base, "status": "failed"})
    failed = run("task", "x")
    assert failed.status == 12, failed.err
    assert "TaskFailedError" in failed.err
    fake.fail_next(1, status=200, path="/v1/task", body={**base, "status": "timeout"})
    timed_out = run("task", "--json", "x")
    assert timed_out.status == 10, timed_out.err
    assert timed_out.json()["status"] == "timeout"


# -------------------------------------------------------------------- small routes


def test_usage_table(run, fake: FakeService) -> None:
    run("complete", "--no-stream", "-m", "haiku", "one two")
    result = run("usage", "--period", "day")
    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "project default, period day"
    assert lines[1].split() == ["model", "tokens", "cost"]
    assert any(line.split()[0] == "haiku" for line in lines[2:])
    assert any(line.startswith("total") for line in lines)
    assert lines[-1] == "limit: none"
    fake.set_budget("default", 1000)
    assert run("usage").out.splitlines()[-1].startswith("limit: 1,000 tokens, remaining ")
    assert run("usage", "--json").json()["limit"] == 1000


def test_route_providers_models_capabilities(run) -> None:
    assert run("route", "write a python function").out.strip() in ("haiku", "sonnet", "opus")
    providers = run("providers")
    assert providers.status == 0 and "claudecode  (available)  haiku, sonnet, opus" in providers.out
    models = run("models", "claudecode")
    assert models.out.splitlines()[1].startswith("sonnet") and "8192" in models.out
    caps = run("capabilities", "review")
    assert "code-reviewer" in caps.out
    assert run("capabilities", "--json", "no-such-thing").json() == {"agents": [], "skills": []}


# -------------------------------------------------------------------- completion


def test_bash_completion_is_generated_from_the_parser_and_sources_cleanly(run, tmp_path) -> None:
    result = run("completion", "bash")
    assert result.status == 0
    script = tmp_path / "claude-client.bash"
    script.write_text(result.out)
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    # Source it and ask for completions as bash would.
    probe = (
        f"source {script}\n"
        'COMP_WORDS=(claude-client ba); COMP_CWORD=1; _claude_client; echo "${COMPREPLY[@]}"\n'
        "COMP_WORDS=(claude-client batch --res); COMP_CWORD=2; _claude_client; "
        'echo "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["batch", "--resume"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion(run, tmp_path, shell: str) -> None:
    result = run("completion", shell)
    assert result.status == 0
    assert "max-cost" in result.out and "capabilities" in result.out
    if shutil.which(shell):
        script = tmp_path / f"c.{shell}"
        script.write_text(result.out)
        check = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


# -------------------------------------------------------------------- fake


def test_fake_command_prints_url_and_key_and_serves(tmp_path) -> None:
    proc = subprocess.Popen(
        [*COMMAND, "fake", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(None),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        info = json.loads(line)
        assert info["url"].startswith("http://127.0.0.1:") and info["key"].startswith("cc_")
        env = cli_env(None, CLAUDE_API_URL=info["url"], CLAUDE_API_KEY=info["key"])
        done = subprocess.run(
            [*COMMAND, "complete", "-q", "--no-stream", "ping"],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )
        assert done.stdout == "Answer: ping\n", done.stderr
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0


def test_a_reader_that_leaves_early_is_not_an_error(fake: FakeService) -> None:
    fake.set_answer_words(20000)  # a long answer, more than a pipe buffer holds
    proc = subprocess.Popen(
        [*COMMAND, "complete", "--no-stream", "-q", "long"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(fake),
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert len(proc.stdout.read(10)) == 10
    proc.stdout.close()  # `| head -c 10`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 0
    assert err == ""


def test_task_lists_its_artifacts_with_their_size(run, fake: FakeService) -> None:
    # The fake invents no artifacts (as the service): answer one task with a body that has.
    body = {
        "task_id": "t2",
        "status": "completed",
        "result": {"summary": "Wrote the report"},
        "usage": {"total_tokens": 42, "total_cost": 0.0021, "model_used": "sonnet"},
        "execution_log": [],
        "artifacts": [
            {"type": "file", "path": "out/report.md", "size_bytes": 1234, "created_at": "now"}
        ],
    }
    fake.fail_next(1, status=200, path="/v1/task", body=body)
    result = run("task", "Write the report")
    assert result.status == 0, result.err
    assert result.out == "Wrote the report\n\nArtifacts:\n  out/report.md  (1234 bytes)\n"
    assert "[task completed, model sonnet, 42 tokens, cost $0.002100]" in result.err
