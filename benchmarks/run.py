"""`make bench`: what the SDK costs over the wire, side by side with the floor.

    .venv/bin/python benchmarks/run.py [--quick] [--only per-call,import,...]
                                       [--profile SIDE] [--out PATH]

Prints one table and writes benchmarks/results.json (figures with every sample,
machine, versions, date). Discipline in _harness.py: interleaved sides, warm-up,
median of >= 5 reps with min-max, ratios per rep of the same run. Not a test: no
absolute threshold anywhere; a goal is a ratio, reported as met or missed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import _sdk
import httpx2
from _harness import (
    HERE,
    Figure,
    ainterleave,
    atimed,
    floor_server,
    fold,
    interleave,
    ratio,
    timed,
)
from _sdk import CHAT_BODY, MODEL, PROMPT, NotAvailable

ROOT = HERE.parent
PROFILES = HERE / "profiles"
API_KEY = "cc_" + "0123456789abcdef" * 2 + "01234567"


# ----------------------------------------------------------------------------- rows


@dataclass
class Row:
    bench: str
    side: str
    value: Figure | None = None
    unit: str = ""
    ratio: Figure | None = None
    vs: str = ""
    goal: str = ""  # e.g. "<= 1.10"
    note: str = ""  # "not available: ..." or an extra
    extra: dict[str, Any] = field(default_factory=dict)

    def status(self) -> str:
        if self.note.startswith("not available"):
            return "n/a"
        if not self.goal or self.ratio is None:
            return ""
        op, _, bound = self.goal.partition(" ")
        m = self.ratio.median
        ok = m <= float(bound) if op == "<=" else m >= float(bound)
        return "met" if ok else "MISSED"

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"bench": self.bench, "side": self.side}
        if self.value is not None:
            d["value"] = self.value.as_dict(self.unit)
        if self.ratio is not None:
            d["ratio"] = self.ratio.as_dict("x") | {"vs": self.vs}
        if self.goal:
            d["goal"] = self.goal
            d["status"] = self.status()
        if self.note:
            d["note"] = self.note
        if self.extra:
            d["extra"] = self.extra
        return d


def not_available(bench: str, side: str, why: object) -> Row:
    return Row(bench, side, note=f"not available: {why}")


def _fmt(x: float, unit: str) -> str:
    if unit == "chunks/s":
        return f"{x:,.0f}"
    if unit == "us/call":
        return f"{x:.1f}"
    if unit in ("ms",):
        return f"{x:.2f}" if x < 100 else f"{x:.0f}"
    if unit == "s":
        return f"{x:.3f}"
    if unit == "MiB":
        return f"{x:.1f}"
    return f"{x:.3g}"


def render(rows: list[Row]) -> str:
    head = ["benchmark", "side", "median", "min-max", "ratio (median, min-max)", "goal", ""]
    table: list[list[str]] = []
    last_bench = None
    for r in rows:
        bench = r.bench if r.bench != last_bench else ""
        last_bench = r.bench
        if r.note.startswith("not available"):
            goal = r.goal.replace("<=", "≤").replace(">=", "≥") + "x" if r.goal else ""
            table.append([bench, r.side, "", "", "", goal, r.note])
            continue
        med = mm = rat = ""
        if r.value is not None:
            med = f"{_fmt(r.value.median, r.unit)} {r.unit}"
            mm = f"{_fmt(r.value.min, r.unit)}-{_fmt(r.value.max, r.unit)}"
        if r.ratio is not None:
            rat = f"{r.ratio.median:.2f}x {r.vs} [{r.ratio.min:.2f}-{r.ratio.max:.2f}]"
        goal = r.goal.replace("<=", "≤").replace(">=", "≥") + "x" if r.goal else ""
        status = r.status()
        if r.note and not status:
            status = r.note
        elif r.note:
            status = f"{status} ({r.note})"
        table.append([bench, r.side, med, mm, rat, goal, status])
    widths = [max(len(x) for x in col) for col in zip(head, *table, strict=True)]
    lines = []

    def line(cells: list[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            out.append(c.ljust(widths[i]) if i < len(cells) - 1 else c)
        return "  ".join(out).rstrip()

    lines.append(line(head))
    lines.append("  ".join("-" * w for w in widths))
    for cells in table:
        lines.append(line(cells))
    return "\n".join(lines)


# ------------------------------------------------------------------ 1. per-call overhead

CALLS = 2_000


BLOCKS = 10  # a rep of N calls per side runs as 10 interleaved blocks of N/10 calls

# Goals of issue 14, against both floors measured in the same interleaved run: the
# SDK runs on httpx2 (<= 1.10x raw httpx2) and must beat what it cost on httpx.
GOAL_VS_HTTPX2 = "<= 1.10"
GOAL_VS_HTTPX = {"sync": "<= 1.0", "async": "<= 0.75"}


def old_httpx() -> Any:
    """The old httpx package, the second floor (dev extra only: the SDK never imports it)."""
    try:
        import httpx  # httpx2-codemod: keep
    except ImportError as e:
        raise NotAvailable(f"the old httpx is not installed ({e})") from e
    return httpx


def floor_rows(
    bench: str, kind: str, figs: dict[str, Figure], per_call: float, missing: dict[str, str]
) -> list[Row]:
    """The two floors: raw httpx2 (the SDK's own HTTP layer) and raw httpx (the old one)."""
    kind_cls = "Client" if kind == "sync" else "AsyncClient"
    rows = [
        Row(bench, f"raw httpx2.{kind_cls}.post().json()", figs["raw"].scaled(per_call), "us/call")
    ]
    label = f"raw httpx.{kind_cls}.post().json() (old httpx)"  # httpx2-codemod: keep
    if "raw httpx" in missing:
        rows.append(Row(bench, label, note=f"not available: {missing['raw httpx']}"))
    else:
        rows.append(
            Row(
                bench,
                label,
                figs["raw httpx"].scaled(per_call),
                "us/call",
                ratio(figs["raw httpx"], figs["raw"]),
                "raw httpx2",
            )
        )
    return rows


def facade_rows(
    bench: str,
    kind: str,
    label: str,
    figs: dict[str, Figure],
    per_call: float,
    missing: dict[str, str],
) -> list[Row]:
    """The facade against both floors (one row per floor, each with its goal)."""
    if "facade" in missing:
        return [Row(bench, label, goal=GOAL_VS_HTTPX2, note=f"not available: {missing['facade']}")]
    value = figs["facade"].scaled(per_call)
    rows = [
        Row(
            bench,
            label,
            value,
            "us/call",
            ratio(figs["facade"], figs["raw"]),
            "raw httpx2",
            GOAL_VS_HTTPX2,
        )
    ]
    if "raw httpx" not in missing:
        rows.append(
            Row(
                bench,
                f"{label} vs old httpx",
                value,
                "us/call",
                ratio(figs["facade"], figs["raw httpx"]),
                "raw httpx",
                GOAL_VS_HTTPX[kind],
            )
        )
    return rows


def bench_per_call(args: argparse.Namespace) -> list[Row]:
    n = args.calls // BLOCKS
    reps = args.reps * BLOCKS
    rows: list[Row] = []
    b_sync = "1 per-call, sync"
    b_async = "1 per-call, async"
    auth = {"Authorization": f"Bearer {API_KEY}"}
    with floor_server("http") as port:
        url = f"http://127.0.0.1:{port}"

        # ---- sync
        raw = httpx2.Client(base_url=url, headers=auth)

        def raw_loop() -> None:
            post = raw.post
            for _ in range(n):
                post("/v1/chat/completions", json=CHAT_BODY).json()

        sides: dict[str, Callable[[], float]] = {"raw": timed(raw_loop)}
        missing: dict[str, str] = {}
        old_raw = None
        try:
            old_raw = old_httpx().Client(base_url=url, headers=auth)

            def old_raw_loop() -> None:
                post = old_raw.post
                for _ in range(n):
                    post("/v1/chat/completions", json=CHAT_BODY).json()

            sides["raw httpx"] = timed(old_raw_loop)
        except NotAvailable as e:
            missing["raw httpx"] = str(e)
        facade = None
        try:
            facade = _sdk.sync_client(url, API_KEY)

            def facade_loop() -> None:
                complete = facade.complete
                for _ in range(n):
                    complete(PROMPT, model=MODEL)

            facade_loop_n = facade_loop
            sides["facade"] = timed(facade_loop_n)
        except NotAvailable as e:
            missing["facade"] = str(e)
        try:
            if facade is None:
                raise NotAvailable("needs ClaudeClient (issue 4)")
            gen = _sdk.generated_of(facade)
            from claude_client.generated.api.api import chat_completion

            def gen_loop() -> None:
                for _ in range(n):
                    chat_completion.sync_detailed(client=gen, body=_sdk.chat_request())

            sides["generated via client.generated"] = timed(gen_loop)
        except NotAvailable as e:
            missing["generated via client.generated"] = str(e)

        plain = _sdk.plain_generated_client(url, API_KEY)
        from claude_client.generated.api.api import chat_completion

        def plain_loop() -> None:
            for _ in range(n):
                chat_completion.sync_detailed(client=plain, body=_sdk.chat_request())

        sides["generated, plain AuthenticatedClient"] = timed(plain_loop)

        if args.profile == "per-call-sync" and "facade" in sides:
            profile_to("per-call-sync", sides["facade"])
        figs = fold(interleave(sides, reps=reps, warmup=2), BLOCKS)
        raw.close()
        if old_raw is not None:
            old_raw.close()
        if facade is not None:
            facade.close()
        plain.get_httpx_client().close()

        per_call = 1e6 / (n * BLOCKS)
        rows += floor_rows(b_sync, "sync", figs, per_call, missing)
        rows += facade_rows(b_sync, "sync", "ClaudeClient.complete()", figs, per_call, missing)
        labels = {
            "generated via client.generated": (
                "generated chat_completion.sync_detailed via client.generated",
                "",
            ),
            "generated, plain AuthenticatedClient": (
                "generated sync_detailed, plain AuthenticatedClient",
                "",
            ),
        }
        for key, (label, goal) in labels.items():
            if key in missing:
                rows.append(Row(b_sync, label, goal=goal, note=f"not available: {missing[key]}"))
            else:
                rows.append(
                    Row(
                        b_sync,
                        label,
                        figs[key].scaled(per_call),
                        "us/call",
                        ratio(figs[key], figs["raw"]),
                        "raw httpx2",
                        goal,
                    )
                )

        # ---- async
        rows.extend(asyncio.run(_per_call_async(url, n, reps, args, b_async)))
    return rows


async def _per_call_async(
    url: str, n: int, reps: int, args: argparse.Namespace, bench: str
) -> list[Row]:
    auth = {"Authorization": f"Bearer {API_KEY}"}
    raw = httpx2.AsyncClient(base_url=url, headers=auth)

    async def raw_loop() -> None:
        post = raw.post
        for _ in range(n):
            (await post("/v1/chat/completions", json=CHAT_BODY)).json()

    sides: dict[str, Callable[[], Any]] = {"raw": atimed(raw_loop)}
    missing: dict[str, str] = {}
    old_raw = None
    try:
        old_raw = old_httpx().AsyncClient(base_url=url, headers=auth)

        async def old_raw_loop() -> None:
            post = old_raw.post
            for _ in range(n):
                (await post("/v1/chat/completions", json=CHAT_BODY)).json()

        sides["raw httpx"] = atimed(old_raw_loop)
    except NotAvailable as e:
        missing["raw httpx"] = str(e)
    facade = None
    try:
        facade = _sdk.async_client(url, API_KEY)

        async def facade_loop() -> None:
            complete = facade.complete
            for _ in range(n):
                await complete(PROMPT, model=MODEL)

        sides["facade"] = atimed(facade_loop)
    except NotAvailable as e:
        missing["facade"] = str(e)

    plain = _sdk.plain_generated_client(url, API_KEY)
    from claude_client.generated.api.api import chat_completion

    async def plain_loop() -> None:
        for _ in range(n):
            await chat_completion.asyncio_detailed(client=plain, body=_sdk.chat_request())

    sides["plain"] = atimed(plain_loop)
    figs = fold(await ainterleave(sides, reps=reps, warmup=2), BLOCKS)
    await raw.aclose()
    if old_raw is not None:
        await old_raw.aclose()
    if facade is not None:
        await facade.close() if asyncio.iscoroutinefunction(facade.close) else facade.close()
    await plain.get_async_httpx_client().aclose()

    per_call = 1e6 / (n * BLOCKS)
    rows = floor_rows(bench, "async", figs, per_call, missing)
    rows += facade_rows(bench, "async", "AsyncClaudeClient.complete()", figs, per_call, missing)
    rows.append(
        Row(
            bench,
            "generated asyncio_detailed, plain AuthenticatedClient",
            figs["plain"].scaled(per_call),
            "us/call",
            ratio(figs["plain"], figs["raw"]),
            "raw httpx2",
        )
    )
    return rows


# ------------------------------------------------------------------------ 2. import time

IMPORT_RE = re.compile(r"^import time:\s*(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)\s*$")
MUST_NOT_IMPORT = (
    "websockets",
    "fastapi",
    "uvicorn",
    "starlette",
    "claude_client.testing",
    "claude_client._streaming",
    "claude_client._cli",
    "argparse",
)


# The old httpx imported its command-line tool (rich, click) when those happened to be
# installed, as they are in the dev venv (schemathesis, uvicorn); httpx2 imports its CLI
# only when run. The "runtime deps only" pair still hides rich and click, so nothing
# dev-only can reach either side's figure.
HIDE_CLI = "import sys; sys.modules['rich'] = sys.modules['click'] = None; "


def import_cumulative_us(module: str, *, lean: bool = False) -> float:
    """Cumulative import time of `module` in a fresh `python -X importtime` process."""
    code = (HIDE_CLI if lean else "") + f"import {module}"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(ROOT),
    )
    for line in proc.stderr.splitlines():
        m = IMPORT_RE.match(line)
        if m and m.group(4) == module and len(m.group(3)) == 1:  # top level
            return float(m.group(2))
    raise RuntimeError(f"no importtime line for {module}:\n{proc.stderr[-2000:]}")


