"""The normalisation handed to the generator: titles, operation ids, missing operations."""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import normalize_openapi  # noqa: E402


def test_colliding_titles_are_made_unique(openapi_doc: dict[str, Any]) -> None:
    schemas = openapi_doc["components"]["schemas"]
    assert schemas["src__api__Message"]["title"] == "Message"
    assert schemas["src__compatibility_adapter__Message"]["title"] == "Message"

    out = normalize_openapi.normalize(openapi_doc)["components"]["schemas"]
    assert out["src__api__Message"]["title"] == "ApiMessage"
    assert out["src__compatibility_adapter__Message"]["title"] == "CompatibilityAdapterMessage"
    titles = [s.get("title", k) for k, s in out.items()]
    assert len(titles) == len(set(titles))
    # Schemas whose titles did not collide keep them.
    assert out["BatchResponse"]["title"] == "BatchResponse"


def test_input_document_is_not_modified(openapi_doc: dict[str, Any]) -> None:
    before = copy.deepcopy(openapi_doc)
    normalize_openapi.normalize(openapi_doc)
    assert openapi_doc == before


def test_fastapi_operation_ids_are_shortened(openapi_doc: dict[str, Any]) -> None:
    out = normalize_openapi.normalize(openapi_doc)
    ids = {f"{m} {p}": op["operationId"] for m, p, op in normalize_openapi.operations(out)}
    assert ids["POST /v1/chat/completions"] == "chat_completion"
    assert ids["GET /v1/providers/{provider}/models"] == "get_provider_models"
    assert ids["GET /"] == "root"
    assert len(set(ids.values())) == len(ids)


def test_shortening_keeps_ids_that_would_collide() -> None:
    doc = {
        "paths": {
            "/a": {"get": {"operationId": "read_a_get"}},
            "/b": {"get": {"operationId": "read_b_get"}},
            "/c": {"post": {"operationId": "custom"}},
        }
    }
    out = normalize_openapi.normalize(doc)
    ids = [op["operationId"] for _, _, op in normalize_openapi.operations(out)]
    assert ids == ["read_a_get", "read_b_get", "custom"]


def test_missing_operations_are_reported(tmp_path: Path, openapi_doc: dict[str, Any]) -> None:
    normalized = normalize_openapi.normalize(openapi_doc)
    api = tmp_path / "api" / "api"
    api.mkdir(parents=True)
    for _, _, op in normalize_openapi.operations(normalized):
        if op["operationId"] != "process_ai_services_compatible":
            (api / f"{op['operationId']}.py").write_text("")
    missing = normalize_openapi.missing_operations(normalized, tmp_path)
    assert missing == ["POST /v1/process (process_ai_services_compatible)"]


def test_generated_package_has_every_operation(openapi_doc: dict[str, Any]) -> None:
    normalized = normalize_openapi.normalize(openapi_doc)
    package = ROOT / "claude_client" / "generated"
    assert normalize_openapi.missing_operations(normalized, package) == []
    assert (package / "py.typed").exists()
