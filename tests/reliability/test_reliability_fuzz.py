"""Fuzzed responses: whatever a route answers, the facade returns its typed model or
raises ``ResponseValidationError`` (a ``ClaudeAPIError``), never anything else.

Bodies go through the real path: facade method -> generated endpoint -> the SDK's retry
transport -> an ``httpx2.MockTransport`` serving the drawn body. For every route:

* ``valid``: bodies valid per the route's 200 schema in the project's ``openapi.json``
  (``$ref``s resolved against its components; every drawn body is checked with
  ``jsonschema`` first, so the generator cannot drift from the document). The document
  declares no schema for ``POST /v1/chat/completions``; its schema here is the body
  BEHAVIOUR.md describes (native and OpenAI-shaped). Likewise for the provider routes
  (``{}`` in the document; BEHAVIOUR.md fixes their shapes and the SDK types them).
* ``arbitrary``: any JSON value;
* ``mutated``: a valid body with one value replaced by arbitrary JSON or one key removed;
* ``bytes``: any bytes (not JSON at all).

Plus: any error status 400-599 with any body and headers maps to a ``ClaudeAPIError``
carrying that status; any frame on the socket is a chunk, an event, a result or a
``ClaudeAPIError`` (the I/O-free stream protocol, fed frame by frame).

``hypothesis-jsonschema`` 0.23.1 cannot run against the installed hypothesis 6.170
(``cu.many`` lost ``more()``), so valid bodies come from :func:`from_schema` below, a
small generator for the keywords the document uses (``$ref``, ``anyOf``, ``enum``,
``type``, ``properties``, ``required``, ``additionalProperties``, ``items``,
``minimum``/``maximum``, ``minItems``). Example counts: profile ``reliability-ci`` (25 per test) in
``make test``, ``reliability-deep`` (1000) under ``make fuzz`` (``CLAUDE_FUZZ=deep``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import httpx2
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reliability_kit import FUZZ_PROFILE, WATCH, assert_sdk_error

from claude_client import (
    APIObject,
    APITimeoutError,
    BatchResponse,
    BudgetExceededError,
    Capabilities,
    ClaudeAPIError,
    ClaudeClient,
    HealthStatus,
    HTTPTimeoutError,
    ProcessResponse,
    ProviderModels,
    RateLimitError,
    ReadyStatus,
    Response,
    ResponseValidationError,
    RouteRecommendation,
    ServerError,
    TaskFailedError,
    TaskResult,
    UsageStats,
)
from claude_client._streaming._core import ChatProtocol, TaskProtocol, ThinkingEvent

FUZZ = settings.get_profile(FUZZ_PROFILE)
# Frames cost no I/O: twenty times the examples.
FUZZ_FRAMES = settings(FUZZ, max_examples=FUZZ.max_examples * 20)
DOC: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "openapi.json").read_text(encoding="utf-8")
)
BASE = "http://fuzz.test"
KEY = "cc_" + "f0" * 20

# --------------------------------------------------------------------------- strategies

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = DOC
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values valid per ``schema`` (the subset of JSON Schema ``openapi.json`` uses)."""
    schema = _resolve(schema)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    if "anyOf" in schema:
        return st.one_of([from_schema(s, depth + 1) for s in schema["anyOf"]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, depth + 1) for k in kind])
    if kind == "object" or "properties" in schema:
        props: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        fixed = st.fixed_dictionaries(
            {k: from_schema(v, depth + 1) for k, v in props.items() if k in required},
            optional={k: from_schema(v, depth + 1) for k, v in props.items() if k not in required},
        )
        extra = schema.get("additionalProperties", True)
        if extra is False or depth > 3:
            return fixed
        values = json_values if extra in (True, {}) else from_schema(extra, depth + 1)
        extras = st.dictionaries(
            st.text(max_size=8).filter(lambda k: k not in props), values, max_size=3
        )
        return st.builds(lambda a, b: {**b, **a}, fixed, extras)
    if kind == "array":
        low = schema.get("minItems", 0)
        items = from_schema(schema.get("items", {}), depth + 1)
        return st.lists(items, min_size=low, max_size=max(low, schema.get("maxItems", 4)))
    if kind == "string":
        return st.text(max_size=16)
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum"), max_value=schema.get("maximum"))
    if kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        return st.integers(min_value=low, max_value=high) | st.floats(
            min_value=low, max_value=high, allow_nan=False, allow_infinity=False
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return json_values  # {}: any JSON


# The chat body BEHAVIOUR.md describes (openapi.json declares none for this route).
_CHAT_USAGE = {
    "type": "object",
    "properties": {
        k: {"type": "integer"} for k in ("input_tokens", "output_tokens", "total_tokens")
    },
    "required": ["input_tokens", "output_tokens", "total_tokens"],
}
_OPENAI_USAGE = {
    "type": "object",
    "properties": {
        k: {"type": "integer"} for k in ("prompt_tokens", "completion_tokens", "total_tokens")
    },
    "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
}
CHAT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "model": {"type": "string"},
                "content": {"type": "string"},
                "usage": _CHAT_USAGE,
                "cost": {"type": "number"},
                "project_id": {"type": "string"},
            },
            "required": ["id", "model", "content", "usage", "cost", "project_id"],
        },
        {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "object": {"const": "chat.completion"},
                "model": {"type": "string"},
                "choices": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            "index": {"type": "integer"},
                            "message": {
                                "type": "object",
                                "properties": {
                                    "role": {"const": "assistant"},
                                    "content": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                                    "tool_calls": {"type": "array", "items": {"type": "object"}},
                                },
                                "required": ["role", "content"],
                            },
                            "finish_reason": {"type": "string"},
                        },
                        "required": ["index", "message", "finish_reason"],
                    },
                },
                "usage": _OPENAI_USAGE,
                "cost": {"type": "number"},
                "project_id": {"type": "string"},
            },
            "required": ["id", "object", "model", "choices", "usage", "cost", "project_id"],
        },
    ]
}


