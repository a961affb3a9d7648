"""The measuring discipline shared by every benchmark.

- Every side of a comparison runs in the same process run, interleaved: rep i runs all
  sides once, in an order rotated by i (A B C, B C A, C A B, ...), so machine drift and
  order effects hit every side alike.
- Warm-up reps first (discarded), then at least 5 measured reps; a figure is the median
  with the min-max beside it.
- A ratio is computed per rep from the paired sides of that rep, then summarised the
  same way (median, min-max). Never an absolute threshold.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MIN_REPS = 5


@dataclass
class Figure:
    """A list of per-rep samples of one side (seconds, bytes, ...), summarised."""

    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def scaled(self, factor: float) -> Figure:
        return Figure([s * factor for s in self.samples])

    def as_dict(self, unit: str) -> dict[str, Any]:
        return {
            "unit": unit,
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "samples": self.samples,
        }


def ratio(a: Figure, b: Figure) -> Figure:
    """Per-rep a/b of two sides measured in the same interleaved run."""
    if len(a.samples) != len(b.samples):
        raise ValueError("ratio of figures from different runs")
    return Figure([x / y for x, y in zip(a.samples, b.samples, strict=True)])


def fold(figs: dict[str, Figure], k: int) -> dict[str, Figure]:
    """Sum each run of k consecutive samples into one (blocks of one rep -> the rep)."""
    out = {}
    for name, fig in figs.items():
        s = fig.samples
        out[name] = Figure([sum(s[i : i + k]) for i in range(0, len(s) - k + 1, k)])
    return out


def _orders(names: list[str], reps: int) -> Iterator[list[str]]:
    for i in range(reps):
        k = i % len(names)
        yield names[k:] + names[:k]


def interleave(
    sides: dict[str, Callable[[], float]], *, reps: int, warmup: int = 1
) -> dict[str, Figure]:
    """Run each side's one-rep callable (returns its own elapsed measure) interleaved."""
    if reps < MIN_REPS:
        raise ValueError(f"at least {MIN_REPS} measured reps")
    names = list(sides)
    for order in _orders(names, warmup):
        for name in order:
            sides[name]()
    out = {name: Figure() for name in names}
    for order in _orders(names, reps):
        for name in order:
            out[name].samples.append(sides[name]())
    return out


async def ainterleave(
    sides: dict[str, Callable[[], Awaitable[float]]], *, reps: int, warmup: int = 1
) -> dict[str, Figure]:
    """`interleave` for coroutine sides, all in the one running event loop."""
    if reps < MIN_REPS:
        raise ValueError(f"at least {MIN_REPS} measured reps")
    names = list(sides)
    for order in _orders(names, warmup):
        for name in order:
            await sides[name]()
    out = {name: Figure() for name in names}
    for order in _orders(names, reps):
        for name in order:
            out[name].samples.append(await sides[name]())
    return out


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    """A one-rep callable measuring the wall time of fn()."""

    def run() -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    return run


def atimed(fn: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[float]]:
    async def run() -> float:
        t0 = time.perf_counter()
        await fn()
        return time.perf_counter() - t0

    return run


@contextlib.contextmanager
def floor_server(kind: str, *args: str) -> Iterator[int]:
    """Start benchmarks/_servers.py in a subprocess; yield its port; stop it after."""
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_servers.py"), kind, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"floor server {kind} did not start: {line!r}")
        yield int(line.split()[1])
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_async(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]
