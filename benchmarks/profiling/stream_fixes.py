"""Before/after evidence for the streaming throughput findings of `make bench`.

APPLIED: fixes A-E below are now in `claude_client/_streaming/` itself (A as
`_async._Watchdog`, regression tests in tests/streaming/test_stream_fast_paths.py),
so the "as is" rows measure the fixed code and the prototype rows only swap in
these in-process prototypes (the handle patches are shadowed by
`ChatProtocol.handle`'s own token fast path). Kept as the record of the findings.

    .venv/bin/python benchmarks/profiling/stream_fixes.py [--reps 11]
    .venv/bin/python benchmarks/profiling/stream_fixes.py --check   # semantics kept

Runs the current `claude_client._streaming` chat streams and the same streams with
the proposed fixes applied *by monkeypatching inside this process only* (the real
files belong to the streaming layer), interleaved with the raw `websockets` loops on
the same pre-encoded 10,000-token server that `make bench` uses.

Findings (cProfile of one 10,000-frame stream, see the README/closing note):
- async: every frame enters `async with asyncio.timeout(...)`, i.e. a new Timeout,
  a `call_at` TimerHandle pushed on the loop's heap and cancelled again: ~half the
  time of the whole stream. Fix A1 (`_Watchdog` below): one timer per stream that
  cancels the task only while the generator is parked in `recv()` and re-arms
  itself lazily; per frame the generator just stores the time and flips a flag.
  Idle timeout (measured from the start of each `recv()`, as now) and deadline keep
  their meaning; the caller's own loop body is never cancelled.
- both: `_Stream.__next__` / `_AsyncStream.__anext__` wrap every item in a Python
  level call (`__anext__` even adds a coroutine per item). Fix B: `__iter__` /
  `__aiter__` return the generator itself once started (`next(stream)` keeps working
  through `__next__`).
- both: `Protocol.handle` is a generator (`handle` -> `yield from _handle`), wrapped
  in `list(...)` per frame: two generator objects and a list per token. Fix C: a
  token fast path returning a tuple of 0 or 1 chunk, the generic path for the rest.
- sync: per frame `Deadline.remaining()`, `min`, `math.isinf`. Fix D: compute the
  absolute end once and the wait with one clock read.
- both: `decode_frame` calls `json.loads`, whose Python wrappers (type checks,
  `JSONDecoder.decode`, two whitespace regex matches) cost ~0.6 us of its ~0.9 us
  per small frame. Fix E: a module-level `_raw_decode = json.JSONDecoder().raw_decode`
  for `str` frames (falling back to the current path for anything unusual, so the
  error messages stay), ~0.27 us.
The `recv(timeout=...)` needed for the idle timeout itself costs ~5% in the sync
client (websockets' timed queue get); no fix proposed for that.
"""

from __future__ import annotations

import argparse
import asyncio
import builtins
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import run
from _harness import ainterleave, floor_server, interleave

from claude_client._retry import Deadline
from claude_client._streaming import (
    AsyncChatStream,
    ChatStream,
    StreamSettings,
    _async,
    _core,
    _sync,
)

N = 10_000
MESSAGES = [{"role": "user", "content": "hi"}]
ORIG = {
    "handle": _core.Protocol.handle,
    "sync_run": _sync._run,
    "sync_iter": _sync._Stream.__iter__,
    "async_run": _async._run,
    "async_aiter": _async._AsyncStream.__aiter__,
}


# ----------------------------------------------------------------- fix C: token fast path
def fast_handle(self: Any, raw: Any) -> Any:
    frame = _core.decode_frame(raw)
    return _fast_handle(self, frame, raw)


_raw_decode = json.JSONDecoder().raw_decode


def fast_handle_e(self: Any, raw: Any) -> Any:
    """C plus E: parse with a bound raw_decode (json.loads's wrappers cost ~0.6 us)."""
    frame = None
    if isinstance(raw, str):
        try:
            frame, end = _raw_decode(raw)
        except ValueError:
            frame = None
        else:
            if end != len(raw) and raw[end:].strip():
                frame = None
    if not isinstance(frame, dict):
        frame = _core.decode_frame(raw)  # the generic path keeps its error messages
    return _fast_handle(self, frame, raw)