def wall_ms(command: list[str]) -> float:
    """Wall-clock milliseconds of a whole process (start, work, exit)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=str(ROOT), stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


# The console script pip installed next to this interpreter (`claude-client = ...:main`).
CLI_SCRIPT = str(Path(sys.executable).parent / "claude-client")


def bench_import(args: argparse.Namespace) -> list[Row]:
    bench = "2 import time"
    n = args.import_reps
    # Bytecode first, as installing a wheel does: with PYTHONDONTWRITEBYTECODE set (it is
    # here) an edited checkout recompiles claude_client/_async/client.py on every import
    # (~12 ms), which is not what users pay; httpx in site-packages has its .pyc.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "claude_client", "claude_client/generated"],
        check=True,
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
    )
    sides = {
        "httpx": lambda: import_cumulative_us("httpx2") / 1000,
        "claude_client": lambda: import_cumulative_us("claude_client") / 1000,
        "httpx lean": lambda: import_cumulative_us("httpx2", lean=True) / 1000,
        "claude_client lean": lambda: import_cumulative_us("claude_client", lean=True) / 1000,
        # Whole processes: the command line's --help against a bare import of the SDK.
        "cli help": lambda: wall_ms([CLI_SCRIPT, "--help"]),
        "python import": lambda: wall_ms([sys.executable, "-c", "import claude_client"]),
    }
    figs = interleave(sides, reps=n, warmup=1)
    code = (
        "import sys, json, claude_client\n"
        f"bad = [m for m in {MUST_NOT_IMPORT!r} if m in sys.modules]\n"
        "print(json.dumps({'bad': bad, 'n_modules': len(sys.modules)}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(ROOT)
    )
    check = json.loads(proc.stdout)
    hygiene = "not imported: ok" if not check["bad"] else "IMPORTED: " + ", ".join(check["bad"])
    short = ", ".join(MUST_NOT_IMPORT)
    return [
        Row(bench, "import httpx2 (dev venv)", figs["httpx"], "ms"),
        Row(
            bench,
            "import claude_client (dev venv)",
            figs["claude_client"],
            "ms",
            ratio(figs["claude_client"], figs["httpx"]),
            "httpx2",
            "<= 1.5",
            extra={
                "not_in_sys_modules": list(MUST_NOT_IMPORT),
                "imported_anyway": check["bad"],
                "n_modules_after_import": check["n_modules"],
            },
        ),
        Row(bench, "import httpx2 (runtime deps only)", figs["httpx lean"], "ms"),
        Row(
            bench,
            "import claude_client (runtime deps only)",
            figs["claude_client lean"],
            "ms",
            ratio(figs["claude_client lean"], figs["httpx lean"]),
            "httpx2",
            "<= 1.5",
        ),
        Row(bench, 'python -c "import claude_client" (process)', figs["python import"], "ms"),
        Row(
            bench,
            "claude-client --help (process)",
            figs["cli help"],
            "ms",
            ratio(figs["cli help"], figs["python import"]),
            "import claude_client",
            "<= 2.0",
        ),
        Row(
            bench,
            "sys.modules after import claude_client",
            note=f"{short}: {hygiene}",
            extra={"imported_anyway": check["bad"]},
        ),
    ]


# -------------------------------------------------------------------------- 3. streaming

STREAM_TOKENS = 10_000


def _chat_frame() -> str:
    return json.dumps(
        {
            "type": "chat",
            "model": MODEL,
            "messages": [{"role": "user", "content": PROMPT}],
            "project_id": "default",
        }
    )


def _raw_ws_sync(url: str, n: int) -> tuple[float, float]:
    from websockets.sync.client import connect

    t0 = time.perf_counter()
    first = 0.0
    parts: list[str] = []
    with connect(url, additional_headers={"Authorization": f"Bearer {API_KEY}"}) as ws:
        ws.send(_chat_frame())
        while True:
            msg = json.loads(ws.recv())
            if msg["type"] == "token":
                if not parts:
                    first = time.perf_counter()
                parts.append(msg["content"])
            elif msg["type"] == "done":
                break
            else:
                raise RuntimeError(msg)
    t1 = time.perf_counter()
    assert len(parts) == n
    return first - t0, t1 - t0


async def _raw_ws_async(url: str, n: int) -> tuple[float, float]:
    from websockets.asyncio.client import connect

    t0 = time.perf_counter()
    first = 0.0
    parts: list[str] = []
    async with connect(url, additional_headers={"Authorization": f"Bearer {API_KEY}"}) as ws:
        await ws.send(_chat_frame())
        while True:
            msg = json.loads(await ws.recv())
            if msg["type"] == "token":
                if not parts:
                    first = time.perf_counter()
                parts.append(msg["content"])
            elif msg["type"] == "done":
                break
            else:
                raise RuntimeError(msg)
    t1 = time.perf_counter()
    assert len(parts) == n
    return first - t0, t1 - t0


def _sdk_stream_sync(open_stream: Callable[[], Any], n: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    first = 0.0
    count = 0
    for _chunk in open_stream():
        if not count:
            first = time.perf_counter()
        count += 1
    t1 = time.perf_counter()
    assert count == n, count
    return first - t0, t1 - t0


async def _sdk_stream_async(open_stream: Callable[[], Any], n: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    first = 0.0
    count = 0
    async for _chunk in open_stream():
        if not count:
            first = time.perf_counter()
        count += 1
    t1 = time.perf_counter()
    assert count == n, count
    return first - t0, t1 - t0


def _stream_rows(
    bench: str,
    raw_label: str,
    sdk_label: str,
    res: dict[str, list[tuple[float, float]]],
    n: int,
    missing: str | None,
) -> list[Row]:
    def tput(name: str) -> Figure:
        return Figure([n / total for _, total in res[name]])

    def ttfc(name: str) -> Figure:
        return Figure([first * 1000 for first, _ in res[name]])

    rows = [
        Row(bench, f"{raw_label}: throughput", tput("raw"), "chunks/s"),
        Row(bench, f"{raw_label}: time to first chunk", ttfc("raw"), "ms"),
    ]
    facade = "AsyncClaudeClient.stream()" if "async" in bench else "ClaudeClient.stream()"
    why = _sdk.facade_stream_missing("async" in bench)
    if why is not None:
        rows.append(Row(bench, facade, goal=">= 0.9", note=f"not available: {why}"))
    if missing:
        rows.append(
            Row(bench, f"{sdk_label}: throughput", goal=">= 0.9", note=f"not available: {missing}")
        )
        rows.append(
            Row(bench, f"{sdk_label}: time to first chunk", note=f"not available: {missing}")
        )
    else:
        rows.append(
            Row(
                bench,
                f"{sdk_label}: throughput",
                tput("sdk"),
                "chunks/s",
                ratio(tput("sdk"), tput("raw")),
                "raw",
                ">= 0.9" if why is None else "",
                note=""
                if why is None
                else (
                    "below stream()'s 0.9x goal"
                    if ratio(tput("sdk"), tput("raw")).median < 0.9
                    else "within stream()'s 0.9x goal"
                ),
            )
        )
        rows.append(
            Row(
                bench,
                f"{sdk_label}: time to first chunk",
                ttfc("sdk"),
                "ms",
                ratio(ttfc("sdk"), ttfc("raw")),
                "raw",
            )
        )
    return rows


def bench_stream(args: argparse.Namespace) -> list[Row]:
    n = args.tokens
    reps = args.stream_reps
    rows: list[Row] = []
    with floor_server("ws", str(n)) as port:
        base = f"http://127.0.0.1:{port}"
        url = f"ws://127.0.0.1:{port}/v1/stream"

        # sync: websockets.sync client vs ClaudeClient.stream()
        res: dict[str, list[tuple[float, float]]] = {"raw": [], "sdk": []}
        sides: dict[str, Callable[[], float]] = {
            "raw": lambda: res["raw"].append(_raw_ws_sync(url, n)) or 0.0,
        }
        missing = None
        client = None
        label = "ClaudeClient.stream()"
        try:
            label, open_stream, client = _sdk.stream_opener(base, API_KEY, asynchronous=False)
            sides["sdk"] = lambda: res["sdk"].append(_sdk_stream_sync(open_stream, n)) or 0.0
        except NotAvailable as e:
            missing = str(e)
        if args.profile == "stream-sync" and "sdk" in sides:
            profile_to("stream-sync", sides["sdk"])
            res["sdk"].clear()
        interleave(sides, reps=reps, warmup=1)
        for k in res:
            del res[k][:1]  # interleave's warm-up rep appended too: drop it
        if client is not None:
            client.close()
        rows += _stream_rows("3 stream, sync", "raw websockets.sync loop", label, res, n, missing)

        # async
        rows += asyncio.run(_bench_stream_async(base, url, n, reps, args))
    return rows


async def _bench_stream_async(
    base: str, url: str, n: int, reps: int, args: argparse.Namespace
) -> list[Row]:
    res: dict[str, list[tuple[float, float]]] = {"raw": [], "sdk": []}

    async def raw() -> float:
        res["raw"].append(await _raw_ws_async(url, n))
        return 0.0

    sides: dict[str, Callable[[], Any]] = {"raw": raw}
    missing = None
    client = None
    label = "AsyncClaudeClient.stream()"
    try:
        label, open_stream, client = _sdk.stream_opener(base, API_KEY, asynchronous=True)

        async def sdk() -> float:
            res["sdk"].append(await _sdk_stream_async(open_stream, n))
            return 0.0

        sides["sdk"] = sdk
    except NotAvailable as e:
        missing = str(e)
    if args.profile == "stream-async" and "sdk" in sides:
        await aprofile_to("stream-async", sides["sdk"])
        res["sdk"].clear()
    await ainterleave(sides, reps=reps, warmup=1)
    for k in res:
        del res[k][:1]
    if client is not None:
        r = client.close()
        if asyncio.iscoroutine(r):
            await r
    return _stream_rows("3 stream, async", "raw websockets.asyncio loop", label, res, n, missing)


# ----------------------------------------------------------------------------- 5. memory

MEM_ITEMS = 10_000


def batch_body(n: int) -> bytes:
    """A realistic /v1/batch 200 body with n results (a few failed), deterministic."""
    rnd = random.Random(7)
    words = [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "for",
        "it",
        "as",
        "with",
        "was",
        "on",
        "be",
        "by",
        "this",
        "are",
        "from",
        "or",
        "have",
    ]
    words += [
        "function",
        "return",
        "value",
        "class",
        "module",
        "import",
        "error",
        "test",
        "data",
        "file",
        "python",
        "list",
    ]
    results = []
    total_tokens = 0
    total_cost = 0.0
    failed = 0
    for i in range(n):
        prompt = f"Question {i}: " + " ".join(rnd.choice(words) for _ in range(rnd.randint(5, 20)))
        if i % 97 == 13:
            failed += 1
            results.append(
                {
                    "id": f"p-{i}",
                    "prompt": prompt,
                    "status": "failed",
                    "content": None,
                    "usage": None,
                    "cost": None,
                    "error": "Upstream API error (overloaded): please retry",
                }
            )
            continue
        content = " ".join(rnd.choice(words) for _ in range(rnd.randint(20, 80)))
        inp = len(prompt.split()) + 3
        out = len(content.split())
        cost = round(inp * 0.25e-6 + out * 1.25e-6, 8)
        total_tokens += inp + out
        total_cost += cost
        results.append(
            {
                "id": f"p-{i}",
                "prompt": prompt,
                "status": "completed",
                "content": content,
                "usage": {"input_tokens": inp, "output_tokens": out, "total_tokens": inp + out},
                "cost": cost,
                "error": None,
            }
        )
    body = {
        "total": n,
        "completed": n - failed,
        "failed": failed,
        "results": results,
        "total_cost": round(total_cost, 8),
        "total_tokens": total_tokens,
    }
    return json.dumps(body).encode()


def _mem_child(mode: str, path: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, str(HERE / "_mem_child.py"), mode, str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(ROOT),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"memory child {mode} failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def bench_memory(args: argparse.Namespace) -> list[Row]:
    n = args.mem_items
    bench = "5 memory"
    tmp = PROFILES / "batch_body.json"
    tmp.parent.mkdir(exist_ok=True)
    body = batch_body(n)
    tmp.write_bytes(body)
    info: dict[str, list[dict[str, Any]]] = {}

    def side(mode: str) -> Callable[[], float]:
        def run() -> float:
            r = _mem_child(mode, tmp)
            info.setdefault(mode, []).append(r)
            return float(r["peak_delta_kib"]) / 1024

        return run

    sides = {"json.loads": side("json.loads"), "generated": side("generated")}
    missing = None
    if _sdk.batch_parser() is None:
        missing = "no batch-response parser in claude_client._models yet (issue 4)"
    else:
        sides["sdk"] = side("sdk")
        sides["sdk-read-all"] = side("sdk-read-all")
    figs = interleave(sides, reps=args.reps, warmup=0)
    mib = f"{len(body) / 2**20:.1f} MiB body"
    rows = [
        Row(
            bench,
            "json.loads(body): peak RSS added",
            figs["json.loads"],
            "MiB",
            note=mib,
            extra={"children": info["json.loads"]},
        )
    ]
    sdk_label = "SDK BatchResponse.from_json(body)"
    read_label = "SDK from_json + read every result"
    if missing:
        rows.append(Row(bench, sdk_label, note=f"not available: {missing}"))
        rows.append(Row(bench, read_label, goal="<= 3", note=f"not available: {missing}"))
    else:
        rows.append(
            Row(
                bench,
                sdk_label,
                figs["sdk"],
                "MiB",
                ratio(figs["sdk"], figs["json.loads"]),
                "json.loads",
                note="results wrapped lazily",
                extra={"children": info["sdk"]},
            )
        )
        rows.append(
            Row(
                bench,
                read_label,
                figs["sdk-read-all"],
                "MiB",
                ratio(figs["sdk-read-all"], figs["json.loads"]),
                "json.loads",
                "<= 3",
                extra={"children": info["sdk-read-all"]},
            )
        )
    rows.append(
        Row(
            bench,
            "generated BatchResponse.from_dict(json.loads(body))",
            figs["generated"],
            "MiB",
            ratio(figs["generated"], figs["json.loads"]),
            "json.loads",
            extra={"children": info["generated"]},
        )
    )
    return rows


# ------------------------------------------------------------------------------ 4. batch

BATCH_PROMPTS = 500
BATCH_WORKERS = 5  # the service's default max_workers (BEHAVIOUR.md §6)
BATCH_RUN = 0.020  # one model run: 20 ms + uniform(0, 30 ms) on the fake
BATCH_JITTER = 0.030
BATCH_MEAN_RUN = BATCH_RUN + BATCH_JITTER / 2
OLD_CHUNK, OLD_CONCURRENCY = 50, 4  # batch()'s defaults before it paced itself


class PoolCounts:
    """What the fake's worker pool saw during one rep: 503s, runs per prompt, failures."""

    def __init__(self) -> None:
        self.refused: list[int] = []
        self.timed_out: list[int] = []
        self.failed: list[int] = []
        self.max_runs: list[int] = []
        self.runs_per_prompt: list[float] = []

    def measure(self, fake: Any, fn: Callable[[], tuple[int, list[str]]]) -> Callable[[], float]:
        """A one-rep callable: wall time of fn(), which returns (failed, the runs' prompts)."""

        def run() -> float:
            before, runs_before = fake.pool_stats(), fake.prompt_runs()
            t0 = time.perf_counter()
            failed, prompts = fn()
            elapsed = time.perf_counter() - t0
            # Prompts a refused request had queued still run: let them end before the
            # next side starts (and count them).
            while (s := fake.pool_stats()).active_workers or s.queued_tasks:
                time.sleep(0.01)
            after, runs = fake.pool_stats(), fake.prompt_runs() - runs_before
            self.refused.append(after.refused - before.refused)
            self.timed_out.append(after.timed_out - before.timed_out)
            self.failed.append(failed)
            self.max_runs.append(max(runs[p] for p in prompts))
            self.runs_per_prompt.append(sum(runs[p] for p in prompts) / len(prompts))
            return elapsed

        return run

    def note(self) -> str:
        def span(xs: list[int]) -> str:
            return f"{min(xs)}" if min(xs) == max(xs) else f"{min(xs)}-{max(xs)}"

        return (
            f"failed {span(self.failed)}, 503s {span(self.refused)}, "
            f"runs/prompt {statistics.mean(self.runs_per_prompt):.2f} "
            f"(max {max(self.max_runs)})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "failed_items": self.failed,
            "refused_503": self.refused,
            "timed_out": self.timed_out,
            "max_runs_per_prompt": self.max_runs,
            "runs_per_prompt": self.runs_per_prompt,
        }


