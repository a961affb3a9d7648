"""``claude-client batch``: many prompts, one JSONL line per prompt as soon as it answers.

It does not use one big ``/v1/batch`` request, whose results arrive all at once: it
runs concurrent ``complete()`` calls (``--concurrency``, default the service's
``max_workers``), so every answer is written (and flushed) the moment it exists and a
crash loses nothing already answered. ``--resume`` reads the output file back (a last
line cut by a kill is repaired or dropped) and skips the ids it holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import stat
import sys
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Optional

from .. import (
    APIConnectionError,
    AuthenticationError,
    BudgetExceededError,
    ClaudeAPIError,
    ClientClosedError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from ._common import (
    EXIT_BUDGET,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    dumps,
    error_message,
    exit_status,
    info,
    make_async_client,
    redact,
)
from ._progress import Progress

if TYPE_CHECKING:
    import argparse

    from .. import AsyncClaudeClient, Response

DEFAULT_CONCURRENCY = 5
# Failures that would strike every prompt: the run stops, and writes no line for them,
# so that `--resume` sends those prompts again once the cause is fixed.
FATAL = (
    APIConnectionError,
    AuthenticationError,
    PermissionDeniedError,
    BudgetExceededError,
    RateLimitError,
    ClientClosedError,
)
POOL_REFUSAL = "Worker pool overloaded"
# Refusals left after the SDK's own retries get more rounds here: the pool frees within
# seconds (backoff 1, 2, 4, 8, 8 s), and the service's rate limit counts requests per
# wall-clock minute (backoff 5, 10, 20, 30 ... s, or its Retry-After), so a batch longer
# than the key's requests/minute waits for the next minute instead of stopping.
POOL_RETRY_ROUNDS = 6
RATE_LIMIT_RETRY_ROUNDS = 10
FSYNC_EVERY_SECONDS = 1.0
REDRAW_SECONDS = 0.2
CLOSE_GRACE_SECONDS = 0.5


@dataclass(frozen=True)
class Item:
    """One prompt of the input and its stable id (given, or its line / index number)."""

    id: Any
    prompt: str

    @property
    def key(self) -> str:
        # 1 and "1" are different ids; JSON text tells them apart.
        return json.dumps(self.id)


# ----------------------------------------------------------------------------- input


def _item_from_object(value: Any, default_id: int, where: str) -> Item:
    if isinstance(value, str):
        return Item(default_id, value)
    if not isinstance(value, dict):
        raise UsageError(f"{where}: expected a string or an object {{id, prompt}}")
    prompt = value.get("prompt")
    if not isinstance(prompt, str):
        raise UsageError(f"{where}: 'prompt' must be a string")
    item_id = value.get("id", default_id)
    if item_id is None or isinstance(item_id, (dict, list, bool, float)):
        raise UsageError(f"{where}: 'id' must be a string or an integer")
    return Item(item_id, prompt)


def parse_input(text: str, source: str) -> list[Item]:
    """Text lines, a JSON list (strings or ``{id, prompt}``), or JSONL ``{id, prompt}``.

    Ids default to the 1-based line number (text, JSONL) or index (JSON list). Empty
    prompts and duplicate ids are usage errors, found before anything is sent.
    """
    stripped = text.lstrip()
    items: list[Item] = []
    if stripped.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{source}: not valid JSON ({exc})") from None
        if not isinstance(values, list):
            raise UsageError(f"{source}: expected a JSON list")
        for index, value in enumerate(values, 1):
            items.append(_item_from_object(value, index, f"{source}: item {index}"))
    else:
        jsonl = stripped.startswith("{")
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            where = f"{source}: line {number}"
            if jsonl:
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise UsageError(f"{where}: not valid JSON ({exc})") from None
                if not isinstance(value, dict):
                    raise UsageError(f"{where}: expected an object {{id, prompt}}")
                items.append(_item_from_object(value, number, where))
            else:
                items.append(Item(number, line))
    if not items:
        raise UsageError(f"{source}: no prompts")
    seen: dict[str, int] = {}
    for position, item in enumerate(items, 1):
        if not item.prompt.strip():
            raise UsageError(f"{source}: the prompt of id {item.key} is empty")
        if item.key in seen:
            raise UsageError(
                f"{source}: id {item.key} appears twice (items {seen[item.key]} and {position})"
            )
        seen[item.key] = position
    return items


def read_input(source: str) -> list[Item]:
    if source == "-":
        return parse_input(sys.stdin.read(), "standard input")
    try:
        with open(source, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise UsageError(f"cannot read INPUT {source!r}: {exc.strerror}") from None
    return parse_input(text, source)


# ----------------------------------------------------------------------------- output


@dataclass
class Existing:
    """What an output file already holds (``--resume``)."""

    keys: set[str]
    completed: int = 0
    failed: int = 0
    tokens: int = 0
    cost: float = 0.0


def load_existing(path: str, input_keys: set[str]) -> Existing:
    """Read the ids of ``input_keys`` already answered; repair or drop a cut last line.

    A last line without its newline is kept (newline added) when it is a whole JSON
    object, else cut off; any other unreadable line is a usage error (not our file).
    """
    existing = Existing(set())
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return existing
    except OSError as exc:
        raise UsageError(f"cannot read --output {path!r}: {exc.strerror}") from None
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    records: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        record = _record(raw)
        if record is None:
            raise UsageError(
                f"--output {path!r} line {number} is not a result line; "
                "use another file or --overwrite"
            )
        records.append(record)
    if tail.strip():
        record = _record(tail)
        with open(path, "r+b") as f:
            if record is None:
                f.truncate(len(data) - len(tail))  # the half-written line goes
            else:
                f.seek(0, os.SEEK_END)
                f.write(b"\n")
        if record is not None:
            records.append(record)
    for record in records:
        key = json.dumps(record["id"])
        if key not in input_keys or key in existing.keys:
            continue  # a line of an id no longer in the input does not count
        existing.keys.add(key)
        if record.get("status") == "completed":
            existing.completed += 1
            cost = record.get("cost")
            existing.cost += cost if isinstance(cost, (int, float)) else 0.0
            usage = record.get("usage")
            if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
                existing.tokens += usage["total_tokens"]
        else:
            existing.failed += 1
    return existing


def _record(raw: bytes) -> Optional[dict[str, Any]]:
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) and "id" in value else None


class Writer:
    """The one writer of result lines: each line whole, flushed, fsync'd every second.

    Everything runs on one event loop thread and ``write`` never awaits, so lines
    cannot interleave.
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        try:
            self.fd: Optional[int] = out.fileno()
            self.is_file = stat.S_ISREG(os.fstat(self.fd).st_mode)
        except (OSError, ValueError, AttributeError):
            self.fd, self.is_file = None, False
        self.shares_terminal = out is sys.stdout and out.isatty() and sys.stderr.isatty()
        self._last_sync = time.monotonic()

    def write(self, record: dict[str, Any]) -> None:
        self.out.write(dumps(record) + "\n")
        self.out.flush()
        if self.is_file and time.monotonic() - self._last_sync >= FSYNC_EVERY_SECONDS:
            self.sync()

    def sync(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.out.flush()
            if self.is_file and self.fd is not None:
                os.fsync(self.fd)
        self._last_sync = time.monotonic()


def completed_line(item: Item, response: Response) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": "completed",
        "content": response.content,
        "usage": response.get("usage"),
        "cost": response.cost,
        "model": response.get("model"),
    }


