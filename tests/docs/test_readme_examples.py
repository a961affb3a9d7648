"""The README's Python examples run against the embedded fake service.

Each ```python block of README.md that imports claude_client is executed in a fresh
subprocess with CLAUDE_API_URL / CLAUDE_API_KEY pointing at the fake. Blocks that
are fragments (top-level ``await``, placeholder keys) are exercised by the
transformations below, so the text users copy stays what is tested.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = [
    b for b in re.findall(r"```python\n(.*?)```", README, flags=re.S) if "client" in b.lower()
]


def _runnable(block: str, fake: Any) -> str:
    """Turn a README fragment into a script, filling in only what a reader would."""
    if "cc_..." in block:  # the projects example: real keys of two fake projects
        keys = iter([fake.add_key(project_id="web"), fake.add_key(project_id="etl")])
        block = re.sub(r'"cc_\.\.\."', lambda _: repr(next(keys)), block)
    script = "from claude_client import AsyncClaudeClient, ClaudeClient\n"
    if re.search(r"^\S.*\bawait ", block, flags=re.M):  # top-level await: run it in a loop
        lines = block.splitlines()
        imports = [ln for ln in lines if ln.startswith(("from ", "import "))]
        body = [ln for ln in lines if ln not in imports]
        return (
            script
            + "\n".join(imports)
            + "\nimport asyncio\n\nasync def _main() -> None:\n"
            + "    client = ClaudeClient()\n"
            + "    async with AsyncClaudeClient() as async_client:\n"
            + textwrap.indent("\n".join(body), " " * 8)
            + "\n\nasyncio.run(_main())\n"
        )
    return script + block


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(block: str, claude_fake: Any, tmp_path: Path) -> None:
    if "fake.fail_next" in block or "from claude_client.testing import serve" in block:
        script = block  # starts its own fake
    else:
        script = _runnable(block, claude_fake)
    path = tmp_path / "example.py"
    path.write_text(script, encoding="utf-8")
    env = {
        **os.environ,
        "CLAUDE_API_URL": claude_fake.base_url,
        "CLAUDE_API_KEY": claude_fake.api_key,
    }
    env.pop("CLAUDE_LOG", None)
    run = subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"{script}\n--- stderr ---\n{run.stderr[-3000:]}"


def test_the_readme_has_examples_to_run() -> None:
    assert len(BLOCKS) >= 4