def bench_batch(args: argparse.Namespace) -> list[Row]:
    n = args.batch_prompts
    ideal = n / BATCH_WORKERS * BATCH_MEAN_RUN
    bench = "4 batch"
    try:
        try:
            from claude_client import testing
        except Exception as e:
            raise NotAvailable(f"claude_client.testing import failed: {e!r} (issue 3)") from e
        if not hasattr(testing, "serve"):
            raise NotAvailable("claude_client.testing.serve() does not exist yet (issue 3)")
        _sdk._facade()
    except NotAvailable as e:
        return [
            Row(bench, "ClaudeClient.batch()", goal="<= 1.25", note=f"not available: {e}"),
        ]
    stall = fake_keepalive_stall_ms(testing)
    patched = stall > 20.0
    if patched:
        # The fake's listening socket is made with proto 0, so asyncio never sets
        # TCP_NODELAY on its connections: every request on a kept-alive connection that
        # follows another waits ~40 ms (Nagle vs delayed ACK). Measure the SDK, not that.
        nodelay_workaround(testing)
        stall_after = fake_keepalive_stall_ms(testing)
    reps = iter(range(10**6))
    counts = {k: PoolCounts() for k in ("sdk", "async", "chats", "old")}
    # rpm: the fake's default key allows 100 requests a minute, as the service does.
    with testing.serve(rpm=10**9, max_workers=BATCH_WORKERS) as fake:
        fake.latency(BATCH_RUN, jitter=BATCH_JITTER)
        if hasattr(fake, "set_recording"):
            fake.set_recording(False)  # the fake's own bookkeeping is not what we measure
        client = _sdk.sync_client(fake.base_url, fake.api_key, timeout=300)
        headers = {"Authorization": f"Bearer {fake.api_key}"}
        raw = httpx2.Client(base_url=fake.base_url, timeout=300, headers=headers)

        def fresh(tag: str) -> list[str]:  # new prompts each rep: runs are counted per prompt
            rep = next(reps)
            return [f"{tag} {rep} prompt {i}: say something short" for i in range(n)]

        def sdk_batch() -> tuple[int, list[str]]:
            prompts = fresh("sync")
            res = client.batch(prompts, model=MODEL)
            assert [r.prompt for r in res.results] == prompts
            return int(res.failed), prompts

        def async_batch() -> tuple[int, list[str]]:
            prompts = fresh("async")

            async def go() -> Any:
                aclient = _sdk.async_client(fake.base_url, fake.api_key, timeout=300)
                try:
                    return await aclient.batch(prompts, model=MODEL)
                finally:
                    await aclient.close()

            res = asyncio.run(go())
            return int(res.failed), prompts

        def concurrent_chats() -> tuple[int, list[str]]:
            prompts = fresh("chat")

            async def go() -> int:
                aclient = _sdk.async_client(fake.base_url, fake.api_key, timeout=300)
                try:
                    out = await asyncio.gather(
                        *(aclient.complete(p, model=MODEL) for p in prompts),
                        return_exceptions=True,
                    )
                finally:
                    await aclient.close()
                return sum(isinstance(r, BaseException) for r in out)

            return asyncio.run(go()), [f"user: {p}" for p in prompts]  # how a chat runs

        def old_defaults() -> tuple[int, list[str]]:
            """Plain httpx doing what batch() did before: 4 chunks of 50 at once."""
            prompts = fresh("old")
            chunks = [prompts[i : i + OLD_CHUNK] for i in range(0, n, OLD_CHUNK)]

            def one(chunk: list[str]) -> int:
                body = {"prompts": [{"prompt": p} for p in chunk], "model": MODEL}
                r = raw.post("/v1/batch", json=body)
                return len(chunk) if r.status_code != 200 else int(r.json()["failed"])

            with ThreadPoolExecutor(OLD_CONCURRENCY) as pool:
                return sum(pool.map(one, chunks)), prompts

        sides = {
            "sdk": counts["sdk"].measure(fake, sdk_batch),
            "async": counts["async"].measure(fake, async_batch),
            "chats": counts["chats"].measure(fake, concurrent_chats),
            "old": counts["old"].measure(fake, old_defaults),
        }
        if args.profile == "batch":
            profile_to("batch", sides["sdk"])
        for side in sides.values():  # warm-up by hand; its counts are dropped below
            side()
        for c in counts.values():
            c.__init__()  # type: ignore[misc]
        figs = interleave(sides, reps=args.batch_reps, warmup=0)
        client.close()
        raw.close()
    ideal_fig = Figure([ideal] * len(figs["sdk"].samples))
    extra: dict[str, Any] = {
        "ideal_s": ideal,
        "ideal_how": f"{n} / {BATCH_WORKERS} workers x {BATCH_MEAN_RUN * 1000:.0f} ms mean run",
        "fake_keepalive_chat_ms": stall,
    }
    if patched:
        extra["fake_keepalive_chat_ms_with_nodelay"] = stall_after
        extra["fake_patched"] = "TCP_NODELAY on the fake's sockets (in this process only)"
    fake_note = "; fake patched: TCP_NODELAY" if patched else ""
    return [
        Row(
            bench,
            "ClaudeClient.batch() defaults",
            figs["sdk"],
            "s",
            ratio(figs["sdk"], ideal_fig),
            "ideal",
            "<= 1.25",
            note=counts["sdk"].note() + fake_note,
            extra={**extra, **counts["sdk"].as_dict()},
        ),
        Row(
            bench,
            "AsyncClaudeClient.batch() defaults",
            figs["async"],
            "s",
            ratio(figs["async"], ideal_fig),
            "ideal",
            "<= 1.25",
            note=counts["async"].note(),
            extra=counts["async"].as_dict(),
        ),
        Row(
            bench,
            f"{n} concurrent AsyncClaudeClient.complete()",
            figs["chats"],
            "s",
            ratio(figs["chats"], figs["sdk"]),
            "batch()",
            note=counts["chats"].note(),
            extra=counts["chats"].as_dict(),
        ),
        Row(
            bench,
            f"plain httpx, the old defaults ({OLD_CONCURRENCY} x {OLD_CHUNK} at once)",
            figs["old"],
            "s",
            ratio(figs["old"], ideal_fig),
            "ideal",
            note=counts["old"].note(),
            extra=counts["old"].as_dict(),
        ),
    ]