def failed_line(item: Item, exc: BaseException) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": "failed",
        "error": {
            "type": type(exc).__name__,
            "message": redact(" ".join(str(getattr(exc, "message", exc)).split())),
            "status_code": getattr(exc, "status_code", None),
        },
    }


# ----------------------------------------------------------------------------- the run


class BatchRun:
    """Sends the prompts not yet answered, writes each answer, keeps the counts."""

    def __init__(
        self,
        args: argparse.Namespace,
        client: AsyncClaudeClient,
        todo: list[Item],
        writer: Writer,
        progress: Optional[Progress],
        spent: float,
        concurrency: int,
    ) -> None:
        self.args = args
        self.client = client
        self.todo = todo
        self.writer = writer
        self.progress = progress
        self.spent = spent
        self.concurrency = concurrency
        self.completed = 0
        self.failed = 0
        self.sent = 0
        self.stopping = False
        self.max_cost_reached = False
        self.fatal: Optional[BaseException] = None
        self.in_flight: set[asyncio.Task[None]] = set()

    async def _complete(self, item: Item) -> Response:
        """``complete()``, with more rounds for refusals than the SDK's own retries."""
        pool_rounds = rate_rounds = 0
        while True:
            try:
                return await self.client.complete(item.prompt, model=self.args.model)
            except ServerError as exc:
                if POOL_REFUSAL not in str(exc) or pool_rounds >= POOL_RETRY_ROUNDS:
                    raise
                delay = min(2.0**pool_rounds, 8.0)
                pool_rounds += 1
            except RateLimitError as exc:
                if rate_rounds >= RATE_LIMIT_RETRY_ROUNDS:
                    raise
                delay = (
                    exc.retry_after
                    if exc.retry_after is not None
                    else min(5.0 * 2.0**rate_rounds, 30.0)
                )
                rate_rounds += 1
            await asyncio.sleep(random.uniform(delay / 2, delay))

    async def _one(self, item: Item, slots: asyncio.Semaphore) -> None:
        try:
            response = await self._complete(item)
        except FATAL as exc:
            if self.fatal is None:
                self.fatal = exc
            self.stopping = True
            return
        except ClaudeAPIError as exc:
            if self._write(failed_line(item, exc)):
                self.failed += 1
                if self.progress:
                    self.progress.record(failed=True)
        else:
            if self._write(completed_line(item, response)):
                self.completed += 1
                cost = float(response.cost or 0.0)
                self.spent += cost
                if self.progress:
                    self.progress.record(
                        failed=False, tokens=response.usage.total_tokens, cost=cost
                    )
        finally:
            slots.release()

    def _write(self, record: dict[str, Any]) -> bool:
        """Write one line; a write that fails (disk full, closed pipe) stops the run."""
        if self.fatal is not None and isinstance(self.fatal, OSError):
            return False
        try:
            if self.progress is not None and self.writer.shares_terminal:
                self.progress.clear()  # results on stdout, the bar on stderr: one screen
            self.writer.write(record)
        except OSError as exc:
            self.fatal = exc
            self.stopping = True
            return False
        return True

    async def run(self) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        max_cost = self.args.max_cost
        for item in self.todo:
            await slots.acquire()
            if self.stopping:
                slots.release()
                break
            if max_cost is not None and self.spent >= max_cost:
                self.max_cost_reached = True
                slots.release()
                break
            task = asyncio.ensure_future(self._one(item, slots))
            self.sent += 1
            self.in_flight.add(task)
            task.add_done_callback(self.in_flight.discard)
        if self.in_flight:
            await asyncio.gather(*list(self.in_flight), return_exceptions=True)

    def cancel(self) -> None:
        """Stop submitting and cancel what is in flight (Ctrl-C)."""
        self.stopping = True
        for task in list(self.in_flight):
            task.cancel()


