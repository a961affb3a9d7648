"""Every operation of openapi.json is generated and callable, sync and async.

Parametrised from openapi.json itself: a route added to the spec without being
generated fails here loudly (the module lookup fails).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

import httpx2
import jsonschema
import pytest
from http_mock import MockRouter, Route

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(Path(__file__).parent))

import normalize_openapi  # noqa: E402
from schema_examples import example  # noqa: E402

import claude_client.generated  # noqa: E402
import claude_client.generated.api  # noqa: E402
from claude_client.generated.client import AuthenticatedClient  # noqa: E402

BASE = "http://service.test"
TOKEN = "cc_" + "ab" * 20
DOC = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
NORMALIZED = normalize_openapi.normalize(DOC)
OPERATIONS = normalize_openapi.operations(NORMALIZED)


def _endpoint_modules() -> dict[str, Any]:
    found = {}
    api = claude_client.generated.api
    for info in pkgutil.walk_packages(api.__path__, "claude_client.generated.api."):
        if not info.ispkg:
            found[info.name.rsplit(".", 1)[-1]] = info.name
    return found


MODULES = _endpoint_modules()


def _model_class(schema: dict[str, Any]) -> type[Any]:
    """The generated attrs class for a $ref'd component schema."""
    name = schema["$ref"].rsplit("/", 1)[-1]
    component = NORMALIZED["components"]["schemas"][name]
    title = component.get("title", name)
    overrides = {"ApiMessage": "ChatMessage", "CompatibilityAdapterMessage": "ProcessMessage"}
    class_name = overrides.get(title, title)
    models = importlib.import_module("claude_client.generated.models")
    return getattr(models, class_name)  # type: ignore[no-any-return]


def _call_args(method: str, path: str, op: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Keyword arguments for the generated function, and the URL path they produce."""
    kwargs: dict[str, Any] = {}
    url_path = path
    for param in op.get("parameters", []):
        value = "anthropic" if param["in"] == "path" else example(DOC, param["schema"])
        kwargs[param["name"]] = value
        if param["in"] == "path":
            url_path = url_path.replace("{" + param["name"] + "}", value)
    body = op.get("requestBody")
    if body:
        schema = body["content"]["application/json"]["schema"]
        instance = example(DOC, schema)
        kwargs["body"] = _model_class(schema).from_dict(instance)
    return kwargs, url_path


def _response_example(op: dict[str, Any]) -> Any:
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    body = example(DOC, schema) if schema else {"free": "form"}
    # The answer must itself be valid per the document (refs resolved against it).
    jsonschema.validate(body, {**schema, "components": DOC["components"]})
    return body


CASES = [pytest.param(method, path, op, id=f"{method} {path}") for method, path, op in OPERATIONS]


def test_every_operation_has_a_generated_module() -> None:
    missing = [f"{m} {p}" for m, p, op in OPERATIONS if op["operationId"] not in MODULES]
    assert not missing, f"not generated: {missing}"
    assert len(OPERATIONS) == sum(len(item) for item in DOC["paths"].values())


@pytest.mark.parametrize(("method", "path", "op"), CASES)
def test_operation_sync(method: str, path: str, op: dict[str, Any]) -> None:
    module = importlib.import_module(MODULES[op["operationId"]])
    kwargs, url_path = _call_args(method, path, op)
    answer = _response_example(op)
    mock = MockRouter(BASE)
    route = mock.route(method=method, path=url_path).respond(200, json=answer)
    client = AuthenticatedClient(
        base_url=BASE, token=TOKEN, httpx_args={"transport": mock.transport}
    )
    response = module.sync_detailed(client=client, **kwargs)
    if hasattr(module, "sync"):  # not generated for untyped (`{}`) answers
        assert module.sync(client=client, **kwargs) is not None
    _check(route, response, op, answer)


@pytest.mark.parametrize(("method", "path", "op"), CASES)
async def test_operation_async(method: str, path: str, op: dict[str, Any]) -> None:
    module = importlib.import_module(MODULES[op["operationId"]])
    kwargs, url_path = _call_args(method, path, op)
    answer = _response_example(op)
    mock = MockRouter(BASE)
    route = mock.route(method=method, path=url_path).respond(200, json=answer)
    client = AuthenticatedClient(
        base_url=BASE, token=TOKEN, httpx_args={"transport": mock.transport}
    )
    response = await module.asyncio_detailed(client=client, **kwargs)
    if hasattr(module, "asyncio"):
        assert await module.asyncio(client=client, **kwargs) is not None
    _check(route, response, op, answer)


def _check(route: Route, response: Any, op: dict[str, Any], answer: Any) -> None:
    assert response.status_code == 200
    request: httpx2.Request = route.calls[0].request
    if op.get("security"):
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    if "requestBody" in op:
        sent = json.loads(request.content)
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        jsonschema.validate(sent, {**schema, "components": DOC["components"]})
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    parsed = response.parsed
    if "$ref" in schema:
        assert isinstance(parsed, _model_class(schema))
        assert parsed.to_dict() == answer
    else:
        # An untyped (`{}`) answer: the generator parses it only when the operation
        # also declares a 422; otherwise `parsed` is None and callers read `content`.
        assert parsed in (answer, None)
        assert json.loads(response.content) == answer
