"""Before/after evidence for the streaming throughput findings of `make bench`.

    .venv/bin/python benchmarks/profiling/stream_fixes.py [--reps 11]

Runs the current `claude_client._streaming` chat streams and the same streams with
the proposed fixes applied *by monkeypatching inside this process only* (the real
files belong to the streaming layer), interleaved with the raw `websockets` loops on
the same pre-encoded 10,000-token server that `make bench` uses.

Findings (cProfile of one 10,000-frame stream, see the README/closing note):
- async: every frame enters `async with asyncio.timeout(...)`, i.e. a new Timeout,
  a `call_at` TimerHandle pushed on the loop's heap and cancelled again: ~half the
  time of the whole stream. Fix A1: one timeout context for the whole read loop,
  re-armed (`cm.reschedule`) at most every `min(1 s, idle/10)`; when it fires, a
  frame seen since then means "not idle, re-arm", so the idle timeout still fires
  between `idle` and `idle + slack` after the last frame, and the overall deadline
  exactly.
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


# ----------------------------------------------------------------- fix A1: async timer
async def fast_async_run(
    settings: Any, protocol: Any, sock: Any, before_connect: Any = None
) -> Any:
    from websockets.exceptions import ConnectionClosed

    deadline = Deadline(settings.timeout)
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
        slack = 0.0 if idle is None else min(1.0, idle / 10)
        last_frame = loop.time()
        while not protocol.finished:
            try:
                async with asyncio.timeout(None) as cm:
                    armed_at = -math.inf
                    while not protocol.finished:
                        now = loop.time()
                        if now - armed_at >= slack:
                            when = end
                            if idle is not None:
                                when = (
                                    last_frame + idle
                                    if end is None
                                    else min(end, last_frame + idle)
                                )
                            cm.reschedule(when)
                            armed_at = now
                        raw = await conn.recv()
                        last_frame = loop.time()
                        items = protocol.handle(raw)
                        if protocol.finished:
                            items = tuple(items)
                            await sock.aclose()
                        for item in items:
                            yield item
            except builtins.TimeoutError:
                now = loop.time()
                if end is not None and now >= end:
                    raise protocol.deadline_passed(settings.timeout) from None
                if idle is not None and now - last_frame >= idle:
                    raise protocol.idle_timed_out(idle) from None
                continue  # a frame came after the timer was armed: not idle, re-arm
            except ConnectionClosed as exc:
                if sock.closing:
                    return
                raise protocol.interrupted(*_core.close_details(exc)) from None
    finally:
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
    "+ A1 (one timer)": {"async_run": fast_async_run},
    "+ A1,B,C": {"async_run": fast_async_run, "async_aiter": fast_aiter, "handle": fast_handle},
    "+ A1,B,C,E": {"async_run": fast_async_run, "async_aiter": fast_aiter, "handle": fast_handle_e},
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=11)
    reps = p.parse_args().reps
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