# The provider bodies BEHAVIOUR.md describes (openapi.json declares `{}` for both).
_PROVIDERS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "available": {"type": "boolean"},
            "models": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["name", "available", "models"],
    },
}
_PROVIDER_MODELS = {
    "type": "object",
    "properties": {
        "provider": {"type": "string"},
        "models": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "max_tokens": {"type": "integer"},
                    "context_window": {"type": "integer"},
                    "supports_functions": {"type": "boolean"},
                    "supports_vision": {"type": "boolean"},
                },
                "required": [
                    "max_tokens",
                    "context_window",
                    "supports_functions",
                    "supports_vision",
                ],
            },
        },
    },
    "required": ["provider", "models"],
}


def _schema_of(method: str, path: str) -> dict[str, Any]:
    op = DOC["paths"][path][method.lower()]
    return op["responses"]["200"]["content"]["application/json"]["schema"]


# --------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # as sent (a template's parameters filled in)
    schema: dict[str, Any]
    call: Callable[[ClaudeClient], Any]
    model: type


def _doc_schema(method: str, template: str) -> dict[str, Any]:
    return _schema_of(method, template)


ROUTES = [
    Route(
        "chat",
        "POST",
        "/v1/chat/completions",
        CHAT_SCHEMA,
        lambda c: c.complete("hello", model="haiku"),
        Response,
    ),
    Route(
        "batch",
        "POST",
        "/v1/batch",
        _doc_schema("POST", "/v1/batch"),
        lambda c: c.batch(["hello"]),
        BatchResponse,
    ),
    Route(
        "usage",
        "GET",
        "/v1/usage",
        _doc_schema("GET", "/v1/usage"),
        lambda c: c.get_usage(),
        UsageStats,
    ),
    Route(
        "route",
        "POST",
        "/v1/route",
        _doc_schema("POST", "/v1/route"),
        lambda c: c.route("hello"),
        RouteRecommendation,
    ),
    Route(
        "process",
        "POST",
        "/v1/process",
        _doc_schema("POST", "/v1/process"),
        lambda c: c.process("hello"),
        ProcessResponse,
    ),
    Route(
        "task",
        "POST",
        "/v1/task",
        _doc_schema("POST", "/v1/task"),
        lambda c: c.agentic_task("count files", timeout=30, max_cost=0.5),
        TaskResult,
    ),
    Route(
        "capabilities",
        "GET",
        "/v1/capabilities",
        _doc_schema("GET", "/v1/capabilities"),
        lambda c: c.capabilities(),
        Capabilities,
    ),
    Route(
        "health",
        "GET",
        "/health",
        _doc_schema("GET", "/health"),
        lambda c: c.health(),
        HealthStatus,
    ),
    Route("ready", "GET", "/ready", _doc_schema("GET", "/ready"), lambda c: c.ready(), ReadyStatus),
    Route(
        "providers",
        "GET",
        "/v1/providers",
        _PROVIDERS,
        lambda c: c.providers(),
        list,
    ),
    Route(
        "provider_models",
        "GET",
        "/v1/providers/anthropic/models",
        _PROVIDER_MODELS,
        lambda c: c.provider_models("anthropic"),
        ProviderModels,
    ),
]
ROUTE_IDS = [r.name for r in ROUTES]


