"""Agentic tasks' forced outcomes and the agents/skills catalogue of the fake service's
host (deployment-dependent, BEHAVIOUR.md §8).
"""

from __future__ import annotations

import copy
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

#: Outcomes ``next_task_status`` can force (all of them the service can produce).
TASK_STATUSES = ("completed", "failed", "overloaded", "cost_exceeded", "crash")


#: The default agents/skills catalogue (deployment-dependent, BEHAVIOUR.md §8). It holds
#: the pro profile's agents and skills, so the pro key's allowed names run.
DEFAULT_AGENTS: tuple[dict[str, Any], ...] = (
    {
        "name": "code-reviewer",
        "description": "Reviews code for bugs and style",
        "tools": ["Read", "Grep", "Glob"],
        "model": "sonnet",
    },
    {
        "name": "doc-writer",
        "description": "Writes documentation from source",
        "tools": ["Read", "Write"],
        "model": "haiku",
    },
    {
        "name": "security-auditor",
        "description": "Looks for security problems",
        "tools": ["Read", "Grep", "Bash"],
        "model": "opus",
    },
    {
        "name": "test-writer",
        "description": "Writes unit tests for a module",
        "tools": ["Read", "Write", "Bash"],
        "model": "sonnet",
    },
)
DEFAULT_SKILLS: tuple[dict[str, Any], ...] = (
    {"name": "changelog", "description": "Draft a changelog entry", "command": "/changelog"},
    {"name": "code-analyzer", "description": "Static analysis of a module", "command": "/analyze"},
    {"name": "summarize", "description": "Summarise files or text", "command": "/summarize"},
    {
        "name": "vulnerability-scanner",
        "description": "Scan dependencies for known vulnerabilities",
        "command": "/scan",
    },
)


def _agent_entry(agent: Union[str, Mapping[str, Any]]) -> dict[str, Any]:
    if isinstance(agent, str):
        agent = {"name": agent}
    return {
        "name": str(agent["name"]),
        "description": str(agent.get("description") or "No description"),
        "tools": [str(t) for t in agent.get("tools") or []],
        "model": str(agent.get("model") or "sonnet"),
    }


def _skill_entry(skill: Union[str, Mapping[str, Any]]) -> dict[str, Any]:
    if isinstance(skill, str):
        skill = {"name": skill}
    name = str(skill["name"])
    return {
        "name": name,
        "description": str(skill.get("description") or "No description"),
        "command": str(skill.get("command") or name),
    }


class TaskControls:
    """The controls of agentic tasks: ``next_task_status``, ``set_catalogue``,
    ``catalogue``."""

    _lock: threading.RLock

    def _init_tasks(self) -> None:
        self._task_statuses: deque[str] = deque()
        self._agents = [_agent_entry(a) for a in DEFAULT_AGENTS]
        self._skills = [_skill_entry(s) for s in DEFAULT_SKILLS]
        self._wrapped_skills: frozenset[str] = frozenset()

    def next_task_status(self, status: str, times: int = 1) -> None:
        """Force the outcome of the next ``times`` agentic tasks (REST or socket):
        ``completed``; ``failed`` (the budget refusal: ``Insufficient budget``);
        ``overloaded`` (status ``failed`` with ``Worker pool overloaded: ...``, as a full
        pool refuses it, without filling the pool); ``cost_exceeded``; ``crash`` (the
        failed run: REST 500 ``Task execution failed: object of type 'NoneType' has no
        len()``, socket ``Task execution error: ...``).
        A description containing ``[failed]``, ``[cost_exceeded]`` or ``[crash]`` does the
        same. ``timeout`` is refused: the service declares it but never produces it."""
        if status == "timeout":
            raise ValueError(
                "task status 'timeout' is declared by the service but never produced "
                "(an overrun is a 500 'Task execution failed: ...'); use 'crash'"
            )
        if status not in TASK_STATUSES:
            raise ValueError(f"unknown task status {status!r}; use one of {TASK_STATUSES}")
        with self._lock:
            self._task_statuses.extend([status] * times)

    def _take_task_status(self) -> Optional[str]:
        with self._lock:
            return self._task_statuses.popleft() if self._task_statuses else None

    def set_catalogue(
        self,
        agents: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
        skills: Optional[Sequence[Union[str, Mapping[str, Any]]]] = None,
        *,
        wrapped_skills: Sequence[str] = (),
    ) -> None:
        """The agents/skills catalogue of the service host (deployment-dependent).

        Items are names or dicts (agents: ``name``, ``description`` (default ``No
        description``), ``tools``, ``model`` (default ``sonnet``); skills: ``name``,
        ``description``, ``command`` (default = name)). ``None`` keeps the default list.
        ``wrapped_skills``: agent-wrapped skills, valid in ``allow_skills`` but not listed
        by ``/v1/capabilities``. Unknown names in a task -> 500 ``Unknown agents
        requested: ...``."""
        with self._lock:
            self._agents = [_agent_entry(a) for a in (DEFAULT_AGENTS if agents is None else agents)]
            self._skills = [_skill_entry(s) for s in (DEFAULT_SKILLS if skills is None else skills)]
            self._wrapped_skills = frozenset(wrapped_skills)

    def catalogue(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], frozenset[str]]:
        """(agents, skills, wrapped skills), lists sorted by name as ``/v1/capabilities``."""
        with self._lock:
            return (
                sorted(copy.deepcopy(self._agents), key=lambda a: a["name"]),
                sorted(copy.deepcopy(self._skills), key=lambda s: s["name"]),
                self._wrapped_skills,
            )
