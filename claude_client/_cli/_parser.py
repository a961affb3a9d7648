"""The ``claude-client`` argument parser (argparse: stdlib only, so ``--help`` is fast)."""

from __future__ import annotations

import argparse
from typing import Any

from .. import __version__ as VERSION
from ._common import PROG

DESCRIPTION = """\
The Claude Code API Service from the command line, built on the claude_client SDK.
Configuration: --url / CLAUDE_API_URL (default http://localhost:8006), CLAUDE_API_KEY
(preferred to --key), --timeout / CLAUDE_TIMEOUT."""

EPILOG = """\
exit statuses: 0 ok, 1 other error, 2 usage error, 3 cannot connect, 4 authentication,
5 permission, 6 not found, 7 request rejected, 8 rate limited, 9 budget or cost limit,
10 timeout, 11 server error, 12 task failed, 130 interrupted.
health/ready: 0 ok/ready, 1 degraded/not ready, 3 unreachable."""

COMMANDS = (
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
)


def _global_options(*, with_timeout: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the command (``--json health`` = ``health --json``).

    Defaults are suppressed so that a value given before the command is not overwritten
    by the subcommand's default.
    """
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("global options")
    s = argparse.SUPPRESS
    group.add_argument(
        "--url", default=s, metavar="URL", help="service URL (default: $CLAUDE_API_URL)"
    )
    group.add_argument(
        "--key",
        default=s,
        metavar="KEY",
        help="API key; visible in the process list: prefer $CLAUDE_API_KEY",
    )
    group.add_argument(
        "--project", default=s, metavar="ID", help="project id (tasks, per-project billing)"
    )
    if with_timeout:
        group.add_argument(
            "--timeout",
            type=float,
            default=s,
            metavar="SECONDS",
            help="deadline of each call (default: $CLAUDE_TIMEOUT or 300)",
        )
    group.add_argument("--json", action="store_true", default=s, help="machine-readable output")
    group.add_argument(
        "-q", "--quiet", action="store_true", default=s, help="no progress or usage lines"
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options, then one subcommand."""
    fmt: Any = argparse.RawDescriptionHelpFormatter
    common = _global_options(with_timeout=True)
    common_no_timeout = _global_options(with_timeout=False)
    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG, formatter_class=fmt, parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, help: str, *, parent: argparse.ArgumentParser = common) -> Any:
        return sub.add_parser(
            name, help=help, description=help, parents=[parent], formatter_class=fmt
        )

    p = command("complete", "one chat completion, streamed to the terminal as it arrives")
    p.add_argument("prompt", nargs="?", help="the prompt (default: standard input)")
    p.add_argument("-m", "--model", default="auto", help="auto, haiku, sonnet or opus")
    p.add_argument(
        "--no-stream", action="store_true", help="one REST call instead of the WebSocket stream"
    )

    p = command(
        "task",
        "run an agentic task, showing its steps live, then summary, artifacts and cost",
        parent=common_no_timeout,
    )
    p.add_argument("description", nargs="?", help="what to do (default: standard input)")
    p.add_argument("--tools", action="append", metavar="NAMES", help="allowed tools (a,b,...)")
    p.add_argument("--agents", action="append", metavar="NAMES", help="allowed agents")
    p.add_argument("--skills", action="append", metavar="NAMES", help="allowed skills")
    p.add_argument(
        "--max-cost", type=float, default=1.0, metavar="USD", help="cost limit (default 1.0)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        dest="task_timeout",
        default=None,
        metavar="SECONDS",
        help="deadline of the task (default: $CLAUDE_TIMEOUT or 300); the service's own "
        "limit is derived from it",
    )
    p.add_argument("--workdir", metavar="DIR", help="working directory on the service side")
    p.add_argument("-m", "--model", default=None, help="model (default: the service picks)")

    p = command(
        "batch",
        "many prompts, one JSONL line per prompt as soon as it completes; resumable",
    )
    p.add_argument(
        "input",
        help="file or '-': text lines (one prompt each), a JSON list (strings or "
        "{id, prompt}) or JSONL {id, prompt}",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="JSONL results (default: stdout)")
    p.add_argument(
        "--resume", action="store_true", help="skip ids already in the output file and append"
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing non-empty output file"
    )
    p.add_argument("-m", "--model", default="auto", help="auto, haiku, sonnet or opus")
    p.add_argument(
        "-c",
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="prompts in flight (default: the service's max_workers from /health, else 5)",
    )
    p.add_argument(
        "--max-cost",
        type=float,
        default=None,
        metavar="USD",
        help="send no new prompt once the spent cost (output file included) reaches it",
    )
    p.add_argument(
        "--progress-interval",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds between progress lines when stderr is not a terminal (default 10)",
    )

    p = command("usage", "usage by model with totals, limit and remaining")
    p.add_argument("--period", default="month", choices=("day", "week", "month"))

    command("health", "service health: exit 0 ok, 1 degraded, 3 unreachable")
    command("ready", "readiness: exit 0 ready, 1 not ready, 3 unreachable")

    p = command("route", "the model the service recommends for a prompt")
    p.add_argument("prompt", nargs="?", help="the prompt (default: standard input)")
    p.add_argument("--context-size", type=int, default=0, metavar="TOKENS")

    command("providers", "model providers and their models")
    p = command("models", "the models of one provider")
    p.add_argument("provider", help="e.g. claudecode or anthropic")

    p = command("capabilities", "agents and skills available to tasks")
    p.add_argument("search", nargs="?", help="show only names/descriptions containing this")

    p = sub.add_parser(
        "fake",
        help="run the embedded fake service (needs the 'testing' extra); prints URL and key",
        description="Run the embedded fake service on 127.0.0.1 until Ctrl-C.",
    )
    p.add_argument("--port", type=int, default=8006, help="TCP port (0 = any free port)")
    p.add_argument("--max-workers", type=int, default=5, metavar="N", help="worker pool size")
    p.add_argument("--rpm", type=int, default=100, metavar="N", help="requests/minute per key")
    p.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS", help="time one model run takes"
    )
    p.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help='print {"url", "key"} as one JSON line',
    )

    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script, e.g. "
        '`eval "$(claude-client completion bash)"` in ~/.bashrc.',
    )
    p.add_argument("shell", choices=("bash", "zsh", "fish"))
    return parser
