"""Move generated code from httpx to httpx2: the post-step of scripts/regenerate.sh.

openapi-python-client 0.29.1 writes ``import httpx`` and ``httpx.Client`` /
``httpx.AsyncClient`` / ``httpx.Response`` ...; httpx2 keeps those names under the
module ``httpx2``, so the move is the module name only. This rewrites, in every
``*.py`` under the given directory, import statements naming ``httpx`` and dotted
references ``httpx.X`` (code, comments, docstrings) to ``httpx2``. Deterministic and
idempotent (``httpx2.X`` never matches again); regenerate.sh runs the generator's ruff
post-hooks again afterwards, since a longer name can change how a line wraps.

When the pinned generator emits httpx2 itself, this step becomes a no-op and can go.

    python scripts/httpx2_imports.py DIR

httpx2-codemod: skip-file (the migration codemod must leave this file's patterns alone)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

# The module as a whole word: not part of ``set_httpx_client`` or a URL.
_IMPORT_LINE = re.compile(r"^\s*(?:import|from)\s")
_IN_IMPORT = re.compile(r"(?<![\w.\-/])httpx(?![\w])")
_DOTTED = re.compile(r"(?<![\w.\-/])httpx(?=\.[A-Za-z_])")


def rewrite(text: str) -> str:
    """``text`` with its httpx imports and ``httpx.X`` references moved to httpx2."""
    out = []
    for line in text.splitlines(keepends=True):
        if _IMPORT_LINE.match(line):
            line = _IN_IMPORT.sub("httpx2", line)
        out.append(_DOTTED.sub("httpx2", line))
    return "".join(out)


def main(directory: str) -> int:
    for path in sorted(Path(directory).rglob("*.py")):
        old = path.read_text(encoding="utf-8")
        new = rewrite(old)
        if new != old:
            path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: httpx2_imports.py DIR")
    sys.exit(main(sys.argv[1]))