async def _concurrency(client: AsyncClaudeClient, given: Optional[int]) -> int:
    if given is not None:
        return given
    try:
        health = await client.health(timeout=min(5.0, client.timeout), max_retries=0)
        detail = (health.get("services") or {}).get("worker_pool", {}).get("detail") or {}
        workers = detail.get("max_workers")
        if isinstance(workers, int) and workers > 0:
            return workers
    except ClaudeAPIError:
        pass
    return DEFAULT_CONCURRENCY


async def _main(
    args: argparse.Namespace,
    todo: list[Item],
    writer: Writer,
    existing: Existing,
    total: int,
) -> int:
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    interrupted: list[int] = []
    progress: Optional[Progress] = None
    client = make_async_client(args)
    try:
        concurrency = await _concurrency(client, args.concurrency)
        if not getattr(args, "quiet", False):
            progress = Progress(
                total,
                sys.stderr,
                tty=sys.stderr.isatty(),
                interval=args.progress_interval,
                already_done=len(existing.keys),
                already_failed=existing.failed,
                already_tokens=existing.tokens,
                already_cost=existing.cost,
            )
        batch = BatchRun(args, client, todo, writer, progress, existing.cost, concurrency)
        runner = asyncio.ensure_future(batch.run())

        def on_signal(status: int) -> None:
            if not interrupted:
                interrupted.append(status)
                batch.cancel()
                runner.cancel()

        for signum, status in ((signal.SIGINT, EXIT_INTERRUPTED), (signal.SIGTERM, 143)):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, on_signal, status)

        async def redraw() -> None:
            while progress is not None:
                progress.tick()
                await asyncio.sleep(REDRAW_SECONDS)

        drawer = asyncio.ensure_future(redraw())
        try:
            await runner
        except asyncio.CancelledError:
            if not interrupted:
                raise
            # Cancelled tasks end at once; give them a moment to unwind, never more.
            if batch.in_flight:
                await asyncio.wait(list(batch.in_flight), timeout=CLOSE_GRACE_SECONDS)
        finally:
            drawer.cancel()
            writer.sync()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
        if progress is not None:
            progress.finish()
    finally:
        with contextlib.suppress(Exception, asyncio.TimeoutError):
            await asyncio.wait_for(client.close(), CLOSE_GRACE_SECONDS)

    done = len(existing.keys) + batch.completed + batch.failed
    completed = existing.completed + batch.completed
    failed = existing.failed + batch.failed
    info(
        args,
        f"batch: {done}/{total} prompts have a line ({completed} completed, {failed} failed); "
        f"this run sent {batch.sent} in {time.monotonic() - started:.1f} s; "
        f"cost ${batch.spent:.6f} in total",
    )
    left = total - done
    if interrupted:
        info(args, f"interrupted: {left} prompts left; run again with --resume to continue")
        return interrupted[0]
    if batch.fatal is not None:
        print(f"claude-client: error: {error_message(batch.fatal)}", file=sys.stderr)
        info(args, f"stopped: {left} prompts left; fix the cause and run again with --resume")
        return exit_status(batch.fatal)
    if batch.max_cost_reached and left:
        info(
            args,
            f"stopped: --max-cost {args.max_cost} reached (${batch.spent:.6f} spent); {left} "
            "prompts not sent; run again with --resume and a higher --max-cost",
        )
        return EXIT_BUDGET
    return EXIT_ERROR if failed else EXIT_OK


