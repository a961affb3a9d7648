"""Batch progress on stderr: a redrawn bar on a terminal, plain periodic lines otherwise."""

from __future__ import annotations

import time
from typing import IO, Callable, Optional

BAR_WIDTH = 24
# Erase the line and return to its start: the bar redraws in place.
ERASE_LINE = "\r\x1b[2K"


def _duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    """Counts of a batch run and their rendering.

    ``done`` counts prompts with a line in the output file (those found there by
    ``--resume`` included); the rate and ETA use this run's completions only.
    """

    def __init__(
        self,
        total: int,
        stream: IO[str],
        *,
        tty: bool,
        interval: float = 10.0,
        already_done: int = 0,
        already_failed: int = 0,
        already_tokens: int = 0,
        already_cost: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = stream
        self.tty = tty
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.already_done = already_done
        self.done = already_done
        self.failed = already_failed
        self.tokens = already_tokens
        self.cost = already_cost
        self._last_plain = self.started
        self._drawn = False

    def record(self, *, failed: bool, tokens: int = 0, cost: float = 0.0) -> None:
        self.done += 1
        self.failed += int(failed)
        self.tokens += tokens
        self.cost += cost

    def rate(self) -> float:
        """Prompts per second in this run."""
        elapsed = self.clock() - self.started
        return (self.done - self.already_done) / elapsed if elapsed > 0 else 0.0

    def eta(self) -> Optional[float]:
        rate = self.rate()
        return (self.total - self.done) / rate if rate > 0 else None

    def text(self) -> str:
        """``412/1000 failed 3 | 38.2/s | ETA 00:15 | 52,310 tok | $0.012345``."""
        return (
            f"{self.done}/{self.total} failed {self.failed} | {self.rate():.1f}/s | "
            f"ETA {_duration(self.eta())} | {self.tokens:,} tok | ${self.cost:.6f}"
        )

    def bar(self) -> str:
        filled = BAR_WIDTH * self.done // self.total if self.total else BAR_WIDTH
        return "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "] " + self.text()

    def tick(self) -> None:
        """Redraw the bar (terminal) or, every ``interval`` seconds, print a line."""
        if self.tty:
            self.stream.write(ERASE_LINE + self.bar())
            self.stream.flush()
            self._drawn = True
            return
        now = self.clock()
        if now - self._last_plain >= self.interval:
            self._last_plain = now
            self.stream.write("progress: " + self.text() + "\n")
            self.stream.flush()

    def clear(self) -> None:
        """Erase the bar, so a result line written to the same terminal starts clean."""
        if self.tty and self._drawn:
            self.stream.write(ERASE_LINE)
            self.stream.flush()
            self._drawn = False

    def finish(self) -> None:
        """The last state: the bar left on its line, or one final plain line."""
        if self.tty:
            self.stream.write(ERASE_LINE + self.bar() + "\n")
        else:
            self.stream.write("progress: " + self.text() + "\n")
        self.stream.flush()
