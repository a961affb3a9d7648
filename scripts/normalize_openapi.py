"""Prepare the service's OpenAPI document for openapi-python-client.

``openapi.json`` stays byte-for-byte the service's own document. What the
pinned generator (0.29.1) cannot digest is fixed here, on a copy handed to it:

1. Colliding titles. FastAPI names two component schemas ``src__api__Message``
   and ``src__compatibility_adapter__Message``, both titled ``Message``. The
   generator derives class names from titles, sees a clash and silently drops
   every operation that uses the second one (``POST /v1/process``). Each
   colliding schema is retitled from its component key
   (``src__api__Message`` -> ``ApiMessage``); ``generator-config.yaml`` then maps
   those to readable class names.
2. Operation ids. FastAPI makes ids like ``chat_completion_v1_chat_completions_post``
   (function name + path + method); they become module names. The path and method
   suffix is stripped (``chat_completion``) when the result stays unique.

Usage::

    python scripts/normalize_openapi.py openapi.json > normalized.json
    python scripts/normalize_openapi.py --check-generated PKG_DIR openapi.json
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _title_from_key(key: str) -> str:
    """``src__compatibility_adapter__Message`` -> ``CompatibilityAdapterMessage``."""
    parts = [p for p in key.split("__") if p and p != "src"]
    words: list[str] = []
    for part in parts:
        words.extend(w[:1].upper() + w[1:] for w in part.split("_") if w)
    return "".join(words)


def fastapi_suffix(path: str, method: str) -> str:
    """The suffix FastAPI's ``generate_unique_id`` appends to a function name."""
    return re.sub(r"\W", "_", path) + "_" + method


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (METHOD, path, operation) of the document, in document order."""
    found = []
    for path, item in doc.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                found.append((method.upper(), path, item[method]))
    return found


def normalize(doc: dict[str, Any]) -> dict[str, Any]:
    """Return a normalised deep copy of ``doc``; the input is left untouched."""
    out = copy.deepcopy(doc)
    schemas: dict[str, Any] = out.get("components", {}).get("schemas", {})

    titles = Counter(s.get("title", key) for key, s in schemas.items())
    for key, schema in schemas.items():
        if titles[schema.get("title", key)] > 1:
            schema["title"] = _title_from_key(key)

    ops = operations(out)
    short: dict[int, str] = {}
    for i, (method, path, op) in enumerate(ops):
        op_id = op.get("operationId")
        suffix = fastapi_suffix(path, method.lower())
        if op_id and op_id.endswith(suffix) and len(op_id) > len(suffix):
            short[i] = op_id[: -len(suffix)].rstrip("_") or op_id
    counts = Counter(short.values())
    for i, name in short.items():
        if counts[name] == 1:
            ops[i][2]["operationId"] = name
    return out


def _module_name(operation_id: str) -> str:
    # The generator's snake-casing of an id that is already snake_case.
    return re.sub(r"[^0-9a-zA-Z_]+", "_", operation_id).strip("_").lower()


def missing_operations(doc: dict[str, Any], package_dir: Path) -> list[str]:
    """Operations of the normalised ``doc`` that have no module under ``package_dir/api``."""
    modules = {p.stem for p in (package_dir / "api").rglob("*.py") if p.stem != "__init__"}
    return [
        f"{method} {path} ({op.get('operationId')})"
        for method, path, op in operations(doc)
        if _module_name(str(op.get("operationId"))) not in modules
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("document", type=Path)
    parser.add_argument("--check-generated", type=Path, metavar="PKG_DIR")
    args = parser.parse_args(argv)
    doc = normalize(json.loads(args.document.read_text(encoding="utf-8")))
    if args.check_generated:
        missing = missing_operations(doc, args.check_generated)
        if missing:
            print("generator skipped operations:", *missing, sep="\n  ", file=sys.stderr)
            return 1
        print(f"all {len(operations(doc))} operations generated")
        return 0
    json.dump(doc, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
