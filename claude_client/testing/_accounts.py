"""Keys, budgets and usage of the fake service: the permission profiles, the key
records, the per-minute rate limit and the monthly token budgets (BEHAVIOUR.md §5).

:class:`AccountControls` is one part of :class:`~claude_client.testing.FakeControls`; its
state sits behind the controls' one lock.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

DEFAULT_RPM = 100


def new_key() -> str:
    """A fresh API key in the service's format: ``cc_`` + 40 hex digits."""
    return "cc_" + secrets.token_hex(20)


@dataclass
class KeyInfo:
    key: str = field(repr=False)
    project_id: str
    profile: Optional[str]
    rpm: int = DEFAULT_RPM
    revoked: bool = False


@dataclass
class UsageRecord:
    when: float
    project_id: str
    model: str
    tokens: int
    cost: float


@dataclass(frozen=True)
class Profile:
    name: str
    tools: Optional[frozenset[str]]
    blocked_tools: frozenset[str]
    agents: Optional[frozenset[str]]
    skills: Optional[frozenset[str]]
    max_timeout: int
    max_cost: float


PROFILES: dict[str, Profile] = {
    "free": Profile(
        "free",
        frozenset({"Read"}),
        frozenset({"Write", "Edit", "Bash"}),
        frozenset(),
        frozenset(),
        60,
        0.10,
    ),
    "pro": Profile(
        "pro",
        frozenset({"Read", "Grep", "Glob", "Bash"}),
        frozenset({"Write", "Edit"}),
        frozenset({"security-auditor", "code-reviewer"}),
        frozenset({"vulnerability-scanner", "code-analyzer"}),
        300,
        1.00,
    ),
    "enterprise": Profile("enterprise", None, frozenset(), None, None, 600, 10.00),
}


class AccountControls:
    """The controls of keys (``add_key``, ``revoke_key``, ``set_rate_limit``), budgets
    and usage (``set_budget``, ``add_usage``, ``remaining`` ...)."""

    _lock: threading.RLock
    _default_rpm: int
    api_key: str
    free_key: str
    enterprise_key: str

    def _init_accounts(self) -> None:
        self._keys: dict[str, KeyInfo] = {}
        for key, project, profile in (
            (self.api_key, "default", "pro"),
            (self.free_key, "free-project", "free"),
            (self.enterprise_key, "enterprise-project", "enterprise"),
        ):
            self._keys[key] = KeyInfo(key, project, profile, self._default_rpm)
        self._budgets: dict[str, int] = {}
        self._usage: list[UsageRecord] = []
        self._rate: dict[str, tuple[int, int]] = {}

    # ------------------------------------------------------------------ keys

    def add_key(
        self,
        profile: Optional[str] = "enterprise",
        project_id: str = "default",
        rpm: int = DEFAULT_RPM,
        key: Optional[str] = None,
    ) -> str:
        """Register a key (``cc_`` + 40 hex unless ``key`` is given) and return it.

        ``profile``: ``"enterprise"`` (default, as the service provisions keys),
        ``"pro"``, ``"free"``, or ``None`` (no permission profile: agentic tasks then
        answer 403 ``No permission profile found for API key``). ``project_id``: the
        project chat/batch/usage are billed to. ``rpm``: requests per wall-clock minute
        before 429 ``Rate limit exceeded. Please try again later.``.
        """
        if profile is not None and profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; use one of {sorted(PROFILES)}")
        key = key or new_key()
        with self._lock:
            self._keys[key] = KeyInfo(key, project_id, profile, rpm)
        return key

    def revoke_key(self, key: str) -> None:
        """From now on ``key`` answers 401 ``Invalid or revoked API key`` (its profile
        stays: the socket's agentic task only looks the profile up)."""
        with self._lock:
            if key in self._keys:
                self._keys[key].revoked = True

    def set_rate_limit(self, key: str, rpm: int) -> None:
        """Requests per minute for ``key`` (the service's default is 100)."""
        with self._lock:
            self._keys[key].rpm = rpm

    def key_info(self, key: str) -> Optional[KeyInfo]:
        with self._lock:
            info = self._keys.get(key)
            return copy.copy(info) if info else None

    # ------------------------------------------------------------------ budgets / usage

    def set_budget(self, project_id: str, tokens: Optional[int]) -> None:
        """Monthly token budget of a project (``None`` = no budget). A request is refused
        when the month's usage + its estimate would pass it (BEHAVIOUR.md §5.5): chat
        429 / process 403 ``Budget exceeded for project <id>``, tasks ``failed`` with
        ``Insufficient budget``, the socket an error frame."""
        with self._lock:
            if tokens is None:
                self._budgets.pop(project_id, None)
            else:
                self._budgets[project_id] = tokens

    def add_usage(
        self,
        project_id: str,
        model: str,
        tokens: int,
        cost: float = 0.0,
        when: Optional[float] = None,
    ) -> None:
        """Record usage as if calls had happened (``when`` = unix time, default now)."""
        with self._lock:
            self._usage.append(
                UsageRecord(time.time() if when is None else when, project_id, model, tokens, cost)
            )

    def budget(self, project_id: str) -> Optional[int]:
        with self._lock:
            return self._budgets.get(project_id)

    def usage_records(self, project_id: str, period: str = "month") -> list[UsageRecord]:
        """Usage of a period, in the server's local time: ``month`` since 00:00 on the 1st,
        ``week`` the last 7 x 24 h, ``day`` the last 24 h (rolling)."""
        now = time.time()
        if period == "day":
            since = now - 86_400
        elif period == "week":
            since = now - 7 * 86_400
        else:
            local = dt.datetime.fromtimestamp(now)
            since = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
        with self._lock:
            return [r for r in self._usage if r.project_id == project_id and r.when >= since]

    def tokens_used(self, project_id: str, period: str = "month") -> int:
        return sum(r.tokens for r in self.usage_records(project_id, period))

    def remaining(self, project_id: str) -> Optional[int]:
        """The month's remaining tokens of a project (None = no budget; may be negative)."""
        limit = self.budget(project_id)
        return None if limit is None else limit - self.tokens_used(project_id)

    def budget_exceeded(self, project_id: str, estimate: int = 0) -> bool:
        """The service's pre-check: month usage + ``estimate`` > limit (equal passes)."""
        limit = self.budget(project_id)
        if limit is None:
            return False
        return self.tokens_used(project_id) + estimate > limit

    def _check_rate(self, info: KeyInfo) -> bool:
        """Count one request of ``info.key`` in the current wall-clock minute; False when
        over (a refused request is not counted; a window's first request always passes)."""
        minute = int(time.time() // 60)
        with self._lock:
            window, count = self._rate.get(info.key, (minute, 0))
            if window != minute:
                window, count = minute, 0
            if count > 0 and count >= info.rpm:
                self._rate[info.key] = (window, count)
                return False
            self._rate[info.key] = (window, count + 1)
            return True

    def _bill(self, project_id: str, model: str, tokens: int, cost: float) -> None:
        self.add_usage(project_id, model, tokens, cost)