def fake_keepalive_stall_ms(testing: Any) -> float:
    """Median ms of back-to-back chats on one kept-alive connection, fake latency 0."""
    with testing.serve(rpm=10**9) as fake:
        c = httpx2.Client(base_url=fake.base_url, headers=fake.auth_headers())
        body = {"messages": [{"role": "user", "content": "hi"}], "model": MODEL}
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            c.post("/v1/chat/completions", json=body).raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
        c.close()
    return sorted(times[1:])[len(times[1:]) // 2]


def nodelay_workaround(testing: Any) -> None:
    """Make the fake's listening socket an IPPROTO_TCP one (asyncio then sets NODELAY)."""
    import socket
    import types

    server_mod = sys.modules.get("claude_client.testing._server")
    if server_mod is None or getattr(server_mod, "socket", None) is not socket:
        return
    shim = types.SimpleNamespace(**{k: getattr(socket, k) for k in dir(socket) if k[:2] != "__"})

    def tcp_socket(family: int = -1, type: int = -1, proto: int = -1, fileno: Any = None) -> Any:
        if fileno is None and proto in (-1, 0) and type == socket.SOCK_STREAM:
            proto = socket.IPPROTO_TCP
        return socket.socket(family, type, proto, fileno)

    shim.socket = tcp_socket
    server_mod.socket = shim  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------ driver


def profile_to(name: str, fn: Callable[[], float]) -> None:
    """Profile one rep of fn into benchmarks/profiles/<name>.prof and print the top."""
    import pstats

    PROFILES.mkdir(exist_ok=True)
    prof = cProfile.Profile()
    prof.runcall(fn)
    path = PROFILES / f"{name}.prof"
    prof.dump_stats(str(path))
    print(f"\n--- cProfile of one rep of {name} -> {path}", file=sys.stderr)
    pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)