def _fast_handle(self: Any, frame: dict[str, Any], raw: Any) -> Any:
    if frame.get("type") == "token":
        self.frames += 1
        text = frame.get("content")
        if isinstance(text, str) and text:
            self.content_parts.append(text)
            return (text,)
        return ()
    return tuple(ORIG["handle"](self, raw))


# ----------------------------------------------------------------- fix B: no __next__ hop
def fast_iter(self: Any) -> Any:
    if self._gen is None:
        if self._sock.closing:
            return iter(())
        self._gen = _sync._run(self._settings, self._protocol, self._sock, self._before_connect())
    return self._gen


def fast_aiter(self: Any) -> Any:
    if self._gen is None:
        self._gen = _async._run(self._settings, self._protocol, self._sock, self._before_connect())
    return self._gen


# ----------------------------------------------------------------- fix D: sync read loop
def fast_sync_run(settings: Any, protocol: Any, sock: Any, before_connect: Any = None) -> Any:
    from websockets.exceptions import ConnectionClosed

    deadline = Deadline(settings.timeout)
    try:
        if before_connect is not None:
            before_connect(deadline)
        conn = _sync._connect(settings, deadline, protocol)
        with sock.lock:
            closing = sock.closing
            sock.conn = conn
        if closing:
            sock.close()
            return
        request = protocol.request(settings.api_key)
        try:
            conn.send(json.dumps(request))
        except ConnectionClosed as exc:
            if sock.closing:
                return
            raise protocol.interrupted(*_core.close_details(exc)) from None
        del request
        idle = protocol.idle_timeout(settings)
        remaining = deadline.remaining()
        clock = time.monotonic
        end = None if math.isinf(remaining) else clock() + remaining
        recv, handle = conn.recv, protocol.handle
        while not protocol.finished:
            if end is None:
                wait = idle
            else:
                left = end - clock()
                if left <= 0:
                    raise protocol.deadline_passed(settings.timeout)
                wait = left if idle is None or left < idle else idle
            try:
                raw = recv(timeout=wait)
            except builtins.TimeoutError:
                if idle is not None and idle < deadline.remaining():
                    raise protocol.idle_timed_out(idle) from None
                raise protocol.deadline_passed(settings.timeout) from None
            except ConnectionClosed as exc:
                if sock.closing:
                    return
                raise protocol.interrupted(*_core.close_details(exc)) from None
            items = handle(raw)
            if protocol.finished:
                items = tuple(items)
                sock.close()
            yield from items
    finally:
        sock.close()


# ----------------------------------------------------------------- fix A1: async watchdog
class _Watchdog:
    """One lazily re-armed timer per stream instead of `asyncio.timeout` per frame.

    It cancels the stream's task only while the generator is parked in `recv()`
    (`waiting`), never while the caller runs its loop body between two chunks: a
    timeout context held across `yield` would cancel the caller's own code. Per frame
    the generator only stores `since` and flips `waiting`; the timer wakes at most
    once per limit (or every `slack` s while the caller is busy), not once per frame.
    """

    __slots__ = ("end", "fired", "handle", "idle", "loop", "since", "task", "waiting")

    def __init__(self, loop: Any, idle: float | None, end: float | None) -> None:
        self.loop, self.idle, self.end = loop, idle, end
        self.task = asyncio.current_task()
        self.since = loop.time()
        self.waiting = False
        self.fired = False
        self.handle = loop.call_at(self.limit(), self.check) if self.limit() is not None else None

    def limit(self) -> float | None:
        if self.idle is None:
            return self.end
        lim = self.since + self.idle
        return lim if self.end is None else min(lim, self.end)

    def check(self) -> None:
        now = self.loop.time()
        lim = self.limit()
        assert lim is not None
        if self.waiting and now >= lim:
            self.fired = True
            self.handle = None
            assert self.task is not None
            self.task.cancel()
            return
        # caller busy (not waiting) or a newer recv started: look again later
        self.handle = self.loop.call_at(max(lim, now + 0.05), self.check)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


