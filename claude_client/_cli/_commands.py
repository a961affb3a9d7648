"""The ``claude-client`` commands other than ``batch`` and ``completion``."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

from .. import APIConnectionError, APITimeoutError, ClaudeAPIError, ServerError
from ._common import (
    EXIT_CONNECTION,
    EXIT_ERROR,
    EXIT_OK,
    UsageError,
    dumps,
    error_message,
    exit_status,
    info,
    make_async_client,
    make_client,
    money,
    print_json,
    read_text_argument,
    redact,
    report,
    want_json,
)

if TYPE_CHECKING:
    import argparse

    from .. import TaskResult, Usage


def _out(text: str = "") -> None:
    sys.stdout.write(redact(text) + "\n")
    sys.stdout.flush()


# ----------------------------------------------------------------------------- complete


def cmd_complete(args: argparse.Namespace) -> int:
    """Stream (or, with --no-stream / --json, fetch) one answer; usage and cost on stderr."""
    prompt = read_text_argument(args.prompt, "PROMPT")
    if not prompt.strip():
        raise UsageError("PROMPT is empty")
    usage: Optional[Usage]
    cost: Optional[float]
    model: Optional[str]
    with make_client(args) as client:
        if args.no_stream or want_json(args):
            response = client.complete(prompt, model=args.model)
            if want_json(args):
                print_json(response)
                return EXIT_OK
            _out(response.content)
            usage, cost, model = response.usage, response.cost, response.model
        else:
            stream = client.stream(prompt, model=args.model)
            with stream:
                for chunk in stream:
                    sys.stdout.write(chunk)
                    sys.stdout.flush()
            sys.stdout.write("\n")
            sys.stdout.flush()
            usage, cost, model = stream.usage, stream.cost, stream.model
    tokens = f"{usage.input_tokens} in / {usage.output_tokens} out tokens" if usage else "no usage"
    info(args, f"[{model}: {tokens}, {money(cost)}]")
    return EXIT_OK


# ----------------------------------------------------------------------------- task

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def _names(values: Optional[Sequence[str]]) -> Optional[list[str]]:
    """``--tools Read,Write --tools Bash`` -> ``["Read", "Write", "Bash"]``."""
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _task_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "allow_tools": _names(args.tools),
        "allow_agents": _names(args.agents),
        "allow_skills": _names(args.skills),
        "timeout": args.task_timeout,  # None: the client's deadline
        "max_cost": args.max_cost,
    }


async def _stream_task(args: argparse.Namespace, description: str) -> TaskResult:
    """The task over the WebSocket, a spinner and its latest step on stderr meanwhile."""
    from .. import TaskResult

    latest = "starting"
    started = time.monotonic()
    err = sys.stderr

    async def spin() -> None:
        for frame in itertools.cycle(SPINNER):
            width = 60
            step = " ".join(latest.split())
            if len(step) > width:
                step = step[: width - 1] + "…"
            elapsed = time.monotonic() - started
            err.write(f"\r\x1b[2K{frame} {elapsed:5.1f}s  {step}")
            err.flush()
            await asyncio.sleep(0.1)

    async with make_async_client(args) as client:
        spinner = asyncio.ensure_future(spin())
        try:
            async with client.stream_task(
                description, project_id=getattr(args, "project", None), **_task_kwargs(args)
            ) as stream:
                async for event in stream:
                    if isinstance(event, TaskResult):
                        return event
                    latest = event.content or latest
        finally:
            spinner.cancel()
            err.write("\r\x1b[2K")
            err.flush()
    raise APIConnectionError("the task stream ended without a result")


def _show_task(args: argparse.Namespace, result: Any) -> None:
    output = result.get("result") or {}
    text = output.get("summary") or output.get("full_output") or output.get("output") or ""
    if text:
        _out(text)
    artifacts = result.get("artifacts") or []
    if artifacts:
        _out("\nArtifacts:")
        for artifact in artifacts:
            size = artifact.get("size_bytes")
            _out(f"  {artifact.get('path')}  ({'?' if size is None else size} bytes)")
    usage = result.get("usage") or {}
    parts = [f"task {result.get('status')}"]
    if usage.get("model_used"):
        parts.append(f"model {usage['model_used']}")
    if usage.get("duration_seconds") is not None:
        parts.append(f"{usage['duration_seconds']:.1f} s")
    if usage.get("total_tokens") is not None:
        parts.append(f"{usage['total_tokens']} tokens")
    parts.append(f"cost {money(usage.get('total_cost'))}")
    info(args, "[" + ", ".join(parts) + "]")


def cmd_task(args: argparse.Namespace) -> int:
    """An agentic task: live steps on a terminal, then summary, artifacts and cost."""
    description = read_text_argument(args.description, "DESCRIPTION")
    if not description.strip():
        raise UsageError("DESCRIPTION is empty")
    # The socket runs tasks with an auto-selected model and no working directory
    # (STREAMING.md): with either option, or without a terminal to show steps on, use REST.
    live = (
        sys.stderr.isatty()
        and not getattr(args, "quiet", False)
        and not want_json(args)
        and args.workdir is None
        and args.model is None
    )
    try:
        if live:
            result = asyncio.run(_stream_task(args, description))
        else:
            with make_client(args) as client:
                result = client.agentic_task(
                    description,
                    model=args.model,
                    working_directory=args.workdir,
                    project_id=getattr(args, "project", None),
                    **_task_kwargs(args),
                )
    except ClaudeAPIError as exc:
        task_result = getattr(exc, "task_result", None)
        if task_result is not None and want_json(args):
            print_json(task_result)
            print(f"claude-client: error: {error_message(exc)}", file=sys.stderr)
            return exit_status(exc)
        if task_result is not None:
            _show_task(args, task_result)
        return report(exc)
    if want_json(args):
        print_json(result)
    else:
        _show_task(args, result)
    return EXIT_OK


# ----------------------------------------------------------------------------- usage


def cmd_usage(args: argparse.Namespace) -> int:
    """Usage by model, with totals, limit and remaining."""
    with make_client(args) as client:
        usage = client.get_usage(args.period)
    if want_json(args):
        print_json(usage)
        return EXIT_OK
    rows = [(name, f"{m.tokens:,}", f"${m.cost:.6f}") for name, m in usage.by_model.items()]
    rows.append(("total", f"{usage.total_tokens:,}", f"${usage.total_cost:.6f}"))
    widths = [max(len(r[i]) for r in [("model", "tokens", "cost"), *rows]) for i in range(3)]

    def line(cells: Sequence[str]) -> str:
        return f"{cells[0]:<{widths[0]}}  {cells[1]:>{widths[1]}}  {cells[2]:>{widths[2]}}"

    _out(f"project {usage.project_id}, period {usage.period}")
    _out(line(("model", "tokens", "cost")))
    for row in rows[:-1]:
        _out(line(row))
    _out(line(["-" * w for w in widths]))
    _out(line(rows[-1]))
    if usage.limit is None:
        _out("limit: none")
    else:
        _out(f"limit: {usage.limit:,} tokens, remaining {usage.remaining or 0:,}")
    return EXIT_OK


# ----------------------------------------------------------------------------- health, ready

UNREACHABLE = (APIConnectionError, APITimeoutError, ServerError)


def _unreachable(args: argparse.Namespace, exc: ClaudeAPIError) -> int:
    if want_json(args):
        print_json({"status": "unreachable", "error": error_message(exc)})
    print(f"claude-client: error: {error_message(exc)}", file=sys.stderr)
    return EXIT_CONNECTION


def cmd_health(args: argparse.Namespace) -> int:
    """``GET /health``: 0 ok, 1 degraded, 3 unreachable (for cron and container checks)."""
    with make_client(args) as client:
        try:
            health = client.health()
        except UNREACHABLE as exc:
            return _unreachable(args, exc)
    status = health.status
    if want_json(args):
        print_json(health)
    else:
        uptime = health.uptime_seconds
        _out(
            f"{status} (version {health.version or '?'}"
            + (f", up {uptime:.0f} s)" if uptime is not None else ")")
        )
        for name, service in health.services.items():
            detail = service.detail or {}
            extra = ""
            if name == "worker_pool" and detail:
                extra = (
                    f"  active {detail.get('active_workers')}/{detail.get('max_workers')}, "
                    f"queued {detail.get('queued_tasks')}/{detail.get('max_queue')}"
                )
            _out(f"  {name:<20} {service.status}{extra}")
    return EXIT_OK if status == "ok" else EXIT_ERROR


def cmd_ready(args: argparse.Namespace) -> int:
    """``GET /ready``: 0 ready, 1 not ready, 3 unreachable."""
    with make_client(args) as client:
        try:
            ready = client.ready()
        except UNREACHABLE as exc:
            return _unreachable(args, exc)
    if want_json(args):
        print_json(ready)
    else:
        _out("ready" if ready else f"not ready ({ready.reason or 'no reason given'})")
    return EXIT_OK if ready else EXIT_ERROR


# ----------------------------------------------------------------------------- small routes


def cmd_route(args: argparse.Namespace) -> int:
    """The model the service recommends for a prompt."""
    prompt = read_text_argument(args.prompt, "PROMPT")
    with make_client(args) as client:
        rec = client.route(prompt, context_size=args.context_size)
    if want_json(args):
        print_json(rec)
    else:
        _out(rec.recommended_model)
        if rec.reasoning:
            info(args, rec.reasoning)
    return EXIT_OK


def cmd_providers(args: argparse.Namespace) -> int:
    """Providers, whether they are available, and their models."""
    with make_client(args) as client:
        providers = client.providers()
    if want_json(args):
        print_json(providers)
        return EXIT_OK
    for provider in providers:
        state = "available" if provider.get("available") else "unavailable"
        _out(f"{provider.get('name')}  ({state})  {', '.join(provider.get('models') or [])}")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    """One provider's models (unknown provider: exit 6)."""
    with make_client(args) as client:
        answer = client.provider_models(args.provider)
    if want_json(args):
        print_json(answer)
        return EXIT_OK
    for name, spec in (answer.get("models") or {}).items():
        features = [
            k.removeprefix("supports_") for k, v in spec.items() if k.startswith("supports_") and v
        ]
        _out(
            f"{name:<16} max_tokens {spec.get('max_tokens')}, "
            f"context {spec.get('context_window')}"
            + (f", {', '.join(features)}" if features else "")
        )
    return EXIT_OK