def legend(args: argparse.Namespace) -> str:
    n_b, conc, lat = args.batch_prompts, BATCH_WORKERS, BATCH_MEAN_RUN * 1000
    ideal = n_b / conc * lat / 1000
    return "\n".join(
        [
            f"1: {args.calls:,} sequential calls per side per rep (as {BLOCKS} interleaved blocks) "
            "against a loopback server answering a canned chat body instantly (asyncio, own "
            "process); same server and same JSON body for every side (the generated sides "
            "build their attrs request body per call, as a user would).",
            "2: `python -X importtime -c 'import M'` cumulative, "
            f"{args.import_reps} fresh processes per side, bytecode compiled first; 'runtime "
            "deps only' hides rich and click (dev-only here; the old httpx imported them). "
            "'(process)': wall clock of a whole fresh process, the `claude-client` console "
            "script's --help against `python -c 'import claude_client'`, interleaved.",
            f"3: one connection + one chat per rep, {args.tokens:,} small token frames then done, "
            "from a loopback server sending pre-encoded frames; "
            "throughput = frames / (connect .. done).",
            f"4: {n_b} prompts against the fake's worker pool (the service's default: "
            f"{conc} workers, queue {10 * conc}, 503 beyond); one run {lat:.0f} ms "
            f"(20 + uniform 0-30 ms); ideal = {n_b}/{conc} x {lat:.0f} ms = {ideal:.3f} s. "
            "Counts from the fake: failed items (or calls), 503 refusals, model runs per "
            "prompt; fresh prompts every rep.",
            f"5: peak RSS added by parsing a {args.mem_items:,}-result /v1/batch body "
            "(high-water mark reset after imports and reading the bytes), fresh process per rep.",
            f"6: as 1 (sync, {args.calls:,} calls per side per rep); 'off' is a client in the "
            "state it is in without opentelemetry (no telemetry object, transport hooks off); "
            "the no-op tracer is the API with no SDK configured (row 1's state when the API "
            "is installed); the SDK side exports every span to memory (SimpleSpanProcessor) "
            "and records the metrics.",
        ]
    )