async def fast_async_run(
    settings: Any, protocol: Any, sock: Any, before_connect: Any = None
) -> Any:
    from websockets.exceptions import ConnectionClosed

    deadline = Deadline(settings.timeout)
    dog = None
    try:
        if before_connect is not None:
            await before_connect(deadline)
        conn = await _async._connect(settings, deadline, protocol)
        sock.conn = conn
        if sock.closing:
            await sock.aclose()
            return
        request = protocol.request(settings.api_key)
        try:
            await conn.send(json.dumps(request))
        except ConnectionClosed as exc:
            if sock.closing:
                return
            raise protocol.interrupted(*_core.close_details(exc)) from None
        del request
        idle = protocol.idle_timeout(settings)
        loop = asyncio.get_running_loop()
        remaining = deadline.remaining()
        end = None if math.isinf(remaining) else loop.time() + remaining
        dog = _Watchdog(loop, idle, end)
        recv, handle, clock = conn.recv, protocol.handle, loop.time
        while not protocol.finished:
            dog.since = clock()
            dog.waiting = True
            try:
                raw = await recv()
            except asyncio.CancelledError:
                if not dog.fired:
                    raise
                assert dog.task is not None
                dog.task.uncancel()
                if end is not None and clock() >= end:
                    raise protocol.deadline_passed(settings.timeout) from None
                raise protocol.idle_timed_out(idle) from None
            except ConnectionClosed as exc:
                if sock.closing:
                    return
                raise protocol.interrupted(*_core.close_details(exc)) from None
            finally:
                dog.waiting = False
            items = handle(raw)
            if protocol.finished:
                items = tuple(items)
                dog.stop()
                await sock.aclose()
            for item in items:
                yield item
    finally:
        if dog is not None:
            dog.stop()
        await sock.aclose()


def apply(**patches: Any) -> None:
    _core.Protocol.handle = patches.get("handle", ORIG["handle"])  # type: ignore[method-assign]
    _sync._run = patches.get("sync_run", ORIG["sync_run"])
    _sync._Stream.__iter__ = patches.get("sync_iter", ORIG["sync_iter"])  # type: ignore[method-assign]
    _async._run = patches.get("async_run", ORIG["async_run"])
    _async._AsyncStream.__aiter__ = patches.get("async_aiter", ORIG["async_aiter"])  # type: ignore[method-assign]


SYNC_VARIANTS: dict[str, dict[str, Any]] = {
    "as is": {},
    "+ B,C (iter, token fast path)": {"sync_iter": fast_iter, "handle": fast_handle},
    "+ B,C,D (and the read loop)": {
        "sync_iter": fast_iter,
        "handle": fast_handle,
        "sync_run": fast_sync_run,
    },
    "+ B,C,D,E (and raw_decode)": {
        "sync_iter": fast_iter,
        "handle": fast_handle_e,
        "sync_run": fast_sync_run,
    },
}
ASYNC_VARIANTS: dict[str, dict[str, Any]] = {
    "as is": {},
    "+ A1 (watchdog)": {"async_run": fast_async_run},
    "+ A1,B,C": {"async_run": fast_async_run, "async_aiter": fast_aiter, "handle": fast_handle},
    "+ A1,B,C,E": {"async_run": fast_async_run, "async_aiter": fast_aiter, "handle": fast_handle_e},
}


