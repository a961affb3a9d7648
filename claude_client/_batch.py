"""How ``batch()`` paces its chunks against the service's worker pool (BEHAVIOUR.md §6).

The service runs every model call through one pool: ``max_workers`` runs at once
(default 5) plus a FIFO queue of ``10 x max_workers``; a submission beyond that is
refused (503 ``Worker pool overloaded: ...``). A ``/v1/batch`` request submits its
prompts in order and the first refusal fails the whole request while the prompts
already admitted keep running (their results are lost). A batch item waits its
``timeout`` from the moment collection reaches it, so the first item of a chunk
counts its time in the queue.

So ``batch()`` never sends more than the pool can take:

* :class:`PoolCapacity` is read from the unauthenticated ``GET /health``
  (``services.worker_pool.detail``); without it the documented default (5 workers,
  queue 50) applies.
* :class:`PoolGovernor`, one per service and clock in this process (shared by every
  ``batch()`` call of every client that talks to that service), counts the prompts
  in flight and admits a chunk only when it fits: under what the pool can still
  take (capacity minus other clients' prompts seen on ``/health``), under
  ``TARGET_WORKERS x max_workers`` (enough queued work to keep every worker busy
  while leaving most of the queue to others), and under what can wait in the queue
  without timing out (``QUEUE_WAIT_SHARE`` of the item timeout, from the run time
  measured as chunks complete; before the first measurement ``2 x max_workers``).
* A refusal all the same (another client filled the pool meanwhile) halves the
  window, pauses every sender for :func:`~claude_client._retry.overload_delay`
  seconds, re-reads ``/health`` and sends the chunk again; each success grows the
  window again (AIMD).
* :class:`BatchRun` is the state of one ``batch()`` call: which items still wait,
  which chunks are out, the results by item. The I/O (threads or tasks) lives in
  ``_io`` (``run_chunks`` / ``async_run_chunks``).
"""

from __future__ import annotations

import math
import os
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Optional, Union

from ._exceptions import ClaudeAPIError, ResponseValidationError, ServerError
from ._models import BatchResponse
from ._retry import MAX_OVERLOAD_RETRIES, is_pool_overloaded, overload_delay

__all__ = [
    "BatchRun",
    "Chunk",
    "PoolCapacity",
    "PoolGovernor",
    "governor_for",
]

DEFAULT_MAX_WORKERS = 5
QUEUE_FACTOR = 10
"""The service's queue holds ``QUEUE_FACTOR x max_workers`` prompts."""
TARGET_WORKERS = 4
"""In flight at most ``TARGET_WORKERS x max_workers`` prompts of ours: every worker busy
plus three rounds queued, and most of the queue left to other clients."""
UNMEASURED_WORKERS = 2
"""Until a run time is measured, at most ``2 x max_workers`` in flight (one round queued)."""
QUEUE_WAIT_SHARE = 0.5
"""The share of an item's ``timeout`` its wait in the queue may use."""
CAPACITY_TTL = 1.0
"""Seconds a ``/health`` reading stays fresh; an older one is read again before a send."""
WAIT_POLL = 0.02
"""Seconds between looks at the shared window while another batch holds it."""
FULL_POOL_WAIT_MAX = 1.0
"""At most this many seconds between looks at a pool other clients keep full."""
RUN_EWMA = 0.3