async def aprofile_to(name: str, fn: Callable[[], Any]) -> None:
    """`profile_to` for a coroutine side (profiles the whole loop while it runs)."""
    import pstats

    PROFILES.mkdir(exist_ok=True)
    prof = cProfile.Profile()
    prof.enable()
    await fn()
    prof.disable()
    path = PROFILES / f"{name}.prof"
    prof.dump_stats(str(path))
    print(f"\n--- cProfile of one rep of {name} -> {path}", file=sys.stderr)
    pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)


def machine() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "loadavg_at_start": load,
    }


def versions() -> dict[str, str]:
    out = {}
    for dist in ("claude-code-client", "httpx", "websockets", "fastapi", "uvicorn", "attrs"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    try:
        out["git"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=str(ROOT)
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "claude_client", "generated"],
            capture_output=True,
            text=True,
            cwd=str(ROOT),
        ).stdout.strip()
        if dirty:
            out["git"] += " (+ uncommitted changes in claude_client/ or generated/)"
    except OSError:
        pass
    return out


# ------------------------------------------------------------------ 6. OpenTelemetry cost


def bench_otel(args: argparse.Namespace) -> list[Row]:
    """Sync ``complete()`` per call: off (as without opentelemetry), the API with no SDK
    (the no-op tracer: the state of row 1), and the SDK with in-memory exporters."""
    bench = "6 OpenTelemetry, sync per-call"
    try:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        from claude_client import _telemetry
    except ImportError as e:
        return [not_available(bench, "(whole benchmark)", f"needs opentelemetry-sdk: {e}")]
    n = args.calls // BLOCKS
    reps = args.reps * BLOCKS
    auth = {"Authorization": f"Bearer {API_KEY}"}
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    with floor_server("http") as port:
        url = f"http://127.0.0.1:{port}"
        raw = httpx2.Client(base_url=url, headers=auth)
        off = _sdk.sync_client(url, API_KEY)
        noop = _sdk.sync_client(url, API_KEY)
        sdk = _sdk.sync_client(
            url, API_KEY, tracer_provider=tracer_provider, meter_provider=meter_provider
        )
        off.complete(PROMPT, model=MODEL)  # the first call resolves the telemetry
        off._otel = None  # what a client without opentelemetry holds after its first call

        def raw_loop() -> None:
            post = raw.post
            for _ in range(n):
                post("/v1/chat/completions", json=CHAT_BODY).json()

        def off_loop() -> None:
            _telemetry.ACTIVE = False  # the transport's hooks, as without opentelemetry
            try:
                complete = off.complete
                for _ in range(n):
                    complete(PROMPT, model=MODEL)
            finally:
                _telemetry.ACTIVE = True

        def loop_of(client: Any) -> Callable[[], None]:
            def loop() -> None:
                complete = client.complete
                for _ in range(n):
                    complete(PROMPT, model=MODEL)
                exporter.clear()  # memory stays flat; clearing is outside no timed call

            return loop

        sides = {
            "raw": timed(raw_loop),
            "off": timed(off_loop),
            "noop": timed(loop_of(noop)),
            "sdk": timed(loop_of(sdk)),
        }
        figs = fold(interleave(sides, reps=reps, warmup=2), BLOCKS)
        for client in (off, noop, sdk):
            client.close()
        raw.close()
    tracer_provider.shutdown()
    meter_provider.shutdown()
    per_call = 1e6 / (n * BLOCKS)
    us = {k: v.scaled(per_call) for k, v in figs.items()}
    added = Figure([a - b for a, b in zip(us["sdk"].samples, us["off"].samples, strict=True)])
    return [
        Row(bench, "raw httpx2.Client.post().json()", us["raw"], "us/call"),
        Row(
            bench,
            "complete(), opentelemetry off (as not installed)",
            us["off"],
            "us/call",
            ratio(figs["off"], figs["raw"]),
            "raw",
        ),
        Row(
            bench,
            "complete(), API without SDK (no-op tracer)",
            us["noop"],
            "us/call",
            ratio(figs["noop"], figs["raw"]),
            "raw",
            "<= 1.10",
        ),
        Row(
            bench,
            "  no-op tracer vs off",
            ratio=ratio(figs["noop"], figs["off"]),
            vs="off",
        ),
        Row(
            bench,
            "complete(), SDK + in-memory span and metric exporters",
            us["sdk"],
            "us/call",
            ratio(figs["sdk"], figs["off"]),
            "off",
            note=f"adds {added.median:.1f} us/call [{added.min:.1f}-{added.max:.1f}]",
            extra={"added_us_per_call": added.as_dict("us/call")},
        ),
    ]