def test_every_route_of_the_document_is_fuzzed() -> None:
    """A route added to openapi.json without a facade method here fails this test."""
    fuzzed = {(r.method, r.path.replace("/anthropic/", "/{provider}/")) for r in ROUTES}
    documented = {
        (method.upper(), path)
        for path, ops in DOC["paths"].items()
        for method in ops
        if path != "/"  # the service's banner: no facade method
    }
    assert fuzzed == documented


# --------------------------------------------------------------------------- the served answer


class Served:
    """What the mock transport answers next (one client serves every example)."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"{}"
        self.headers: dict[str, str] = {"content-type": "application/json"}
        self.requests: list[str] = []

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        return httpx2.Response(self.status, content=self.body, headers=self.headers)

    def serve(
        self, body: bytes, status: int = 200, headers: Optional[dict[str, str]] = None
    ) -> None:
        self.status, self.body = status, body
        self.headers = {"content-type": "application/json", **(headers or {})}
        self.requests.clear()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    yield Served()


@pytest.fixture(scope="module")
def client(served: Served) -> Iterator[ClaudeClient]:
    WATCH.add_secret(KEY)
    with ClaudeClient(
        base_url=BASE,
        api_key=KEY,
        timeout=5,
        max_retries=0,
        transport=httpx2.MockTransport(served.handler),
    ) as c:
        yield c


def _touch(value: Any, depth: int = 0, skip: tuple[str, ...] = ()) -> None:
    """Read every typed property (and nested wrappers): none may raise on a parsed model.

    ``skip``: properties not to read."""
    if depth > 3:
        return
    if isinstance(value, list):
        for item in value[:4]:
            _touch(item, depth + 1, skip)
        return
    if isinstance(value, dict):
        for item in list(value.values())[:4]:
            _touch(item, depth + 1, skip)
        return
    if not isinstance(value, APIObject):
        return
    for cls in type(value).__mro__:
        for name, attr in vars(cls).items():
            if isinstance(attr, property) and not name.startswith("_") and name not in skip:
                _touch(getattr(value, name), depth + 1, skip)
    for key in list(value)[:8]:
        _touch(value[key], depth + 1, skip)
    repr(value)
    bool(value)


TASK_STATUS_ERRORS = (TaskFailedError, APITimeoutError, BudgetExceededError)


def _outcome(route: Route, client: ClaudeClient) -> Any:
    """Call the route; assert the result is the typed model or an allowed SDK error."""
    try:
        result = route.call(client)
    except ResponseValidationError as exc:
        WATCH.check(exc)
        return exc
    except TASK_STATUS_ERRORS as exc:
        # a task that parsed but did not complete: the typed result rides on the error
        assert route.name == "task", f"{type(exc).__name__} from {route.name}: {exc}"
        assert isinstance(exc.task_result, TaskResult)
        _touch(exc.task_result)
        return exc
    except BaseException as exc:
        assert_sdk_error(exc)
        raise AssertionError(f"{route.name}: {type(exc).__name__} is not allowed: {exc}") from exc
    assert isinstance(result, route.model), type(result)
    _touch(result)
    return result


def _validator(route: Route) -> jsonschema.protocols.Validator:
    schema = {**route.schema, "components": DOC["components"]}
    return jsonschema.Draft202012Validator(schema)


VALIDATORS = {r.name: _validator(r) for r in ROUTES}
VALID = {r.name: from_schema(r.schema) for r in ROUTES}


@st.composite
def mutated(draw: st.DrawFn, route: Route) -> Any:
    body = draw(VALID[route.name])
    spots: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                spots.append((node, k))
                walk(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                spots.append((node, i))
                walk(v)

    walk(body)
    if not spots:
        return draw(json_values)
    container, key = draw(st.sampled_from(spots))
    if isinstance(container, dict) and draw(st.booleans()):
        del container[key]
    else:
        container[key] = draw(json_values)
    return body


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@FUZZ
@given(data=st.data())
def test_valid_bodies_parse_to_the_typed_model(
    route: Route, client: ClaudeClient, served: Served, data: st.DataObject
) -> None:
    body = data.draw(VALID[route.name], label="body")
    VALIDATORS[route.name].validate(body)  # the generator stays inside the document
    served.serve(json.dumps(body).encode())
    outcome = _outcome(route, client)
    # batch() reads the pool's capacity from /health first (here it gets the same body,
    # which it must shrug off: it then assumes the documented default pool).
    before = ["GET /health"] if route.name == "batch" else []
    assert served.requests == [*before, f"{route.method} {route.path}"]
    if route.name == "batch" and len(body["results"]) == 1:
        # one prompt, one result: the chunk must not have been turned into a failed item
        assert outcome.to_dict()["results"] == body["results"], outcome.results[0].error
    if isinstance(outcome, ResponseValidationError) and route.name != "task":
        raise AssertionError(f"a body valid per openapi.json was rejected: {outcome}")
    if isinstance(outcome, ResponseValidationError):
        # the schema allows any task status string; the SDK knows the service's four
        assert body["status"] not in ("completed", "failed", "timeout", "cost_exceeded"), outcome


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@FUZZ
@given(body=json_values)
def test_arbitrary_json_is_a_model_or_response_validation_error(
    route: Route, client: ClaudeClient, served: Served, body: Any
) -> None:
    served.serve(json.dumps(body).encode())
    _outcome(route, client)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@FUZZ
@given(data=st.data())
def test_mutated_bodies_are_a_model_or_response_validation_error(
    route: Route, client: ClaudeClient, served: Served, data: st.DataObject
) -> None:
    body = data.draw(mutated(route), label="body")
    served.serve(json.dumps(body).encode())
    _outcome(route, client)


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@FUZZ
@given(raw=st.binary(max_size=64))
def test_bytes_that_are_not_json(
    route: Route, client: ClaudeClient, served: Served, raw: bytes
) -> None:
    served.serve(raw)
    outcome = _outcome(route, client)
    try:
        json.loads(raw)
    except ValueError:
        if route.name != "batch":  # batch turns a failed chunk into failed items
            assert isinstance(outcome, ResponseValidationError)


header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)


@pytest.mark.parametrize("route", ROUTES[:2] + ROUTES[5:6], ids=["chat", "batch", "task"])
@FUZZ
@given(
    status=st.integers(min_value=400, max_value=599),
    body=st.one_of(
        st.binary(max_size=40),
        json_values.map(lambda v: json.dumps(v).encode()),
        json_values.map(lambda v: json.dumps({"detail": v}).encode()),
    ),
    retry_after=st.none() | header_text,
    category=st.none() | header_text,
    upstream=st.none() | header_text,
)
def test_any_error_status_becomes_a_claude_api_error(
    route: Route,
    client: ClaudeClient,
    served: Served,
    status: int,
    body: bytes,
    retry_after: Optional[str],
    category: Optional[str],
    upstream: Optional[str],
) -> None:
    headers = {
        name: value
        for name, value in (
            ("retry-after", retry_after),
            ("x-error-category", category),
            ("x-upstream-status", upstream),
        )
        if value is not None
    }
    served.serve(body, status=status, headers=headers)
    try:
        result = route.call(client)
    except ClaudeAPIError as exc:
        assert_sdk_error(exc)
        assert exc.status_code == status
        assert exc.retry_after is None or exc.retry_after >= 0
        str(exc), repr(exc)
    else:
        # batch reports a failed chunk as failed items instead of raising
        assert route.name == "batch" and isinstance(result, BatchResponse)
        assert result.failed == 1 and str(status) in (result.results[0].error or "")


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
@FUZZ
@given(data=st.data(), status=st.sampled_from([201, 202, 204, 206, 299, 301, 304, 307, 399]))
def test_other_success_and_redirect_statuses(
    route: Route, client: ClaudeClient, served: Served, data: st.DataObject, status: int
) -> None:
    body = data.draw(VALID[route.name] | json_values, label="body")
    served.serve(json.dumps(body).encode(), status=status)
    _outcome(route, client)


# --------------------------------------------------------------------------- stream frames

frame_types = st.sampled_from(
    ["token", "token", "done", "done", "error", "thinking", "result", "result", "other", None]
)
# Small values of every JSON type: the wrong type for a field is the likely defect.
odd_values = st.sampled_from([None, True, 0, -1, 1.5, "", "x", [], [1], {}, {"k": "v"}])
FRAME_KEYS = ("content", "usage", "cost", "model", "error", "status", "result", "artifacts")
TASK_STATUSES = st.sampled_from(["completed", "failed", "timeout", "cost_exceeded", "?"])
typed_frames = st.builds(
    lambda kind, fields: json.dumps({**fields, "type": kind} if kind else fields),
    frame_types,
    st.fixed_dictionaries(
        {},
        optional={
            **{key: odd_values | json_values for key in FRAME_KEYS},
            "status": TASK_STATUSES | odd_values,
            "result": st.dictionaries(st.sampled_from(["error", "summary"]), odd_values)
            | odd_values,
            "execution_log": st.lists(json_values, max_size=2),
        },
    ),
)
# Mostly frames of the service's types with fields of any shape; some not even JSON.
frames = st.one_of(
    typed_frames, typed_frames, typed_frames, st.text(max_size=40), json_values.map(json.dumps)
)


@FUZZ_FRAMES
@given(raw_frames=st.lists(frames | st.binary(max_size=30), min_size=1, max_size=6))
def test_any_chat_frames_yield_text_or_raise_claude_api_error(raw_frames: list[Any]) -> None:
    protocol = ChatProtocol(
        model="haiku", messages=[{"role": "user", "content": "hi"}], project_id=None
    )
    try:
        for raw in raw_frames:
            for chunk in protocol.handle(raw):
                assert isinstance(chunk, str) and chunk
            if protocol.finished:
                break
    except ClaudeAPIError as exc:
        assert_sdk_error(exc)
    else:
        assert protocol.content == "".join(protocol.content_parts)
        if protocol.finished:
            assert protocol.usage is not None
            _touch(protocol.usage)


@FUZZ_FRAMES
@given(raw_frames=st.lists(frames | st.binary(max_size=30), min_size=1, max_size=6))
def test_any_task_frames_yield_events_or_raise_claude_api_error(raw_frames: list[Any]) -> None:
    protocol = TaskProtocol(
        description="d", allow_tools=(), allow_agents=(), allow_skills=(), timeout=30, max_cost=0.5
    )
    try:
        for raw in raw_frames:
            for item in protocol.handle(raw):
                assert isinstance(item, (ThinkingEvent, TaskResult)), type(item)
                _touch(item)
            if protocol.finished:
                break
    except ClaudeAPIError as exc:
        assert_sdk_error(exc)


def test_streamed_task_result_task_id_is_none_not_keyerror() -> None:
    protocol = TaskProtocol(
        description="d", allow_tools=(), allow_agents=(), allow_skills=(), timeout=30, max_cost=0.5
    )
    frame = {
        "type": "result",
        "status": "completed",
        "result": {"summary": "done", "full_output": "done", "workspace_directory": "/w"},
        "execution_log": [],
        "artifacts": [],
        "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2},
    }
    (result,) = list(protocol.handle(json.dumps(frame)))
    assert isinstance(result, TaskResult) and result.get("task_id") is None
    assert result.task_id is None  # was a bare KeyError (fixed in bf51b0d)


# --------------------------------------------------------------------------- hostile bodies

# Deeper than the json module's recursion limit: json.loads raises RecursionError (a
# RuntimeError, not a ValueError). A broken or hostile proxy can send this. Python 3.13
# parses 5,000 levels (its limit is the C recursion limit), so 100,000 (200 KB).
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_deeply_nested_200_body(route: Route, client: ClaudeClient, served: Served) -> None:
    served.serve(DEEP)
    outcome = _outcome(route, client)
    if route.name != "batch":  # batch reports the chunk as failed items
        assert isinstance(outcome, ResponseValidationError)


@pytest.mark.parametrize(
    ("status", "cls"), [(502, ServerError), (429, RateLimitError), (504, HTTPTimeoutError)]
)
def test_deeply_nested_error_body_keeps_its_status_class(
    client: ClaudeClient, served: Served, status: int, cls: type[ClaudeAPIError]
) -> None:
    served.serve(DEEP, status=status)
    with pytest.raises(ClaudeAPIError) as info:
        client.get_usage()
    assert_sdk_error(info.value)
    assert type(info.value) is cls and info.value.status_code == status


def test_deeply_nested_stream_frame() -> None:
    protocol = ChatProtocol(
        model="haiku", messages=[{"role": "user", "content": "hi"}], project_id=None
    )
    with pytest.raises(ResponseValidationError):
        list(protocol.handle(DEEP.decode()))


@pytest.mark.parametrize(
    "body", [b'{"project_id": "p", "peri', b'{"project_id": 1}'], ids=["truncated", "wrong_shape"]
)
def test_generated_endpoint_through_the_client_with_a_malformed_body(
    client: ClaudeClient, served: Served, body: bytes
) -> None:
    from claude_client.generated.api.api import get_usage

    served.serve(body)
    # client.call runs the generated endpoint under the facade's parse guard.
    with pytest.raises(ResponseValidationError) as info:
        client.call(get_usage.sync_detailed, period="month")
    assert_sdk_error(info.value)
    # Called bare, the generated parser's own error escapes (documented in README):
    # that layer is generated code and validates nothing beyond its attrs models.
    with pytest.raises((ValueError, KeyError, TypeError)):
        get_usage.sync_detailed(client=client.generated, period="month")
