#!/usr/bin/env python3
"""Generate the sync client from the async source, as encode/httpcore does.

    scripts/unasync.py          write claude_client/_sync/client.py
    scripts/unasync.py --check  exit 1 (with a diff) when it is stale or was edited

Each line of the source goes through a fixed list of token substitutions
(``async def`` -> ``def``, ``await`` dropped, ``AsyncClaudeClient`` ->
``ClaudeClient`` ...); a line ending in ``# unasync: drop`` is left out. The result
is then run through ``ruff format`` and ruff's import sorting, so that a line the
substitutions shortened is laid out as the formatter wants it. What cannot be a
substitution lives in ``claude_client/_io.py`` (``x`` next to ``async_x``).
"""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    (ROOT / "claude_client/_async/client.py", ROOT / "claude_client/_sync/client.py"),
]

# Whole identifiers (word boundaries), in this order.
IDENTIFIERS = [
    ("AsyncClaudeClientWithRawResponse", "ClaudeClientWithRawResponse"),
    ("AsyncClaudeClient", "ClaudeClient"),
    ("AsyncRetryTransport", "RetryTransport"),
    ("AsyncChatStream", "ChatStream"),
    ("AsyncTaskStream", "TaskStream"),
    ("AsyncUserClientTransport", "UserClientTransport"),
    ("AsyncEndpointFunction", "EndpointFunction"),
    ("AsyncValidatedEndpointFunction", "ValidatedEndpointFunction"),
    ("AsyncModelResolver", "ModelResolver"),
    ("AsyncSleep", "Sleep"),
    ("AsyncBaseTransport", "BaseTransport"),
    ("AsyncHTTPTransport", "HTTPTransport"),
    ("AsyncClient", "Client"),
    ("async_default_sleep", "default_sleep"),
    ("async_sleep", "sleep"),
    ("async_run_chunks", "run_chunks"),
    ("async_traced", "traced"),
    ("async_batch", "batch"),
    ("async_raw_response", "raw_response"),
    ("asyncio_detailed", "sync_detailed"),
    ("set_async_httpx_client", "set_httpx_client"),
    ("get_async_httpx_client", "get_httpx_client"),
    ("__aenter__", "__enter__"),
    ("__aexit__", "__exit__"),
    ("aclose", "close"),
]
# Keywords.
KEYWORDS = [
    (r"\basync def\b", "def"),
    (r"\basync for\b", "for"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
]
DROP = "# unasync: drop"

_SUBS = [(re.compile(rf"\b{re.escape(a)}\b"), b) for a, b in IDENTIFIERS] + [
    (re.compile(pattern), b) for pattern, b in KEYWORDS
]


def unasync_line(line: str) -> str:
    """One line of async source as sync code (also used by the parity test)."""
    for pattern, replacement in _SUBS:
        line = pattern.sub(replacement, line)
    return line


def unasync_text(source: str) -> str:
    return "".join(
        unasync_line(line)
        for line in source.splitlines(keepends=True)
        if not line.rstrip().endswith(DROP)
    )


def _header(source: Path, target: Path) -> str:
    rel = source.relative_to(ROOT).as_posix()
    return (
        f"# Generated from {rel} by scripts/unasync.py; do not edit.\n"
        f"# Change the async source and run `make unasync` (`make test` checks this file).\n"
    )


def _ruff(args: list[str], text: str, target: Path) -> str:
    ruff = Path(sys.executable).parent / "ruff"
    command = [str(ruff) if ruff.exists() else "ruff", *args, "--stdin-filename", str(target), "-"]
    done = subprocess.run(command, input=text, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"unasync: {' '.join(command[:3])} failed on {target}:\n{done.stderr}")
    return done.stdout


def render(source: Path, target: Path) -> str:
    """The sync file ``target`` as generated from ``source``."""
    text = _header(source, target) + unasync_text(source.read_text())
    text = _ruff(["check", "--select", "I,F401", "--fix-only", "--exit-zero"], text, target)
    return _ruff(["format"], text, target)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = 0
    for source, target in FILES:
        wanted = render(source, target)
        current = target.read_text() if target.exists() else ""
        if wanted == current:
            continue
        if check:
            stale += 1
            rel = _rel(target)
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    wanted.splitlines(keepends=True),
                    f"{rel} (on disk)",
                    f"{rel} (generated)",
                )
            )
            print(f"\n{rel} is stale or was edited by hand: run `make unasync`", file=sys.stderr)
        else:
            target.write_text(wanted)
            print(f"wrote {_rel(target)}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