def run_batch(args: argparse.Namespace) -> int:
    """``claude-client batch``: parse, check, resume, run; returns the exit status."""
    if args.concurrency is not None and args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.max_cost is not None and args.max_cost < 0:
        raise UsageError("--max-cost must be >= 0")
    if args.resume and not args.output:
        raise UsageError("--resume needs -o FILE: it reads the results already written there")
    if args.resume and args.overwrite:
        raise UsageError("--resume and --overwrite contradict each other")
    items = read_input(args.input)
    input_keys = {item.key for item in items}
    existing = Existing(set())
    if args.output:
        if args.resume:
            existing = load_existing(args.output, input_keys)
        elif (
            os.path.exists(args.output) and os.path.getsize(args.output) > 0 and not args.overwrite
        ):
            raise UsageError(
                f"--output {args.output!r} already holds results: "
                "pass --resume to continue it or --overwrite to replace it"
            )
    todo = [item for item in items if item.key not in existing.keys]
    if args.output:
        out: IO[str] = open(  # noqa: SIM115 (closed below, after the run)
            args.output, "a" if args.resume else "w", encoding="utf-8"
        )
    else:
        out = sys.stdout
    try:
        if existing.keys:
            info(args, f"resuming: {len(existing.keys)} of {len(items)} prompts already answered")
        return asyncio.run(_main(args, todo, Writer(out), existing, len(items)))
    finally:
        if out is not sys.stdout:
            out.close()
        else:
            with contextlib.suppress(OSError, ValueError):
                out.flush()
            if isinstance(sys.exc_info()[1], BrokenPipeError) or not _stdout_alive():
                # The reader left (`| head`): no "Exception ignored" at interpreter exit.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())


def _stdout_alive() -> bool:
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        return False
    return True