async def _semantics(fake: Any) -> None:
    """The patched async stream keeps the idle timeout, the deadline, slow callers and
    outer cancellation as they are (run with --check, against the fake service)."""
    from claude_client import TimeoutError as StreamTimeout

    def settings(idle: float, timeout: float) -> Any:
        return StreamSettings.from_client(
            base_url=fake.base_url, api_key=fake.api_key, idle_timeout=idle, timeout=timeout
        )

    def chat(st: Any, text: str) -> Any:
        return AsyncChatStream(st, messages=[{"role": "user", "content": text}], model="haiku")

    fake.set_token_delay(1.5)
    t0 = time.perf_counter()
    try:
        async for _ in chat(settings(0.5, 10), "hello there"):
            pass
        print("idle timeout: NOT raised (wrong)")
    except StreamTimeout as e:
        print(f"idle timeout: raised after {time.perf_counter() - t0:.2f} s ({e})")
    fake.set_token_delay(0)
    stream = chat(settings(0.5, 10), "hello there my friend")
    n = 0
    async for _ in stream:
        n += 1
        await asyncio.sleep(0.7)  # a caller slower than the idle timeout
    print(f"slow caller (0.7 s per chunk, idle 0.5 s): {n} chunks, finished={stream.finished}")
    fake.set_token_delay(0.4)
    t0 = time.perf_counter()
    try:
        async for _ in chat(settings(5, 1.0), "a b c d e f g h i j"):
            pass
        print("deadline: NOT raised (wrong)")
    except StreamTimeout as e:
        print(f"deadline: raised after {time.perf_counter() - t0:.2f} s ({e})")
    fake.set_token_delay(1.0)

    async def consume() -> None:
        async for _ in chat(settings(0.5, 10), "x y z"):
            pass

    task = asyncio.ensure_future(consume())
    await asyncio.sleep(0.2)
    task.cancel()
    try:
        await task
        print("outer cancel: swallowed (wrong)")
    except asyncio.CancelledError:
        print("outer cancel: propagates as CancelledError")
    fake.set_token_delay(0)


def check() -> None:
    import logging

    from claude_client import testing

    apply(async_run=fast_async_run, async_aiter=fast_aiter, handle=fast_handle_e)
    try:
        with testing.serve() as fake:
            # The fake logs a traceback when, at shutdown, it closes (1001) a socket the
            # client already closed; that is the fake's noise, not these checks'.
            logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
            asyncio.run(_semantics(fake))
    finally:
        apply()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=11)
    p.add_argument("--check", action="store_true", help="semantics of the patched async stream")
    a = p.parse_args()
    if a.check:
        check()
        return
    reps = a.reps
    with floor_server("ws", str(N)) as port:
        base = f"http://127.0.0.1:{port}"
        url = f"ws://127.0.0.1:{port}/v1/stream"
        settings = StreamSettings.from_client(base_url=base, api_key=run.API_KEY)

        def sync_side(patches: dict[str, Any]) -> Any:
            def rep() -> float:
                apply(**patches)
                t0 = time.perf_counter()
                count = sum(1 for _ in ChatStream(settings, messages=MESSAGES, model="haiku"))
                assert count == N, count
                return time.perf_counter() - t0

            return rep

        sides = {"raw websockets.sync": lambda: run._raw_ws_sync(url, N)[1]}
        sides |= {f"ChatStream {k}": sync_side(v) for k, v in SYNC_VARIANTS.items()}
        report(interleave(sides, reps=reps, warmup=1))

        async def async_main() -> None:
            def async_side(patches: dict[str, Any]) -> Any:
                async def rep() -> float:
                    apply(**patches)
                    t0 = time.perf_counter()
                    count = 0
                    async for _ in AsyncChatStream(settings, messages=MESSAGES, model="haiku"):
                        count += 1
                    assert count == N, count
                    return time.perf_counter() - t0

                return rep

            async def raw() -> float:
                return (await run._raw_ws_async(url, N))[1]

            aside: dict[str, Any] = {"raw websockets.asyncio": raw}
            aside |= {f"AsyncChatStream {k}": async_side(v) for k, v in ASYNC_VARIANTS.items()}
            report(await ainterleave(aside, reps=reps, warmup=1))

        asyncio.run(async_main())
        apply()


def report(figs: dict[str, Any]) -> None:
    names = list(figs)
    raw = figs[names[0]]
    for name in names:
        f = figs[name]
        ratios = sorted(r / s for r, s in zip(raw.samples, f.samples, strict=True))
        print(
            f"{name:48s} {N / f.median:>9,.0f} chunks/s  "
            f"{ratios[len(ratios) // 2]:.2f}x raw [{ratios[0]:.2f}-{ratios[-1]:.2f}]"
        )
    print()


if __name__ == "__main__":
    main()
