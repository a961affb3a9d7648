"""The API change report on small handmade documents."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import api_diff  # noqa: E402


def _doc(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {"openapi": "3.1.0", "paths": paths, "components": {"schemas": schemas}}


def _op(body_ref: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"responses": {"200": {"description": "ok"}}}
    if body_ref:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{body_ref}"}}
            },
        }
    return op


OLD = _doc(
    {"/v1/a": {"post": _op("Req")}, "/v1/b": {"get": _op()}},
    {
        "Req": {
            "type": "object",
            "properties": {
                "prompt": {"type": "string"},
                "model": {"type": "string"},
                "n": {"type": "integer"},
            },
            "required": ["prompt"],
        }
    },
)
NEW = _doc(
    {"/v1/a": {"post": _op("Req")}, "/v1/c": {"get": _op()}},
    {
        "Req": {
            "type": "object",
            "properties": {
                "prompt": {"type": "string"},
                "model": {"type": "string"},
                "n": {"type": "string"},
                "extra": {"type": "string"},
            },
            "required": ["prompt", "model"],
        },
        "New": {"type": "object"},
    },
)


def test_removed_operation_and_newly_required_field_are_breaking() -> None:
    report = api_diff.diff(OLD, NEW)
    assert "operation removed: GET /v1/b" in report.breaking
    assert "schema Req: field 'model' is now required" in report.breaking
    assert "schema Req: field 'n' type integer -> string" in report.breaking
    assert not any("added" in line for line in report.breaking)
    text = report.render()
    assert "operation added: GET /v1/c" in text
    assert "schema added: New" in text
    assert "schema Req: field 'extra' added" in text


def test_removed_field_and_schema_are_breaking() -> None:
    report = api_diff.diff(NEW, OLD)
    assert "schema Req: field 'extra' removed" in report.breaking
    assert "schema removed: New" in report.breaking
    assert "operation added: GET /v1/b" not in report.breaking


def test_identical_documents_report_nothing(openapi_doc: dict[str, Any]) -> None:
    report = api_diff.diff(openapi_doc, openapi_doc)
    assert report.lines == [] and report.render() == "no API changes"


def test_command_line_exit_status(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(OLD))
    new.write_text(json.dumps(NEW))
    script = str(ROOT / "scripts" / "api_diff.py")
    run = subprocess.run(
        [sys.executable, script, str(old), str(new)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert "BREAKING  operation removed: GET /v1/b" in run.stdout
    same = subprocess.run(
        [sys.executable, script, str(old), str(old)], capture_output=True, text=True, check=False
    )
    assert same.returncode == 0 and "no API changes" in same.stdout
