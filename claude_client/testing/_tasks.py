"""Agentic tasks (BEHAVIOUR.md §5.6, §5.7): the permission check and the task runner that
``POST /v1/task`` and the socket's ``agentic_task`` share."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Sequence
from typing import Any, Optional

from . import _model
from ._accounts import PROFILES, KeyInfo
from ._pool import PoolOverloaded
from ._schemas import AgenticTaskRequest
from ._state import FakeControls

#: What the service's executor reports for a run that failed or overran (§5.7).
RUN_FAILED = "object of type 'NoneType' has no len()"
#: Extra seconds a task waits for its run beyond its ``timeout`` (§6).
TASK_WAIT_EXTRA = 10.0
MAX_TIMEOUT = 600
MAX_COST = 10.0


class TaskExecutionError(Exception):
    """The executor's failure: REST 500 ``Task execution failed: <msg>``, socket
    ``Task execution error: <msg>``."""


def check_permission(
    info: Optional[KeyInfo],
    tools: Sequence[str],
    agents: Sequence[str],
    skills: Sequence[str],
    timeout: Any,
    max_cost: Any,
) -> Optional[str]:
    """The reason a key's permission profile forbids the task, or None (§5.6).

    ``info`` is the key's record (None = unknown key). Revocation is not looked at: the
    REST route authenticates first, the socket only looks the profile up. ``timeout`` and
    ``max_cost`` are printed as given (the socket passes the raw JSON numbers)."""
    if info is None or info.profile is None:
        return "No permission profile found for API key"
    p = PROFILES[info.profile]
    for t in tools:
        if t in p.blocked_tools:
            return f"Tool '{t}' is explicitly blocked"
        if p.tools is not None and t not in p.tools:
            return f"Tool '{t}' is not in allowed list"
    for a in agents:
        if p.agents is not None and a not in p.agents:
            return f"Agent '{a}' is not in allowed list"
    for s in skills:
        if p.skills is not None and s not in p.skills:
            return f"Skill '{s}' is not in allowed list"
    if timeout > p.max_timeout:
        return f"Requested timeout ({timeout}s) exceeds limit ({p.max_timeout}s)"
    if max_cost > p.max_cost:
        return f"Requested max cost (${max_cost}) exceeds limit (${p.max_cost})"
    return None


def task_estimate(
    description: str, tools: Sequence[str], agents: Sequence[str], skills: Sequence[str]
) -> int:
    """The budget pre-check's estimate for a task (§5.5)."""
    words = _model.count_tokens(description)
    return int(3 * (1.5 * words + 500 * bool(tools) + 2000 * bool(agents) + 1000 * bool(skills)))


def task_prompt(
    description: str,
    tools: Sequence[str],
    agents: Sequence[str],
    skills: Sequence[str],
    working_directory: str,
) -> str:
    """The prompt the executor builds from the description and the allowed lists."""
    lines = [f"Task: {description}", f"Working directory: {working_directory}"]
    if tools:
        lines.append("Allowed tools: " + ", ".join(tools))
    if agents:
        lines.append("Allowed agents: " + ", ".join(agents))
    if skills:
        lines.append("Allowed skills: " + ", ".join(skills))
    return "\n".join(lines)