BENCHES: dict[str, Callable[[argparse.Namespace], list[Row]]] = {
    "per-call": bench_per_call,
    "import": bench_import,
    "stream": bench_stream,
    "batch": bench_batch,
    "memory": bench_memory,
    "otel": bench_otel,
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick", action="store_true", help="smaller sizes (still >= 5 reps); not for README"
    )
    p.add_argument("--only", default="", help="comma list of " + ",".join(BENCHES))
    p.add_argument("--reps", type=int, default=None)
    p.add_argument(
        "--profile",
        default="",
        help="per-call-sync | stream-sync | stream-async | batch: cProfile one SDK rep",
    )
    p.add_argument("--out", default=str(HERE / "results.json"))
    args = p.parse_args(argv)
    args.reps = args.reps or (5 if args.quick else 7)
    args.calls = 300 if args.quick else CALLS
    args.tokens = 2_000 if args.quick else STREAM_TOKENS
    args.mem_items = 2_000 if args.quick else MEM_ITEMS
    args.batch_prompts = 96 if args.quick else BATCH_PROMPTS
    args.import_reps = 5 if args.quick else 10
    args.batch_reps = 5  # a rep of the four sides costs ~15 s
    args.stream_reps = args.reps + 4  # a rep costs ~50 ms: buy some noise immunity
    only = [x for x in args.only.split(",") if x] or list(BENCHES)

    started = time.time()
    m = machine()  # before the runs: the load average is the machine's, not ours
    rows: list[Row] = []
    errors: list[str] = []
    for name in only:
        t0 = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            rows += BENCHES[name](args)
        except Exception as e:
            traceback.print_exc()
            errors.append(f"{name}: {e!r}")
            rows.append(not_available(name, "(whole benchmark)", f"crashed: {e!r}"[:200]))
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)

    table = render(rows)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print()
    print(
        f"claude-code-client benchmarks, {when}; {m['cpu']}, {m['cores']} cores, "
        f"Python {m['python']}" + ("  [--quick: sizes reduced]" if args.quick else "")
    )
    print(
        f"median of {args.reps} interleaved reps after warm-up (import: {args.import_reps}, "
        f"stream: {args.stream_reps}); ratios per rep of the same run, [min-max]"
    )
    print(table)
    print()
    print(legend(args))
    missed = [f"{r.bench} / {r.side}" for r in rows if r.status() == "MISSED"]
    hygiene_bad = [r for r in rows if r.extra.get("imported_anyway")]
    print()
    print(f"goals missed: {len(missed)}" + ("" if not missed else ": " + "; ".join(missed)))
    if hygiene_bad:
        print(
            "IMPORT HYGIENE FAILED: `import claude_client` imported "
            + ", ".join(hygiene_bad[0].extra["imported_anyway"])
        )
    else:
        print(
            "import hygiene: websockets, fastapi, claude_client.testing, the CLI not imported by "
            "`import claude_client`: ok"
            if "import" in only
            else ""
        )
    print(f"total {time.time() - started:.0f} s; results -> {os.path.relpath(args.out)}")

    result = {
        "date": when,
        "command": "make bench"
        if not argv and len(sys.argv) == 1
        else " ".join(["benchmarks/run.py", *sys.argv[1:]]),
        "quick": args.quick,
        "reps": args.reps,
        "machine": m,
        "versions": versions(),
        "rows": [r.as_dict() for r in rows],
        "table": table,
        "errors": errors,
        "seconds": round(time.time() - started, 1),
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    if errors or hygiene_bad:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
