"""The service's worker pool (BEHAVIOUR.md §6): the fake's capacity model.

One :class:`WorkerPool` per fake server. Every model run of the service's CLI paths goes
through it: chat (CLI path, one prompt), batch (one per prompt), ``/v1/process`` (CLI
path) and agentic tasks (REST and socket). At most ``max_workers`` runs at once, a FIFO
queue of ``10 * max_workers`` waiting prompts; a submission beyond that is refused with
``Worker pool overloaded: <n> active workers, <m> queued tasks. Try again later.``.

A run occupies its worker for ``latency`` seconds (plus ``uniform(0, jitter)`` drawn from a
seeded generator when it starts) and is killed ``timeout`` seconds after its start. A
waiter whose wait expires gets :class:`WaitExpired`; the run is killed if it is running and
left in the queue if it is not (it still runs later; its result is dropped), as the
service does.

Not modelled, on purpose:

* the service's monitor polls every 0.5 s, so its results arrive up to ~0.5 s late and a
  queued prompt starts up to ~0.5 s after a worker frees. Here a queued run starts as soon
  as a worker frees and a result is delivered at once (tests stay fast);
* the ≤ 2 s grace before a timed-out running process is killed (killed at once here);
* each waiting request holding one of ``min(32, CPUs + 4)`` shared threads (waits never
  start late here).

The pool lives on the server's event loop: ``submit`` and ``wait`` run there. Its controls
(``set_max_workers``, ``set_latency``, ``stats``, ``prompt_runs``, ``reset``) are called from
other threads: the counters sit behind a lock and changes that must start runs are handed
to the loop with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import Optional

DEFAULT_MAX_WORKERS = 5
QUEUE_FACTOR = 10
JITTER_SEED = 20_240_601


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of the fake's worker pool (``FakeService.pool_stats()``).

    ``runs_started`` / ``runs_completed``: model runs that got a worker / that ended (finished,
    failed or were killed). ``refused``: submissions refused with ``Worker pool overloaded``
    (each 503, each overflowing batch request once, each task overflow once). ``timed_out``:
    waits that expired (chat/process 504, a batch item's timeout, a task's overrun wait).
    ``peak_active`` / ``peak_queued``: the highest numbers seen since the last ``reset()``.
    """

    max_workers: int
    max_queue: int
    active_workers: int
    queued_tasks: int
    runs_started: int
    runs_completed: int
    refused: int
    timed_out: int
    peak_active: int
    peak_queued: int


class PoolOverloaded(Exception):
    """The pool is full: the service's 503 (``detail`` is its exact text)."""

    def __init__(self, active: int, queued: int) -> None:
        self.detail = (
            f"Worker pool overloaded: {active} active workers, {queued} queued tasks. "
            "Try again later."
        )
        super().__init__(self.detail)


class RunKilled(Exception):
    """The run did not produce a result: killed at its timeout (``at_timeout``), or
    because its waiter gave up or the pool was reset/stopped."""

    def __init__(self, at_timeout: bool = False) -> None:
        super().__init__("killed at its timeout" if at_timeout else "killed")
        self.at_timeout = at_timeout


class WaitExpired(Exception):
    """The caller's wait for a run ran out (the service's ``Task timed out after ...``)."""


class Run:
    """One submitted prompt. ``future`` resolves (None) when the run ends well, or fails
    with :class:`RunKilled`."""

    __slots__ = ("future", "generation", "prompt", "state", "task", "timeout")

    def __init__(
        self, prompt: str, timeout: float, future: asyncio.Future[None], generation: int
    ) -> None:
        self.prompt = prompt
        self.timeout = timeout
        self.future = future
        self.generation = generation
        self.state = "queued"  # queued -> running -> done
        self.task: Optional[asyncio.Task[None]] = None


