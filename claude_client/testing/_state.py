"""State and test controls of the fake service (thread-safe).

Every control is a method of :class:`FakeControls`, which ``serve()``'s
``FakeService`` extends; they are called from the test's thread while the server runs
on its own thread, so all state sits behind one lock and the server only reads it in
short critical sections.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, Optional

from . import _model
from ._accounts import DEFAULT_RPM, AccountControls, new_key
from ._catalogue import TaskControls
from ._deployment import DeploymentControls
from ._injections import FaultControls
from ._pool import DEFAULT_MAX_WORKERS, PoolStats, WorkerPool
from ._recording import RecordingControls

#: The service's pause between two frames of a socket chat's answer (STREAMING.md).
STREAM_TOKEN_DELAY = 0.01


class FakeControls(
    AccountControls, FaultControls, TaskControls, DeploymentControls, RecordingControls
):
    """The fake's state and every control tests use. See the package docstring.

    One class for users, assembled from one part per subject (``_accounts``,
    ``_injections``, ``_catalogue``, ``_deployment``, ``_recording``) that share
    ``_lock``; this module keeps the pool, timing and model controls."""

    def __init__(self, *, rpm: int = DEFAULT_RPM, max_workers: int = DEFAULT_MAX_WORKERS) -> None:
        self._lock = threading.RLock()
        self._default_rpm = rpm
        self._default_max_workers = max_workers
        self.pool = WorkerPool(max_workers)
        self.api_key = new_key()
        self.free_key = new_key()
        self.enterprise_key = new_key()
        self._started = time.time()
        self._init_state()

    # ------------------------------------------------------------------ state

    def _init_state(self) -> None:
        self._init_accounts()
        self._init_faults()
        self._init_tasks()
        self._init_deployment()
        self._init_recording()
        self._token_delay = STREAM_TOKEN_DELAY
        self._stream_stall = True
        self._answer_words: Optional[int] = None

    def reset(self) -> None:
        """Back to the state right after start: faults, latency, delays, recorded
        requests, usage, budgets, rate-limit counters, added keys, task statuses, flags,
        catalogue, breakers and the worker pool (runs killed, counters zeroed,
        ``max_workers`` back to the ``serve()`` value) are reset; ``api_key`` /
        ``free_key`` / ``enterprise_key`` stay valid."""
        with self._lock:
            self._init_state()
        self.pool.reset(self._default_max_workers)

    # ------------------------------------------------------------------ capacity / timing

    def latency(self, seconds: float, *, jitter: float = 0.0) -> None:
        """How long ONE model run takes: ``seconds + uniform(0, jitter)`` (seeded).

        Runs of the worker pool (chat, batch items, process CLI path, tasks) hold a worker
        that long; the chat tool path, the process SDK path and the socket chat sleep that
        long outside the pool. Routes that run no model (``/health``, ``/v1/usage``,
        ``/v1/route``, ``/``, providers, capabilities, ``/ready``) stay instant. A run
        reaching its ``timeout`` is killed (chat/process 504, batch failed item, task 500)."""
        if seconds < 0 or jitter < 0:
            raise ValueError("latency: seconds and jitter must be >= 0")
        self.pool.set_latency(seconds, jitter)

    def set_max_workers(self, n: int) -> None:
        """Workers of the pool while the server runs (queue = 10 x n; service default 5)."""
        self.pool.set_max_workers(n)

    def pool_stats(self) -> PoolStats:
        """A snapshot of the worker pool: live numbers and counters since ``reset()``."""
        return self.pool.stats()

    def prompt_runs(self) -> Counter[str]:
        """How many model runs STARTED per prompt text (chat: the flattened prompt; batch:
        the item prompt; task: the description; process: its flattened prompt)."""
        return self.pool.prompt_runs()

    def set_token_delay(self, seconds: float) -> None:
        """Pause between two frames of a socket chat's answer (``token`` frames and the
        ``done`` after them). The service's pause, and the default, is 0.01 s; 0 = off
        (benchmarks, fast tests)."""
        with self._lock:
            self._token_delay = max(0.0, float(seconds))

    def set_stream_stall(self, enabled: bool) -> None:
        """Model the service's stall during a socket chat (default on).

        The service reads a socket chat's CLI output synchronously, so while that model
        runs (one ``latency``) it answers nothing else: HTTP requests and other sockets
        wait until the run ends, and socket chats run one at a time. With ``False`` socket
        chats run side by side and stall nothing (a service that streams asynchronously)."""
        with self._lock:
            self._stream_stall = bool(enabled)

    def set_answer_words(self, n: Optional[int]) -> None:
        """Make every answer exactly ``n`` words (the normal answer repeated): long
        answers for benchmarks (on the socket still cut into 20 to 39 ``token`` frames,
        as the service cuts them). ``None`` = normal."""
        with self._lock:
            self._answer_words = n

    # ------------------------------------------------------------------ model helpers

    def expected_answer(self, prompt: str) -> str:
        """The answer the fake gives to ``prompt`` (the last user message):
        ``"Answer: " + " ".join(prompt.split())`` (see ``set_answer_words``)."""
        with self._lock:
            n = self._answer_words
        return _model.expected_answer(prompt, n)

    def expected_usage(self, prompt: str) -> dict[str, int]:
        """Usage of a one-message chat ``[{"role": "user", "content": prompt}]`` (or a
        batch item): input = words of ``"user: " + prompt``, output = words of the answer."""
        return _model.usage_of("user: " + prompt, self.expected_answer(prompt))

    def expected_cost(self, prompt: str, model: Optional[str] = None) -> float:
        """Cost of that one-message chat with ``model`` (None = the auto-selected one);
        0.0 for names other than the three aliases (the service's price table)."""
        used = model if model is not None else self.expected_model(prompt, chat=True)
        u = self.expected_usage(prompt)
        return _model.cost(used, u["input_tokens"], u["output_tokens"])

    def expected_model(
        self,
        prompt: str,
        context_size: Optional[int] = None,
        *,
        chat: bool = False,
        project_id: Optional[str] = None,
    ) -> str:
        """The model the service would auto-select.

        Default: what ``POST /v1/route`` recommends for ``prompt`` and ``context_size``
        (default 0). ``chat=True``: what a one-message chat without ``model`` runs (the
        prompt is ``"user: " + prompt``, the context ``context_size`` as ``max_tokens`` or
        else its words). ``project_id``: whose remaining budget counts (None: no limit)."""
        remaining = self.remaining(project_id) if project_id is not None else None
        if chat:
            text = "user: " + prompt
            return _model.select_model(text, _model.chat_context(context_size, text), remaining)
        return _model.select_model(prompt, context_size or 0, remaining)

    def _settings(self) -> tuple[float, float, int, Optional[int], bool]:
        """(one model run's duration, token delay, max_workers, answer words, tool
        passthrough). The duration is drawn anew on every call (jitter)."""
        duration = self.pool.draw_duration()
        with self._lock:
            return (
                duration,
                self._token_delay,
                self.pool.max_workers,
                self._answer_words,
                self._tool_passthrough,
            )

    def _stream_settings(self) -> tuple[float, bool]:
        """(pause between a socket chat's frames, stall the service during its model run)."""
        with self._lock:
            return self._token_delay, self._stream_stall

    def _flags(self) -> dict[str, Any]:
        with self._lock:
            return {
                "tool_passthrough": self._tool_passthrough,
                "anthropic_key": self._anthropic_key,
                "process_default_cli": self._process_default_cli,
                "request_id_alias": self._request_id_alias,
                "legacy_auth": self._legacy_auth,
                "answer_words": self._answer_words,
            }