def cmd_capabilities(args: argparse.Namespace) -> int:
    """Agents and skills available to tasks, optionally filtered by a search text."""
    with make_client(args) as client:
        caps = client.capabilities()
    needle = (args.search or "").lower()

    def keep(item: Any) -> bool:
        return not needle or needle in f"{item.name} {item.description}".lower()

    agents = [a for a in caps.agents if keep(a)]
    skills = [s for s in caps.skills if keep(s)]
    if want_json(args):
        print_json({"agents": agents, "skills": skills})
        return EXIT_OK
    _out(f"Agents ({len(agents)}):")
    for agent in agents:
        _out(f"  {agent.name:<24} {agent.description}")
    _out(f"Skills ({len(skills)}):")
    for skill in skills:
        _out(f"  {skill.name:<24} {skill.description}")
    return EXIT_OK


# ----------------------------------------------------------------------------- fake


def cmd_fake(args: argparse.Namespace) -> int:
    """Run the embedded fake service until Ctrl-C / SIGTERM, printing its URL and key."""
    import signal
    import threading

    from .. import testing

    try:
        testing.require_extra()
    except ImportError as exc:
        print(f"claude-client: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with testing.serve(port=args.port, rpm=args.rpm, max_workers=args.max_workers) as fake:
        if args.latency:
            fake.latency(args.latency)
        # The fake's own key, printed on purpose: it exists only while this process runs.
        if want_json(args):
            sys.stdout.write(dumps({"url": fake.base_url, "key": fake.api_key}) + "\n")
        else:
            print(f"Fake Claude Code API Service on {fake.base_url}")
            print(f"export CLAUDE_API_URL={fake.base_url} CLAUDE_API_KEY={fake.api_key}")
            print("Ctrl-C to stop.")
        sys.stdout.flush()
        stop.wait()
    return EXIT_OK
