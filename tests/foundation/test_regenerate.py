"""scripts/regenerate.sh --check: passes on the tree, fails when openapi.json moves on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATED = "claude_client/generated"  # where regenerate.sh writes the generated package
pytestmark = pytest.mark.skipif(
    not (Path(sys.prefix) / "bin" / "openapi-python-client").exists(),
    reason="needs the dev venv with openapi-python-client (make install)",
)


def _copy_tree(dest: Path) -> Path:
    for name in ("scripts", GENERATED):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("openapi.json", "generator-config.yaml"):
        shutil.copy2(ROOT / name, dest / name)
    return dest


def _check(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VENV": sys.prefix}
    return subprocess.run(
        ["bash", str(tree / "scripts" / "regenerate.sh"), "--check"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def _edit_spec(tree: Path, edit: Any) -> None:
    path = tree / "openapi.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def test_check_passes_on_the_tree(tmp_path: Path) -> None:
    run = _check(_copy_tree(tmp_path))
    assert run.returncode == 0, run.stderr
    assert "up to date" in run.stdout


def test_check_fails_when_a_route_is_added(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)

    def add_route(doc: dict[str, Any]) -> None:
        doc["paths"]["/v1/sessions"] = {
            "get": {
                "operationId": "list_sessions_v1_sessions_get",
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {}}}}
                },
            }
        }

    _edit_spec(tree, add_route)
    run = _check(tree)
    assert run.returncode == 1
    assert "stale" in run.stderr
    assert "list_sessions.py" in run.stderr


def test_check_fails_when_a_field_is_removed(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)

    def drop_field(doc: dict[str, Any]) -> None:
        del doc["components"]["schemas"]["BatchResponse"]["properties"]["total_cost"]

    _edit_spec(tree, drop_field)
    run = _check(tree)
    assert run.returncode == 1
    assert "batch_response.py" in run.stderr


def test_regenerate_is_idempotent(tmp_path: Path) -> None:
    tree = _copy_tree(tmp_path)
    env = {**os.environ, "VENV": sys.prefix}
    for _ in range(2):
        run = subprocess.run(
            ["bash", str(tree / "scripts" / "regenerate.sh")],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
    diff = subprocess.run(
        ["diff", "-r", "-x", "__pycache__", str(ROOT / GENERATED), str(tree / GENERATED)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert diff.returncode == 0, diff.stdout