async def run_task(
    controls: FakeControls, request: AgenticTaskRequest, *, task_id: Optional[str] = None
) -> dict[str, Any]:
    """Run one agentic ``request`` after its permission check, as the service's executor
    does (REST passes the body, the socket a request of the fields it reads).

    Returns the body without ``task_id``: ``{"status", "result", "execution_log",
    "artifacts", "usage"}`` with status ``completed``, ``failed`` (budget refusal or pool
    overflow) or ``cost_exceeded``. Raises :class:`TaskExecutionError` for the executor's
    validation (``Description is required``, ``Unknown agents requested: ...``, ...) and
    for a run that failed or overran (``object of type 'NoneType' has no len()``).

    The run goes through the worker pool (one prompt: the description, for
    ``prompt_runs``); the task waits ``timeout + 10`` seconds from submission and the run
    is killed ``timeout`` seconds after it starts (when the server stops, the pool ends
    every run: the task then fails like a killed run). ``task_id`` names the workspace
    (``/tmp/agentic_tasks/<task_id>``; a fresh uuid4 when omitted)."""
    task_id = task_id or str(uuid.uuid4())
    description, timeout, max_cost = request.description, request.timeout, request.max_cost
    tools, agents, skills = request.allow_tools, request.allow_agents, request.allow_skills
    model, project_id = request.model, request.project_id
    # 2. the executor's validation
    if description == "":
        raise TaskExecutionError("Description is required")
    known_agents, known_skills, wrapped = controls.catalogue()
    agent_names = {a["name"] for a in known_agents}
    skill_names = {s["name"] for s in known_skills} | wrapped
    unknown = [a for a in agents if a not in agent_names]
    if unknown:
        raise TaskExecutionError(f"Unknown agents requested: {', '.join(unknown)}")
    unknown = [s for s in skills if s not in skill_names]
    if unknown:
        raise TaskExecutionError(f"Unknown skills requested: {', '.join(unknown)}")
    if timeout > MAX_TIMEOUT:
        raise TaskExecutionError(f"Timeout cannot exceed {MAX_TIMEOUT} seconds")
    if max_cost > MAX_COST:
        raise TaskExecutionError("Max cost cannot exceed $10.00")

    forced = controls._take_task_status()
    if forced is None:
        forced = next(
            (s for s in ("crash", "failed", "cost_exceeded") if f"[{s}]" in description), None
        )

    # 3. model, 4. budget
    used_model = model if model is not None else _model.task_model(description, agents, skills)
    estimate = task_estimate(description, tools, agents, skills)
    if forced == "failed" or controls.budget_exceeded(project_id, estimate):
        return {
            "status": "failed",
            "result": {"error": "Insufficient budget"},
            "execution_log": [],
            "artifacts": [],
            "usage": {"estimated_tokens": estimate},
        }

    # 5. one CLI run through the worker pool
    started = time.monotonic()
    try:
        if forced == "overloaded":
            stats = controls.pool_stats()
            raise PoolOverloaded(stats.max_workers, stats.max_queue)
        run = controls.pool.submit(description, float(timeout) if timeout > 0 else 0.0)
    except PoolOverloaded as exc:
        return {
            "status": "failed",
            "result": {"error": exc.detail},
            "execution_log": [],
            "artifacts": [],
            "usage": {},
        }
    ok = await controls.pool.finished(run, timeout + TASK_WAIT_EXTRA)
    if not ok or forced == "crash" or not _model.cli_accepts(used_model):
        controls._bill(project_id, used_model, 0, 0.0)
        raise TaskExecutionError(RUN_FAILED)

    # 6. outcome
    prompt = task_prompt(description, tools, agents, skills, request.working_directory)
    full_output = "Completed: " + " ".join(description.split())
    usage = _model.usage_of(prompt, full_output)
    cost = _model.cost(used_model, usage["input_tokens"], usage["output_tokens"])
    if forced == "cost_exceeded" or cost > max_cost:
        return {
            "status": "cost_exceeded",
            "result": {
                "error": f"Cost ${cost:.4f} exceeded limit ${max_cost:.4f}",
                "output": full_output[:500],
            },
            "execution_log": [],
            "artifacts": [],
            "usage": {
                "input_tokens": usage["input_tokens"],
                "output_tokens": usage["output_tokens"],
                "total_cost": cost,
                "model_used": used_model,
            },
        }
    controls._bill(project_id, used_model, usage["total_tokens"], cost)
    return {
        "status": "completed",
        "result": {
            "summary": full_output[:1000],
            "full_output": full_output,
            "workspace_directory": f"/tmp/agentic_tasks/{task_id}",
        },
        "execution_log": [
            {
                "step": 1,
                "timestamp": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(),
                "action": "task_completed",
                "details": {"output_length": len(full_output)},
            }
        ],
        "artifacts": [],
        "usage": {
            **usage,
            "total_cost": cost,
            "model_used": used_model,
            "duration_seconds": round(time.monotonic() - started, 3),
        },
    }
