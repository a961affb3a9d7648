"""Deployment flags of the fake service (tool passthrough, Anthropic key, ``/v1/process``
default path, auth generation, request-id alias), its ``/health`` / ``/ready`` state, the
error rates and the ``/v1/process`` circuit breakers (BEHAVIOUR.md §4, §7).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Optional

#: ``/health`` entries, in the service's order (BEHAVIOUR.md §4).
HEALTH_ENTRIES = (
    "worker_pool",
    "redis",
    "audit_db",
    "budget_manager",
    "auth_manager",
    "error_rates",
    "sdk_circuit_breaker",
    "cli_circuit_breaker",
)
ERROR_WINDOW_SECONDS = 300.0
ERROR_RATE_THRESHOLD = 50
#: Categories that count towards ``/v1/process``'s circuit breakers (and no category).
BREAKER_CATEGORIES = frozenset(
    {"rate_limited", "overloaded", "upstream_error", "timeout", "connection_error", None}
)


@dataclass
class Breaker:
    """One ``/v1/process`` circuit breaker (BEHAVIOUR.md §7)."""

    name: str
    consecutive_failures: int = 0
    opened_at: Optional[float] = None

    def state(self, recovery: float) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if time.monotonic() - self.opened_at < recovery else "half_open"


class DeploymentControls:
    """The controls of the deployment: ``set_tool_passthrough``, ``set_anthropic_key``,
    ``set_process_default_path``, ``set_legacy_auth``, ``set_request_id_alias``,
    ``set_breaker``, ``set_health``, ``set_ready``."""

    _lock: threading.RLock
    _started: float

    def _init_deployment(self) -> None:
        self._tool_passthrough = False
        self._anthropic_key = True
        self._process_default_cli = True
        self._request_id_alias = True
        self._legacy_auth = False
        self._health: dict[str, str] = {"redis": "ok", "audit_db": "ok"}
        self._ready: tuple[bool, Optional[str]] = (True, None)
        self._errors: deque[tuple[float, str, str]] = deque()
        self._breaker_threshold = 5
        self._breaker_recovery = 30.0
        self._breakers = {"cli": Breaker("cli"), "sdk": Breaker("sdk")}

    def set_tool_passthrough(self, enabled: bool) -> None:
        """``CLAUDE_API_TOOL_PASSTHROUGH_ENABLED`` (default off, as the service). On: a
        chat with non-empty ``tools`` goes to the (fake) Anthropic API and answers
        OpenAI-shaped (``choices``...); off: the tools are ignored."""
        with self._lock:
            self._tool_passthrough = bool(enabled)

    def set_anthropic_key(self, present: bool) -> None:
        """Whether the deployment has an Anthropic API key (default yes). Without one the
        SDK paths are unavailable: the chat tool path answers 500 ``SDK client not
        initialized`` and ``/v1/process`` always takes the CLI path."""
        with self._lock:
            self._anthropic_key = bool(present)

    def set_process_default_path(self, path: str) -> None:
        """``CLAUDE_API_DEFAULT_USE_CLI``: the ``/v1/process`` path when ``use_cli`` is
        omitted, ``"cli"`` (default) or ``"sdk"``."""
        if path not in ("cli", "sdk"):
            raise ValueError("path must be 'cli' or 'sdk'")
        with self._lock:
            self._process_default_cli = path == "cli"

    def set_legacy_auth(self, enabled: bool) -> None:
        """Answer a missing/non-Bearer ``Authorization`` as the pinned FastAPI 0.109 does:
        403 ``Not authenticated`` (``Invalid authentication credentials`` for another
        scheme), no ``WWW-Authenticate``. Default off: 401 + ``WWW-Authenticate: Bearer``
        (FastAPI >= 0.122)."""
        with self._lock:
            self._legacy_auth = bool(enabled)

    def set_request_id_alias(self, enabled: bool) -> None:
        """Send ``X-Forgg-CCA-Request-Id`` next to ``X-Request-ID`` (newer builds; default
        on). Off: an older build."""
        with self._lock:
            self._request_id_alias = bool(enabled)

    def set_breaker(self, threshold: int = 5, recovery_seconds: float = 30.0) -> None:
        """``/v1/process`` circuit breakers: consecutive failures that open one, and how
        long it stays open (service defaults 5 / 30 s; ``Retry-After`` stays 30)."""
        if threshold < 1 or recovery_seconds < 0:
            raise ValueError("threshold must be >= 1 and recovery_seconds >= 0")
        with self._lock:
            self._breaker_threshold = threshold
            self._breaker_recovery = float(recovery_seconds)

    def set_health(self, service: str, status: str) -> None:
        """Status of ``redis`` or ``audit_db`` in ``/health`` (e.g. ``unavailable``: a
        deployment without Redis reports the whole service ``degraded`` permanently)."""
        if service not in ("redis", "audit_db"):
            raise ValueError(
                "set_health: only 'redis' and 'audit_db' are settable; the worker pool, "
                "error rates and breakers report their live state"
            )
        with self._lock:
            self._health[service] = status

    def set_ready(self, ready: bool, reason: Optional[str] = None) -> None:
        """What ``/ready`` answers (always 200, like the service)."""
        with self._lock:
            self._ready = (ready, reason)

    def _record_error(self, path: str, category: str) -> None:
        """Count a chat/process failure that carries a category (``/health`` error_rates)."""
        with self._lock:
            self._errors.append((time.monotonic(), path, category))

    def _error_rates(self) -> dict[str, Any]:
        cutoff = time.monotonic() - ERROR_WINDOW_SECONDS
        with self._lock:
            while self._errors and self._errors[0][0] < cutoff:
                self._errors.popleft()
            by_path: dict[str, dict[str, int]] = {}
            for _, path, category in self._errors:
                counts = by_path.setdefault(path, {})
                counts[category] = counts.get(category, 0) + 1
            return {
                "window_seconds": ERROR_WINDOW_SECONDS,
                "total_errors": len(self._errors),
                "by_path": by_path,
            }

    def _breaker_open(self, path: str) -> bool:
        """True when the ``/v1/process`` breaker of ``path`` ("cli"/"sdk") refuses."""
        with self._lock:
            return self._breakers[path].state(self._breaker_recovery) == "open"

    def _breaker_result(self, path: str, ok: bool, category: Optional[str] = None) -> None:
        """A ``/v1/process`` outcome on ``path``: a success closes the breaker; a failure
        with a retryable or no category counts (and opens it at the threshold, or reopens
        a half-open one); other categories neither count nor reset."""
        with self._lock:
            b = self._breakers[path]
            if ok:
                b.consecutive_failures = 0
                b.opened_at = None
                return
            if category not in BREAKER_CATEGORIES:
                return
            half_open = b.state(self._breaker_recovery) == "half_open"
            b.consecutive_failures += 1
            if half_open or b.consecutive_failures >= self._breaker_threshold:
                b.opened_at = time.monotonic()

    def _breaker_detail(self, path: str) -> dict[str, Any]:
        with self._lock:
            b = self._breakers[path]
            return {
                "name": path,
                "state": b.state(self._breaker_recovery),
                "consecutive_failures": b.consecutive_failures,
                "failure_threshold": self._breaker_threshold,
                "recovery_timeout_seconds": self._breaker_recovery,
            }

    def _health_snapshot(self) -> tuple[dict[str, str], tuple[bool, Optional[str]], float]:
        with self._lock:
            return dict(self._health), self._ready, self._started
