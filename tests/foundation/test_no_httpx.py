"""The runtime runs on httpx2 alone: ``import claude_client`` and calls never need httpx.

The dev extra still installs the old httpx (the benchmarks' raw-httpx floor), so the
proof is a subprocess where importing ``httpx`` or ``httpcore`` fails: the SDK, its
generated layer and the fake service must import and work there.
"""

from __future__ import annotations

import ast
import subprocess
import sys

# httpx2-codemod: skip-file (the old module names below are the point)

BLOCKER = """
import importlib.abc, sys

class NoHttpx(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("httpx", "httpcore"):
            raise ImportError(f"blocked: {name} (the runtime must not need it)")
        return None

sys.meta_path.insert(0, NoHttpx())
"""

EXERCISE = """
import asyncio
import claude_client as cc
from claude_client.testing import serve

with serve() as fake:
    with cc.ClaudeClient(base_url=fake.base_url, api_key=fake.api_key) as client:
        assert client.complete("hello world").content == fake.expected_answer("hello world")
        assert client.health().status

    async def main():
        async with cc.AsyncClaudeClient(base_url=fake.base_url, api_key=fake.api_key) as client:
            answer = await client.complete("hello async")
            assert answer.content == fake.expected_answer("hello async")

    asyncio.run(main())

loaded = sorted({m.partition(".")[0] for m in sys.modules} & {"httpx", "httpcore"})
print("loaded:", loaded)
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_import_and_calls_work_with_httpx_and_httpcore_blocked() -> None:
    out = _run(BLOCKER + EXERCISE)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("loaded: []")


def test_import_loads_httpx2_and_not_httpx() -> None:
    code = (
        "import sys, claude_client\n"
        "print(sorted({m.partition('.')[0] for m in sys.modules}"
        " & {'httpx', 'httpcore', 'httpx2', 'httpcore2'}))\n"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    loaded = set(ast.literal_eval(out.stdout))
    assert "httpx2" in loaded and not loaded & {"httpx", "httpcore"}


def test_the_blocker_blocks() -> None:
    # The first test proves something only if the blocker really stops an import.
    out = _run(BLOCKER + "import httpx\n")
    assert out.returncode != 0 and "blocked: httpx" in out.stderr