class WorkerPool:
    """The fake service's global worker pool. See the module docstring."""

    def __init__(self, max_workers: int = DEFAULT_MAX_WORKERS) -> None:
        _check_workers(max_workers)
        self._lock = threading.Lock()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._max_workers = max_workers
        self._latency = 0.0
        self._jitter = 0.0
        self._rng = random.Random(JITTER_SEED)
        self._generation = 0
        self._zero()

    def _zero(self) -> None:
        self._queue: deque[Run] = deque()
        self._running: set[Run] = set()
        self._runs_started = 0
        self._runs_completed = 0
        self._refused = 0
        self._timed_out = 0
        self._peak_active = 0
        self._peak_queued = 0
        self._prompt_runs: Counter[str] = Counter()

    # ------------------------------------------------------------------ controls (any thread)

    @property
    def max_workers(self) -> int:
        with self._lock:
            return self._max_workers

    def set_max_workers(self, n: int) -> None:
        """Change the number of workers (the queue becomes ``10 * n``). Running runs keep
        their workers; queued ones start at once if the new number allows it."""
        _check_workers(n)
        with self._lock:
            self._max_workers = n
        self._dispatch_soon()

    def set_latency(self, seconds: float, jitter: float = 0.0) -> None:
        """How long one model run occupies its worker: ``seconds + uniform(0, jitter)``."""
        if seconds < 0 or jitter < 0:
            raise ValueError("latency seconds and jitter must be >= 0")
        with self._lock:
            self._latency = float(seconds)
            self._jitter = float(jitter)

    def draw_duration(self) -> float:
        """The duration of the next model run (also used by model runs outside the pool)."""
        with self._lock:
            if self._jitter:
                return self._latency + self._rng.uniform(0.0, self._jitter)
            return self._latency

    def stats(self) -> PoolStats:
        with self._lock:
            return PoolStats(
                max_workers=self._max_workers,
                max_queue=QUEUE_FACTOR * self._max_workers,
                active_workers=len(self._running),
                queued_tasks=len(self._queue),
                runs_started=self._runs_started,
                runs_completed=self._runs_completed,
                refused=self._refused,
                timed_out=self._timed_out,
                peak_active=self._peak_active,
                peak_queued=self._peak_queued,
            )

    def prompt_runs(self) -> Counter[str]:
        with self._lock:
            return Counter(self._prompt_runs)

    def health_detail(self) -> dict[str, object]:
        """``services.worker_pool.detail`` of ``/health``."""
        s = self.stats()
        if s.queued_tasks >= s.max_queue:
            status = "overloaded"
        elif s.queued_tasks > 2 * s.max_workers:
            status = "degraded"
        else:
            status = "ok"
        return {
            "status": status,
            "active_workers": s.active_workers,
            "max_workers": s.max_workers,
            "queued_tasks": s.queued_tasks,
            "max_queue": s.max_queue,
        }

    def reset(self, max_workers: int) -> None:
        """Forget every run (queued and running ones are killed), zero the counters, set
        ``max_workers`` and the latency back to 0."""
        _check_workers(max_workers)
        with self._lock:
            runs = [*self._queue, *self._running]
            self._generation += 1
            self._max_workers = max_workers
            self._latency = 0.0
            self._jitter = 0.0
            self._rng = random.Random(JITTER_SEED)
            self._zero()
        self._kill_soon(runs)

    def shutdown(self) -> None:
        """The server stops: every queued or running run ends (waiters get RunKilled)."""
        with self._lock:
            runs = [*self._queue, *self._running]
            self._generation += 1
            self._queue.clear()
            self._running.clear()
        self._kill_soon(runs)

    # ------------------------------------------------------------------ on the loop

    def submit(self, prompt: str, timeout: float) -> Run:
        """Admit one prompt: start it, queue it, or raise :class:`PoolOverloaded`.

        Must be called on the server's event loop; no await, so a batch's prompts are
        admitted in order without another request interleaving."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._loop = loop
            run = Run(prompt, timeout, loop.create_future(), self._generation)
            if len(self._running) < self._max_workers:
                self._start_locked(run)
            elif len(self._queue) < QUEUE_FACTOR * self._max_workers:
                self._queue.append(run)
                self._peak_queued = max(self._peak_queued, len(self._queue))
            else:
                self._refused += 1
                raise PoolOverloaded(len(self._running), len(self._queue))
        return run

    async def wait(self, run: Run, seconds: float) -> None:
        """Wait up to ``seconds`` for ``run``. Raises :class:`WaitExpired` (the run is killed
        if it is running, left queued otherwise) or :class:`RunKilled`."""
        try:
            await asyncio.wait_for(asyncio.shield(run.future), max(0.0, seconds))
        except RunKilled as exc:
            if exc.at_timeout:  # the run hit its own timeout first: a timed-out wait too
                with self._lock:
                    self._timed_out += 1
            raise
        except TimeoutError:
            with self._lock:
                self._timed_out += 1
            if run.state == "running" and run.task is not None:
                run.task.cancel()
            raise WaitExpired() from None

    async def finished(self, run: Run, seconds: float) -> bool:
        """:meth:`wait`, as a bool: False when the wait expired or the run was killed
        (also when the server stops: the pool then ends every run)."""
        try:
            await self.wait(run, seconds)
        except (WaitExpired, RunKilled):
            return False
        return True

    def _start_locked(self, run: Run) -> None:
        assert self._loop is not None
        run.state = "running"
        self._running.add(run)
        self._runs_started += 1
        self._prompt_runs[run.prompt] += 1
        self._peak_active = max(self._peak_active, len(self._running))
        if self._jitter:
            duration = self._latency + self._rng.uniform(0.0, self._jitter)
        else:
            duration = self._latency
        run.task = self._loop.create_task(self._execute(run, duration))

    async def _execute(self, run: Run, duration: float) -> None:
        at_timeout = killed = duration >= run.timeout
        try:
            await asyncio.sleep(min(duration, run.timeout))
        except asyncio.CancelledError:
            killed, at_timeout = True, False
        finally:
            run.state = "done"
            if not run.future.done():
                if killed:
                    run.future.set_exception(RunKilled(at_timeout))
                    # Mark it retrieved: nobody may wait for a dropped run.
                    run.future.exception()
                else:
                    run.future.set_result(None)
            with self._lock:
                if run.generation == self._generation and run in self._running:
                    self._running.discard(run)
                    self._runs_completed += 1
                    self._dispatch_locked()

    def _dispatch_locked(self) -> None:
        while self._queue and len(self._running) < self._max_workers:
            self._start_locked(self._queue.popleft())

    def _dispatch(self) -> None:
        with self._lock:
            if self._loop is not None:
                self._dispatch_locked()

    def _dispatch_soon(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # loop closed meanwhile
                loop.call_soon_threadsafe(self._dispatch)

    def _kill_soon(self, runs: list[Run]) -> None:
        loop = self._loop
        if not runs or loop is None or loop.is_closed():
            return

        def kill() -> None:
            for run in runs:
                if run.task is not None:
                    run.task.cancel()
                elif not run.future.done():
                    run.state = "done"
                    run.future.set_exception(RunKilled())
                    run.future.exception()

        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(kill)


def _check_workers(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"max_workers must be an int >= 1, got {n!r}")