@dataclass(frozen=True)
class PoolCapacity:
    """The service's worker pool as ``/health`` reports it (or the documented default)."""

    max_workers: int = DEFAULT_MAX_WORKERS
    max_queue: int = QUEUE_FACTOR * DEFAULT_MAX_WORKERS
    active_workers: int = 0
    queued_tasks: int = 0
    measured: bool = False

    @property
    def size(self) -> int:
        """Prompts the pool holds at most (running + queued): ``11 x max_workers`` by default."""
        return self.max_workers + self.max_queue

    @property
    def occupied(self) -> int:
        return self.active_workers + self.queued_tasks

    @classmethod
    def from_health(cls, body: Any) -> PoolCapacity:
        """Read ``services.worker_pool.detail`` of a ``/health`` body; never raises.

        Anything missing or odd (an older service, a proxy's page) gives the default.
        """
        try:
            detail = body["services"]["worker_pool"]["detail"]
            workers = detail["max_workers"]
            if not _count(workers) or workers < 1:
                return cls()
            queue = detail.get("max_queue")
            active = detail.get("active_workers")
            queued = detail.get("queued_tasks")
            return cls(
                max_workers=workers,
                max_queue=queue if _count(queue) else QUEUE_FACTOR * workers,
                active_workers=active if _count(active) else 0,
                queued_tasks=queued if _count(queued) else 0,
                measured=True,
            )
        except (KeyError, TypeError, AttributeError, IndexError):
            return cls()


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class PoolGovernor:
    """What this process knows of one service's pool, and its share of it (thread-safe).

    ``in_flight`` counts the prompts of every chunk sent and not yet answered, by
    any ``batch()`` of any client of this service in this process. ``window`` is the
    AIMD limit on it; :meth:`limit` the ceiling the pool and the item timeout allow.
    """

    def __init__(self, clock: Callable[[], float], rng: Callable[[], float] = random.random):
        self._lock = threading.Lock()
        self._clock = clock
        self._rng = rng
        self.capacity = PoolCapacity()
        self.others = 0  # prompts of other clients in the pool at the last reading
        self.read_at: Optional[float] = None
        self.stale = True  # read /health before the next send
        self.in_flight = 0
        self.window = TARGET_WORKERS * DEFAULT_MAX_WORKERS
        self.run_seconds: Optional[float] = None
        self.refusals_in_a_row = 0
        self.refusals = 0
        self.resume_at = -math.inf

    # -------------------------------------------------------------- reading /health

    def needs_reading(self) -> bool:
        """Whether to read ``/health`` before the next send (never during a pause:
        the reading that counts is the one taken after it)."""
        with self._lock:
            now = self._clock()
            if now < self.resume_at:
                return False
            if self.stale or self.read_at is None:
                return True
            return now - self.read_at > CAPACITY_TTL

    def update(self, capacity: PoolCapacity) -> None:
        """A fresh ``/health`` reading (or the default when it failed)."""
        with self._lock:
            first = self.read_at is None
            self.capacity = capacity
            # Our prompts are in the pool too (or already done: then others is
            # underestimated, which a refusal corrects).
            self.others = max(0, capacity.occupied - self.in_flight) if capacity.measured else 0
            self.read_at = self._clock()
            self.stale = False
            if first:
                self.window = TARGET_WORKERS * capacity.max_workers

    # -------------------------------------------------------------- admission

    def limit(self, item_timeout: float) -> int:
        """Prompts of ours the pool can hold now without refusals or queue timeouts."""
        cap = self.capacity
        workers = cap.max_workers
        ceiling = TARGET_WORKERS * workers
        if self.run_seconds is None:
            ceiling = min(ceiling, UNMEASURED_WORKERS * workers)
        else:
            # Prompts ahead of a chunk's first item in the queue: it must start and
            # finish within QUEUE_WAIT_SHARE of its timeout.
            rounds = QUEUE_WAIT_SHARE * item_timeout / max(self.run_seconds, 1e-3)
            ceiling = min(ceiling, max(workers, int(workers * rounds)) - self.others)
        free = cap.size - self.others
        return min(ceiling, free, self.window)

    def acquire(self, want: int, least: int, item_timeout: float) -> int:
        """Admit a chunk of up to ``want`` prompts (at least ``least``); 0: not now."""
        with self._lock:
            now = self._clock()
            if now < self.resume_at:
                return 0
            room = self.limit(item_timeout) - self.in_flight
            if room < 1:
                if self.in_flight == 0:
                    # Other clients fill the pool (or its queue is too long to wait in):
                    # look again after about one run.
                    self.stale = True
                    self.resume_at = now + self._full_pool_wait()
                return 0
            if self.in_flight > 0 and room < min(least, want):
                return 0  # wait for room for a worthwhile chunk
            size = min(want, room)
            self.in_flight += size
            return size

    def _full_pool_wait(self) -> float:
        run = self.run_seconds if self.run_seconds is not None else FULL_POOL_WAIT_MAX
        return min(max(run, WAIT_POLL), FULL_POOL_WAIT_MAX)

    def wait_hint(self) -> float:
        """Seconds until admission may change without an answer arriving."""
        with self._lock:
            pause = self.resume_at - self._clock()
        return pause if pause > 0 else WAIT_POLL

    # -------------------------------------------------------------- outcomes

    def release(
        self,
        size: int,
        *,
        outcome: str,
        seconds: float = 0.0,
        ahead: int = 0,
    ) -> None:
        """A chunk of ``size`` prompts came back: ``ok``, ``refused`` or ``error``.

        ``seconds`` is how long an ``ok`` chunk took and ``ahead`` how many prompts
        (ours and others') were in the pool when it was sent: one run then took
        about ``seconds / max(1, (ahead + size) / max_workers)``.
        """
        with self._lock:
            self.in_flight = max(0, self.in_flight - size)
            workers = self.capacity.max_workers
            if outcome == "ok":
                self.refusals_in_a_row = 0
                rounds = max(1.0, (ahead + size) / workers)
                sample = seconds / rounds
                if sample > 0:
                    self.run_seconds = (
                        sample
                        if self.run_seconds is None
                        else (1 - RUN_EWMA) * self.run_seconds + RUN_EWMA * sample
                    )
                if self.window < TARGET_WORKERS * workers:
                    self.window += max(1, workers * workers // max(self.window, 1))
            elif outcome == "refused":
                self.refusals += 1
                self.window = max(workers, (self.in_flight + size) // 2)
                delay = overload_delay(self.refusals_in_a_row, rng=self._rng)
                self.refusals_in_a_row += 1
                self.resume_at = max(self.resume_at, self._clock() + delay)
                self.stale = True

    def occupancy(self) -> int:
        """Prompts in the pool as far as we know (others' at the last reading + ours)."""
        with self._lock:
            return self.others + self.in_flight

    def reset(self) -> None:
        """Forget everything (a forked child: its parent's chunks are not its own)."""
        with self._lock:
            self.__init__(self._clock, self._rng)  # type: ignore[misc]


_GOVERNORS: dict[tuple[str, Callable[[], float]], PoolGovernor] = {}
_GOVERNORS_LOCK = threading.Lock()


def governor_for(base_url: str, clock: Callable[[], float]) -> PoolGovernor:
    """The process's governor of the service at ``base_url`` (one per clock, for tests)."""
    key = (base_url.rstrip("/"), clock)
    with _GOVERNORS_LOCK:
        governor = _GOVERNORS.get(key)
        if governor is None:
            governor = _GOVERNORS[key] = PoolGovernor(clock)
        return governor


def _forget_after_fork() -> None:
    global _GOVERNORS_LOCK
    _GOVERNORS_LOCK = threading.Lock()
    for governor in _GOVERNORS.values():
        governor._lock = threading.Lock()
        governor.reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


# ------------------------------------------------------------------ one batch() call


@dataclass(frozen=True)
class Chunk:
    """Items ``start:end`` sent as one request; ``ahead`` = pool occupancy when sent."""

    start: int
    end: int
    sent_at: float
    ahead: int

    @property
    def size(self) -> int:
        return self.end - self.start


ChunkOutcome = Union[BatchResponse, BaseException]


class BatchRun:
    """The state of one ``batch()`` call; driven by one thread or task (not thread-safe).

    Items go out in input order, in chunks of at most ``chunk_size`` (default: the
    pool's ``max_workers``; never more than the pool holds), at most
    ``max_concurrency`` chunks at once when given, and only as the governor admits
    them. A refused chunk goes back to the front and is sent again after the pause;
    results are kept per item, so their order never depends on which chunk came
    back first.
    """

    def __init__(
        self,
        items: list[dict[str, Any]],
        governor: PoolGovernor,
        *,
        chunk_size: Optional[int],
        max_concurrency: Optional[int],
        item_timeout: float,
        retry_refused: bool,
        give_up_after: float,
        clock: Callable[[], float],
        on_progress: Optional[Callable[[int, int], Any]] = None,
    ) -> None:
        self.items = items
        self.governor = governor
        self.chunk_size = chunk_size
        self.max_concurrency = max_concurrency
        self.item_timeout = item_timeout
        self.retry_refused = retry_refused
        self.give_up_after = give_up_after
        self.clock = clock
        self.on_progress = on_progress
        self.pending: list[tuple[int, int]] = [(0, len(items))]  # sorted, disjoint
        self.out: set[Chunk] = set()
        self.results: list[Optional[Mapping[str, Any]]] = [None] * len(items)
        self.refused_since: dict[int, float] = {}  # chunk start -> first refusal
        self.sends = [0] * len(items)
        self.total_cost = 0.0
        self.total_tokens = 0
        self.done = 0
        self.has_read = False

    @property
    def finished(self) -> bool:
        return not self.pending and not self.out

    def needs_reading(self) -> bool:
        """Read ``/health`` now? Always before this call's first chunk (the pool may
        have filled since another batch looked), then as the governor says."""
        if not self.pending:
            return False
        if not self.has_read:
            self.has_read = True
            return True
        return self.governor.needs_reading()

    def chunk_limit(self) -> int:
        capacity = self.governor.capacity
        size = self.chunk_size if self.chunk_size is not None else capacity.max_workers
        # A request larger than the whole pool is always refused (BEHAVIOUR.md §6).
        return max(1, min(size, capacity.size))

    def next_chunk(self) -> Optional[Chunk]:
        """The next chunk to send now, admitted by the governor, or ``None``."""
        if not self.pending:
            return None
        if self.max_concurrency is not None and len(self.out) >= self.max_concurrency:
            return None
        start, end = self.pending[0]
        want = min(self.chunk_limit(), end - start)
        least = min(want, self.governor.capacity.max_workers)
        ahead = self.governor.occupancy()
        size = self.governor.acquire(want, least, self.item_timeout)
        if size == 0:
            return None
        if start + size == end:
            self.pending.pop(0)
        else:
            self.pending[0] = (start + size, end)
        chunk = Chunk(start, start + size, self.clock(), ahead)
        for i in range(chunk.start, chunk.end):
            self.sends[i] += 1
        self.out.add(chunk)
        return chunk

    def wait_hint(self) -> float:
        return self.governor.wait_hint()

    @staticmethod
    def classify(outcome: ChunkOutcome) -> str:
        """``ok``, ``refused`` (the pool's 503) or ``error`` (the chunk's items fail)."""
        if isinstance(outcome, BatchResponse):
            return "ok"
        if isinstance(outcome, ServerError) and outcome.status_code == 503:
            body = outcome.body
            detail = body.get("detail") if isinstance(body, Mapping) else None
            if is_pool_overloaded(detail):
                return "refused"
        return "error"

    def settle(self, chunk: Chunk, outcome: ChunkOutcome, now: float) -> None:
        """Tell the governor how a chunk ended (any thread; the governor is thread-safe)."""
        kind = self.classify(outcome)
        self.governor.release(
            chunk.size, outcome=kind, seconds=now - chunk.sent_at, ahead=chunk.ahead
        )

    def record(self, chunk: Chunk, outcome: ChunkOutcome) -> None:
        """Keep a chunk's results (or requeue a refused one); in the driving thread/task."""
        self.out.discard(chunk)
        kind = self.classify(outcome)
        if kind == "ok":
            assert isinstance(outcome, BatchResponse)
            raw = outcome.to_dict()
            results = raw["results"]
            if len(results) != chunk.size:
                self._fail(
                    chunk,
                    ResponseValidationError(
                        f"POST /v1/batch answered {len(results)} results for {chunk.size} prompts",
                        body=None,
                    ),
                )
                return
            self.results[chunk.start : chunk.end] = results
            self.total_cost += raw["total_cost"]
            self.total_tokens += raw["total_tokens"]
            self.refused_since.pop(chunk.start, None)
        elif kind == "refused" and self._may_resend(chunk):
            self._requeue(chunk)
            return
        else:
            assert isinstance(outcome, ClaudeAPIError)  # the driver raises anything else
            self._fail(chunk, outcome)
        self.done += chunk.size
        if self.on_progress is not None:
            self.on_progress(self.done, len(self.items))

    def _may_resend(self, chunk: Chunk) -> bool:
        if not self.retry_refused:
            return False
        now = self.clock()
        first = self.refused_since.setdefault(chunk.start, now)
        refusals = max(self.sends[i] for i in range(chunk.start, chunk.end)) - 1
        return refusals < MAX_OVERLOAD_RETRIES * 4 and now - first < self.give_up_after

    def _requeue(self, chunk: Chunk) -> None:
        self.pending.append((chunk.start, chunk.end))
        self.pending.sort()
        merged: list[tuple[int, int]] = []
        for start, end in self.pending:
            if merged and merged[-1][1] == start:
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        self.pending = merged

    def _fail(self, chunk: Chunk, exc: ClaudeAPIError) -> None:
        text = f"{type(exc).__name__}: {exc}"
        for i in range(chunk.start, chunk.end):
            self.results[i] = _failed_item(self.items[i], text)
        self.refused_since.pop(chunk.start, None)

    def merge(self) -> BatchResponse:
        """One response for the whole batch, in input order (unsent items: ``not run``)."""
        results: list[Any] = []
        for item, result in zip(self.items, self.results, strict=True):
            results.append(result if result is not None else _failed_item(item, "not run"))
        completed = sum(1 for r in results if r.get("status") == "completed")
        return BatchResponse(
            {
                "total": len(results),
                "completed": completed,
                "failed": len(results) - completed,
                "results": results,
                "total_cost": self.total_cost,
                "total_tokens": self.total_tokens,
            }
        )


def _failed_item(item: Mapping[str, Any], error: str) -> dict[str, Any]:
    """A failed result in the service's shape (all seven keys) for an item we answer."""
    return {
        "id": item.get("id"),
        "prompt": item["prompt"],
        "status": "failed",
        "content": None,
        "usage": None,
        "cost": None,
        "error": error,
    }
