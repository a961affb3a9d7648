"""Typed results that are also the plain dicts users index today.

Every result is an :class:`APIObject`: a read-only :class:`collections.abc.Mapping`
over the JSON object the service sent, plus typed properties. Nested objects
(usage, artifacts, by-model entries, batch results) are ``APIObject`` too, so all
of these work::

    result["result"]["summary"]; result.get("artifacts", [])[0]["path"]
    result.artifacts[0].path; stats.by_model["haiku"]["tokens"]; stats.by_model["haiku"].tokens

``result == {...}`` compares with the raw JSON; ``result.to_dict()`` returns the raw
JSON (the object itself, not a copy: treat it as read-only) for ``json.dumps``.

Parsers (``parse_*``) check the shape once, cheaply, without copying, and raise
:class:`ResponseValidationError` (with a short excerpt of the body) for anything
that does not fit: never ``KeyError`` / ``TypeError`` / ``ValueError``. Nested
wrappers are created on first access and cached.
"""

from __future__ import annotations

import copy
import json
import reprlib
from collections.abc import Callable, Iterator, Mapping
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    NoReturn,
    Optional,
    TypeVar,
    cast,
    overload,
)

import httpx2

from ._exceptions import BODY_EXCERPT_CHARS, ResponseValidationError

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_values

__all__ = [
    "APIObject",
    "Agent",
    "Artifact",
    "BatchResponse",
    "BatchResult",
    "Capabilities",
    "HealthStatus",
    "ModelUsage",
    "ProcessResponse",
    "Provider",
    "ProviderModel",
    "ProviderModels",
    "ReadyStatus",
    "Response",
    "RouteRecommendation",
    "ServiceHealth",
    "Skill",
    "TaskOutput",
    "TaskResult",
    "TaskUsage",
    "Usage",
    "UsageStats",
]

_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80
_repr.maxlist = 4
_repr.maxdict = 8
_repr.maxlevel = 3

M = TypeVar("M", bound="APIObject")
T = TypeVar("T")

REQUEST_ID_HEADERS = ("x-request-id", "x-forgg-cca-request-id")


def request_id_of(headers: Mapping[str, str]) -> Optional[str]:
    """The service's request id in ``headers`` (``X-Request-ID``, else the newer
    ``X-Forgg-CCA-Request-Id``), or ``None``."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


class ResponseHeaders(Mapping[str, str]):
    """Read-only view of an HTTP response's headers (names case-insensitive)."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = headers

    def __getitem__(self, name: str) -> str:
        return self._headers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._headers)

    def __len__(self) -> int:
        return len(self._headers)

    def __contains__(self, name: object) -> bool:
        return name in self._headers

    def __repr__(self) -> str:
        return f"ResponseHeaders({dict(self._headers.items())!r})"


class APIObject(dict[str, Any]):
    """A read-only ``dict`` of a JSON object, with typed properties in subclasses.

    It *is* a ``dict`` (``isinstance(r, dict)``, ``json.dumps(r)``, ``{**r}``), holding
    the service's JSON as it came; every mutator raises :class:`TypeError` (``dict(r)``
    or ``r.copy()`` gives a mutable plain ``dict``). Nested objects are wrapped on
    first access (``r["usage"]`` is a :class:`Usage`), in place: the wrapper holds
    the same JSON, so ``json.dumps`` and ``==`` see no difference.

    ``request_id`` and ``http_headers`` describe the HTTP response the result came
    from (``None`` / empty for a result built by hand or streamed); they are
    attributes, never keys, so they cannot clash with the body's fields.
    """

    __slots__ = ("_headers",)
    # key -> converter for nested values (applied lazily, in place); None values stay None.
    _nested: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    def __init__(self, data: Mapping[str, Any] = {}) -> None:
        dict.__init__(self, data)
        self._headers: Optional[Mapping[str, str]] = None

    def __getitem__(self, key: str) -> Any:
        value = dict.__getitem__(self, key)
        # json.loads gives exact dicts and lists; wrappers are subclasses (never re-wrapped).
        if type(value) is dict or type(value) is list:
            conv = self._nested.get(key)
            if conv is not None:
                value = conv(value)
                dict.__setitem__(self, key, value)
        return value

    def _wrap_all(self) -> None:
        for key in self._nested:
            if dict.__contains__(self, key):
                self[key]

    def get(self, key: str, default: Any = None) -> Any:
        if dict.__contains__(self, key):
            return self[key]
        return default

    def values(self) -> dict_values[str, Any]:
        self._wrap_all()
        return dict.values(self)

    def items(self) -> dict_items[str, Any]:
        self._wrap_all()
        return dict.items(self)

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__} is read-only (a result of the service); "
            "dict(result) or result.copy() gives a mutable dict"
        )

    __setitem__ = __delitem__ = _read_only
    clear = pop = popitem = setdefault = update = __ior__ = _read_only

    def copy(self) -> dict[str, Any]:
        """A mutable, shallow, plain ``dict`` copy."""
        return dict(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({_repr.repr(dict(self))})"

    def to_dict(self) -> dict[str, Any]:
        """A plain, mutable deep copy of the JSON (``dict``s and ``list``s only)."""
        return cast(dict[str, Any], _plain(self))

    @property
    def request_id(self) -> Optional[str]:
        """The service's id of the request this result answers (``X-Request-ID``).

        ``None`` for a result built by hand, streamed, or from a response without one.
        """
        headers = self._headers
        return None if headers is None else request_id_of(headers)

    @property
    def http_headers(self) -> Mapping[str, str]:
        """The headers of the HTTP response this result came from (read-only,
        case-insensitive names; empty for a result built by hand or streamed)."""
        headers = self._headers
        return ResponseHeaders(headers if headers is not None else httpx2.Headers())

    def __reduce__(self) -> tuple[Any, ...]:
        # dict's default pickling re-adds items through __setitem__ (read-only here);
        # the response is not kept: it belongs to the connection that carried it.
        return (type(self), (dict(self),))

    def __copy__(self) -> APIObject:
        return type(self)(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> APIObject:
        return type(self)(copy.deepcopy(dict(self), memo))


def _plain(value: Any) -> Any:
    """``value`` with every dict / list (wrappers included) copied as a plain one."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in dict.items(value)}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class Key(Generic[T]):
    """A typed, read-only attribute over one key of an :class:`APIObject`.

    ``total: Key[int] = Key("total")`` reads ``obj["total"]`` (nested values come
    wrapped, see ``_nested``); the parsers have checked that required keys exist.
    ``Key("id", optional=True)`` reads ``obj.get("id")``, and ``default=`` stands in
    for a missing or null value. Editors and mypy see the attribute as ``T``.
    """

    __slots__ = ("default", "key", "optional")

    def __init__(self, key: str, *, optional: bool = False, default: Any = None) -> None:
        self.key = key
        self.optional = optional
        self.default = default

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Key[T]: ...

    @overload
    def __get__(self, obj: APIObject, owner: type[Any]) -> T: ...

    def __get__(self, obj: Optional[APIObject], owner: type[Any]) -> Any:
        if obj is None:
            return self
        if not self.optional:
            return obj[self.key]
        value = obj.get(self.key)
        return self.default if value is None else value


# --------------------------------------------------------------------------- validation

_NUM = (int, float)


def _excerpt(data: Any) -> str:
    try:
        text = json.dumps(data, default=str)
    except (TypeError, ValueError):
        text = repr(data)
    return text if len(text) <= BODY_EXCERPT_CHARS else text[:BODY_EXCERPT_CHARS] + "..."


def decode_json(body: bytes | str, where: str) -> Any:
    """``json.loads`` that raises :class:`ResponseValidationError` with an excerpt."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # Recursion: absurd nesting
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        text = " ".join(text.split())
        if len(text) > BODY_EXCERPT_CHARS:
            text = text[:BODY_EXCERPT_CHARS] + "..."
        raise ResponseValidationError(
            f"{where} answered with a body that is not JSON: {text!r}", body=text
        ) from exc


def _fail(what: str, where: str, body: Any) -> NoReturn:
    raise ResponseValidationError(
        f"unexpected response shape for {where}: {what}; body: {_excerpt(body)}", body=body
    )


def _obj(data: Any, where: str, body: Any = None) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        _fail(
            f"expected a JSON object, got {type(data).__name__}",
            where,
            body if body is not None else data,
        )
    return data


def _is(value: Any, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


def _field(
    d: Mapping[str, Any],
    key: str,
    types: tuple[type, ...],
    where: str,
    body: Any,
    *,
    required: bool = True,
    nullable: bool = False,
) -> None:
    if key not in d:
        if required:
            _fail(f"missing {key!r}", where, body)
        return
    value = d[key]
    if value is None:
        if nullable or not required:
            return
        _fail(f"{key!r} is null", where, body)
    if not _is(value, types):
        names = "/".join(t.__name__ for t in types)
        _fail(f"{key!r} should be {names}, got {type(value).__name__}", where, body)


def _list_of_objects(
    d: Mapping[str, Any], key: str, where: str, body: Any, *, required: bool = True
) -> list[Any]:
    value = d.get(key)
    if value is None:
        if required and key not in d:
            _fail(f"missing {key!r}", where, body)
        if required:
            _fail(f"{key!r} is null", where, body)
        return []
    if not isinstance(value, list):
        _fail(f"{key!r} should be a list, got {type(value).__name__}", where, body)
    for item in value:
        if not isinstance(item, dict):
            _fail(f"{key!r} items should be objects, got {type(item).__name__}", where, body)
    return value


# --------------------------------------------------------------------------- chat


class Usage(APIObject):
    """Token counts of a chat completion (``input_tokens``, ``output_tokens``, ``total_tokens``).

    For the OpenAI-shaped answer (tool passthrough) ``prompt_tokens`` /
    ``completion_tokens`` are read as input / output.
    """

    __slots__ = ()

    @property
    def input_tokens(self) -> int:
        d = self
        return cast(int, d["input_tokens"] if "input_tokens" in d else d.get("prompt_tokens", 0))

    @property
    def output_tokens(self) -> int:
        d = self
        return cast(
            int, d["output_tokens"] if "output_tokens" in d else d.get("completion_tokens", 0)
        )

    @property
    def total_tokens(self) -> int:
        d = self
        if "total_tokens" in d:
            return cast(int, d["total_tokens"])
        return self.input_tokens + self.output_tokens


class Response(APIObject):
    """A chat completion: ``id, model, content, usage, cost, project_id``.

    When the service answered in the OpenAI shape (``tools`` passed and tool
    passthrough on), ``content`` is the first choice's text and ``tool_calls`` /
    ``finish_reason`` are filled; the raw ``choices`` stay reachable by key.
    """

    __slots__ = ()
    _nested: ClassVar[Mapping[str, Callable[[Any], Any]]] = {"usage": Usage}

    id: Key[str] = Key("id")
    model: Key[str] = Key("model")

    @property
    def content(self) -> str:
        d = self
        if "content" in d:
            return cast(str, d["content"])
        message = d["choices"][0]["message"] if d.get("choices") else {}
        return cast(str, message.get("content") or "")

    usage: Key[Usage] = Key("usage")
    cost: Key[float] = Key("cost", optional=True, default=0.0)
    project_id: Key[Optional[str]] = Key("project_id", optional=True)

    @property
    def tool_calls(self) -> list[Any]:
        choices = self.get("choices")
        if not choices:
            return []
        return cast(list[Any], choices[0]["message"].get("tool_calls") or [])

    @property
    def finish_reason(self) -> Optional[str]:
        choices = self.get("choices")
        return cast(Optional[str], choices[0].get("finish_reason")) if choices else None


def parse_response(data: Any) -> Response:
    """Validate a chat completion body (the hot path: one cheap pass for the usual shape)."""
    if type(data) is dict:
        usage = data.get("usage")
        cost = data.get("cost", 0.0)
        project = data.get("project_id")
        if (
            type(data.get("id")) is str
            and type(data.get("model")) is str
            and type(data.get("content")) is str
            and type(usage) is dict
            and type(usage.get("input_tokens")) is int
            and type(usage.get("output_tokens")) is int
            and type(usage.get("total_tokens")) is int
            and (cost is None or type(cost) is float or type(cost) is int)
            and (project is None or type(project) is str)
        ):
            return Response(data)
    return _parse_response_checked(data)


def _parse_response_checked(data: Any) -> Response:
    where = "POST /v1/chat/completions"
    d = _obj(data, where)
    _field(d, "id", (str,), where, d)
    _field(d, "model", (str,), where, d)
    _field(d, "cost", _NUM, where, d, required=False, nullable=True)
    _field(d, "project_id", (str,), where, d, required=False, nullable=True)
    usage = d.get("usage")
    if not isinstance(usage, dict):
        _fail("'usage' should be an object", where, d)
    if "choices" in d and "content" not in d:
        choices = d["choices"]
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            _fail("'choices' should be a non-empty list of objects", where, d)
        message = choices[0].get("message")
        if not isinstance(message, dict):
            _fail("'choices[0].message' should be an object", where, d)
        if not _is(message.get("content"), (str, type(None))):
            _fail("'choices[0].message.content' should be a string", where, d)
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            _field(usage, key, (int,), where, d, required=False)
    else:
        _field(d, "content", (str,), where, d)
        for key in ("input_tokens", "output_tokens", "total_tokens"):
            _field(usage, key, (int,), where, d)
    return Response(d)


# --------------------------------------------------------------------------- agentic tasks


class Artifact(APIObject):
    """A file a task produced: ``type, path, size_bytes, created_at``."""

    __slots__ = ()

    type: Key[str] = Key("type", optional=True, default="")
    path: Key[str] = Key("path")
    size_bytes: Key[Optional[int]] = Key("size_bytes", optional=True)
    created_at: Key[Optional[str]] = Key("created_at", optional=True)


class TaskUsage(APIObject):
    """A task's usage; every field may be absent (a timed-out task reports ``{}``)."""

    __slots__ = ()

    input_tokens: Key[Optional[int]] = Key("input_tokens", optional=True)
    output_tokens: Key[Optional[int]] = Key("output_tokens", optional=True)
    total_tokens: Key[Optional[int]] = Key("total_tokens", optional=True)
    total_cost: Key[Optional[float]] = Key("total_cost", optional=True)
    model_used: Key[Optional[str]] = Key("model_used", optional=True)
    duration_seconds: Key[Optional[float]] = Key("duration_seconds", optional=True)
    estimated_tokens: Key[Optional[int]] = Key("estimated_tokens", optional=True)


class TaskOutput(APIObject):
    """A task's ``result``: ``summary, full_output, workspace_directory`` (or ``error``)."""

    __slots__ = ()

    summary: Key[Optional[str]] = Key("summary", optional=True)
    full_output: Key[Optional[str]] = Key("full_output", optional=True)
    workspace_directory: Key[Optional[str]] = Key("workspace_directory", optional=True)
    error: Key[Optional[str]] = Key("error", optional=True)
    output: Key[Optional[str]] = Key("output", optional=True)


class _WrappedList(list[Any]):
    """A list of wrapped items (a subclass, so :meth:`APIObject.__getitem__` wraps once)."""

    __slots__ = ()


class _WrappedDict(dict[str, Any]):
    """A dict of wrapped values (see :class:`_WrappedList`)."""

    __slots__ = ()


def _wrap_list(cls: type[M]) -> Callable[[Any], list[M]]:
    def conv(items: Any) -> list[M]:
        return _WrappedList(cls(item) for item in items)

    return conv


def _wrap_map(cls: type[M]) -> Callable[[Any], dict[str, M]]:
    def conv(items: Any) -> dict[str, M]:
        return _WrappedDict((name, cls(item)) for name, item in items.items())

    return conv


TASK_STATUSES = frozenset({"completed", "failed", "timeout", "cost_exceeded"})


class TaskResult(APIObject):
    """An agentic task: ``task_id, status, result, execution_log, artifacts, usage``."""

    __slots__ = ()
    _nested: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        "result": TaskOutput,
        "usage": TaskUsage,
        "artifacts": _wrap_list(Artifact),
        "execution_log": _wrap_list(APIObject),
    }

    @property
    def task_id(self) -> Optional[str]:
        """The service's task id; ``None`` for a streamed task (the socket sends none)."""
        return cast(Optional[str], self.get("task_id"))

    status: Key[str] = Key("status")
    result: Key[TaskOutput] = Key("result")

    @property
    def summary(self) -> Optional[str]:
        return self.result.summary

    @property
    def execution_log(self) -> list[APIObject]:
        return cast(list[APIObject], self.get("execution_log") or [])

    @property
    def artifacts(self) -> list[Artifact]:
        return cast(list[Artifact], self.get("artifacts") or [])

    @property
    def usage(self) -> TaskUsage:
        usage = self.get("usage")
        return usage if usage is not None else TaskUsage({})


def parse_task_result(data: Any) -> TaskResult:
    where = "POST /v1/task"
    d = _obj(data, where)
    _field(d, "task_id", (str,), where, d)
    _field(d, "status", (str,), where, d)
    _field(d, "result", (dict,), where, d)
    _field(d, "usage", (dict,), where, d, required=False, nullable=True)
    _list_of_objects(d, "execution_log", where, d, required=False)
    for artifact in _list_of_objects(d, "artifacts", where, d, required=False):
        _field(artifact, "path", (str,), where, d)
        _field(artifact, "size_bytes", (int,), where, d, required=False, nullable=True)
    return TaskResult(d)


# --------------------------------------------------------------------------- batch


class BatchResult(APIObject):
    """One batch item: ``id, prompt, status, content, usage, cost, error``."""

    __slots__ = ()
    _nested: ClassVar[Mapping[str, Callable[[Any], Any]]] = {"usage": Usage}

    id: Key[Optional[str]] = Key("id", optional=True)
    prompt: Key[str] = Key("prompt")
    status: Key[str] = Key("status")
    content: Key[Optional[str]] = Key("content", optional=True)
    usage: Key[Optional[Usage]] = Key("usage", optional=True)
    cost: Key[Optional[float]] = Key("cost", optional=True)
    error: Key[Optional[str]] = Key("error", optional=True)

    @property
    def ok(self) -> bool:
        return bool(self["status"] == "completed")


class BatchResponse(APIObject):
    """``total, completed, failed, results, total_cost, total_tokens``; results in input order."""

    __slots__ = ()
    _nested: ClassVar[Mapping[str, Callable[[Any], Any]]] = {"results": _wrap_list(BatchResult)}

    @classmethod
    def from_json(cls, body: bytes | str) -> BatchResponse:
        """Parse and validate the bytes of a ``/v1/batch`` answer."""
        return parse_batch_response(decode_json(body, "POST /v1/batch"))

    total: Key[int] = Key("total")
    completed: Key[int] = Key("completed")
    failed: Key[int] = Key("failed")
    results: Key[list[BatchResult]] = Key("results")
    total_cost: Key[float] = Key("total_cost")
    total_tokens: Key[int] = Key("total_tokens")


def parse_batch_response(data: Any) -> BatchResponse:
    """Validate a ``/v1/batch`` body (one pass over the items, no copies)."""
    where = "POST /v1/batch"
    d = _obj(data, where)
    for key in ("total", "completed", "failed", "total_tokens"):
        _field(d, key, (int,), where, d)
    _field(d, "total_cost", _NUM, where, d)
    results = d.get("results")
    if not isinstance(results, list):
        _fail("'results' should be a list", where, d)
    str_or_none = (str, type(None))
    for item in results:
        if not isinstance(item, dict):
            _fail("'results' items should be objects", where, d)
        prompt = item.get("prompt")
        status = item.get("status")
        if not isinstance(prompt, str) or not isinstance(status, str):
            _fail("a result lacks a string 'prompt' or 'status'", where, item)
        if not _is(item.get("content"), str_or_none) or not _is(item.get("error"), str_or_none):
            _fail("a result's 'content' / 'error' should be strings", where, item)
        usage = item.get("usage")
        if usage is not None and not isinstance(usage, dict):
            _fail("a result's 'usage' should be an object", where, item)
        cost = item.get("cost")
        if cost is not None and not _is(cost, _NUM):
            _fail("a result's 'cost' should be a number", where, item)
    return BatchResponse(d)


# --------------------------------------------------------------------------- usage


class ModelUsage(APIObject):
    """Usage of one model: ``tokens``, ``cost``."""

    __slots__ = ()

    tokens: Key[int] = Key("tokens")
    cost: Key[float] = Key("cost")


class UsageStats(APIObject):
    """``project_id, period, total_tokens, total_cost, by_model, limit, remaining``."""

    __slots__ = ()
    _nested: ClassVar[Mapping[str, Callable[[Any], Any]]] = {"by_model": _wrap_map(ModelUsage)}

    project_id: Key[str] = Key("project_id")
    period: Key[str] = Key("period")
    total_tokens: Key[int] = Key("total_tokens")
    total_cost: Key[float] = Key("total_cost")

    @property
    def by_model(self) -> dict[str, ModelUsage]:
        return cast(dict[str, ModelUsage], self["by_model"])

    @property
    def limit(self) -> Optional[int]:
        """The budget in tokens; ``None`` when the project has none."""
        return cast(Optional[int], self.get("limit"))

    @property
    def remaining(self) -> Optional[int]:
        """``limit`` minus this period's tokens (may be negative); ``None`` without a budget."""
        return cast(Optional[int], self.get("remaining"))


def parse_usage(data: Any) -> UsageStats:
    where = "GET /v1/usage"
    d = _obj(data, where)
    _field(d, "project_id", (str,), where, d)
    _field(d, "period", (str,), where, d)
    _field(d, "total_tokens", (int,), where, d)
    _field(d, "total_cost", _NUM, where, d)
    _field(d, "limit", (int,), where, d, required=False, nullable=True)
    _field(d, "remaining", (int,), where, d, required=False, nullable=True)
    by_model = d.get("by_model")
    if not isinstance(by_model, dict):
        _fail("'by_model' should be an object", where, d)
    for entry in by_model.values():
        if not isinstance(entry, dict):
            _fail("'by_model' entries should be objects", where, d)
        _field(entry, "tokens", (int,), where, d)
        _field(entry, "cost", _NUM, where, d)
    return UsageStats(d)


# --------------------------------------------------------------------------- small routes


class ServiceHealth(APIObject):
    __slots__ = ()

    status: Key[str] = Key("status")

    @property
    def detail(self) -> Optional[Mapping[str, Any]]:
        return cast(Optional[Mapping[str, Any]], self.get("detail"))


class HealthStatus(APIObject):
    """``GET /health``: ``status, version, uptime_seconds, services``."""

    __slots__ = ()
    _nested: ClassVar[Mapping[str, Callable[[Any], Any]]] = {"services": _wrap_map(ServiceHealth)}

    status: Key[str] = Key("status")
    version: Key[Optional[str]] = Key("version", optional=True)
    uptime_seconds: Key[Optional[float]] = Key("uptime_seconds", optional=True)

    @property
    def services(self) -> dict[str, ServiceHealth]:
        return cast(dict[str, ServiceHealth], self.get("services") or {})


def parse_health(data: Any) -> HealthStatus:
    where = "GET /health"
    d = _obj(data, where)
    _field(d, "status", (str,), where, d)
    _field(d, "version", (str,), where, d, required=False)
    _field(d, "uptime_seconds", _NUM, where, d, required=False, nullable=True)
    services = d.get("services")
    if services is not None:
        if not isinstance(services, dict):
            _fail("'services' should be an object", where, d)
        for entry in services.values():
            if not isinstance(entry, dict):
                _fail("'services' entries should be objects", where, d)
            _field(entry, "status", (str,), where, d)
    return HealthStatus(d)


class ReadyStatus(APIObject):
    """``GET /ready``: ``ready`` (bool) and ``reason``."""

    __slots__ = ()

    ready: Key[bool] = Key("ready")
    reason: Key[Optional[str]] = Key("reason", optional=True)

    def __bool__(self) -> bool:
        return bool(self["ready"])


def parse_ready(data: Any) -> ReadyStatus:
    where = "GET /ready"
    d = _obj(data, where)
    _field(d, "ready", (bool,), where, d)
    _field(d, "reason", (str,), where, d, required=False, nullable=True)
    return ReadyStatus(d)


class RouteRecommendation(APIObject):
    """``POST /v1/route``: ``recommended_model, reasoning, budget_status``."""

    __slots__ = ()

    recommended_model: Key[str] = Key("recommended_model")
    reasoning: Key[str] = Key("reasoning", optional=True, default="")

    @property
    def budget_status(self) -> Mapping[str, Any]:
        return cast(Mapping[str, Any], self.get("budget_status") or {})


def parse_route(data: Any) -> RouteRecommendation:
    where = "POST /v1/route"
    d = _obj(data, where)
    _field(d, "recommended_model", (str,), where, d)
    _field(d, "reasoning", (str,), where, d, required=False)
    _field(d, "budget_status", (dict,), where, d, required=False, nullable=True)
    return RouteRecommendation(d)


class Agent(APIObject):
    __slots__ = ()

    name: Key[str] = Key("name")
    description: Key[str] = Key("description", optional=True, default="")

    @property
    def tools(self) -> list[str]:
        return cast(list[str], self.get("tools") or [])

    model: Key[Optional[str]] = Key("model", optional=True)


class Skill(APIObject):
    __slots__ = ()

    name: Key[str] = Key("name")
    description: Key[str] = Key("description", optional=True, default="")
    command: Key[Optional[str]] = Key("command", optional=True)


class Capabilities(APIObject):
    """``GET /v1/capabilities``: ``agents, skills, agents_count, skills_count``."""

    __slots__ = ()
    _nested: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        "agents": _wrap_list(Agent),
        "skills": _wrap_list(Skill),
    }

    agents: Key[list[Agent]] = Key("agents")
    skills: Key[list[Skill]] = Key("skills")
    agents_count: Key[int] = Key("agents_count")
    skills_count: Key[int] = Key("skills_count")


def parse_capabilities(data: Any) -> Capabilities:
    where = "GET /v1/capabilities"
    d = _obj(data, where)
    for key in ("agents", "skills"):
        for item in _list_of_objects(d, key, where, d):
            _field(item, "name", (str,), where, d)
    _field(d, "agents_count", (int,), where, d)
    _field(d, "skills_count", (int,), where, d)
    return Capabilities(d)


class ProcessResponse(APIObject):
    """``POST /v1/process`` (ai-services shape).

    ``content, content_blocks, model, provider, metadata``.
    """

    __slots__ = ()

    content: Key[str] = Key("content", optional=True, default="")
    content_blocks: Key[Optional[list[Any]]] = Key("content_blocks", optional=True)
    model: Key[str] = Key("model")
    provider: Key[str] = Key("provider", optional=True, default="claudecode")

    @property
    def metadata(self) -> Mapping[str, Any]:
        return cast(Mapping[str, Any], self.get("metadata") or {})


def parse_process(data: Any) -> ProcessResponse:
    where = "POST /v1/process"
    d = _obj(data, where)
    _field(d, "model", (str,), where, d)
    _field(d, "content", (str,), where, d, required=False)
    _field(d, "metadata", (dict,), where, d, required=False)
    _field(d, "content_blocks", (list,), where, d, required=False, nullable=True)
    return ProcessResponse(d)


# --------------------------------------------------------------------------- providers


class Provider(APIObject):
    """One entry of ``GET /v1/providers``: ``name, available, models``."""

    __slots__ = ()

    name: Key[str] = Key("name")
    available: Key[bool] = Key("available", optional=True, default=False)

    @property
    def models(self) -> list[str]:
        return cast(list[str], self.get("models") or [])


def parse_providers(data: Any) -> list[Provider]:
    """``GET /v1/providers``: a JSON list of provider objects."""
    where = "GET /v1/providers"
    if not isinstance(data, list):
        _fail(f"expected a JSON list, got {type(data).__name__}", where, data)
    for item in data:
        if not isinstance(item, dict):
            _fail(f"items should be objects, got {type(item).__name__}", where, data)
        _field(item, "name", (str,), where, data)
        _field(item, "available", (bool,), where, data, required=False, nullable=True)
        models = item.get("models")
        if models is not None and not (
            isinstance(models, list) and all(isinstance(m, str) for m in models)
        ):
            _fail("'models' should be a list of strings", where, data)
    return [Provider(item) for item in data]


class ProviderModel(APIObject):
    """One model of ``GET /v1/providers/{provider}/models``."""

    __slots__ = ()

    max_tokens: Key[Optional[int]] = Key("max_tokens", optional=True)
    context_window: Key[Optional[int]] = Key("context_window", optional=True)
    supports_functions: Key[bool] = Key("supports_functions", optional=True, default=False)
    supports_vision: Key[bool] = Key("supports_vision", optional=True, default=False)


class ProviderModels(APIObject):
    """``GET /v1/providers/{provider}/models``: ``provider`` and ``models`` by alias."""

    __slots__ = ()
    _nested: ClassVar[Mapping[str, Callable[[Any], Any]]] = {"models": _wrap_map(ProviderModel)}

    provider: Key[str] = Key("provider", optional=True, default="")

    @property
    def models(self) -> dict[str, ProviderModel]:
        return cast(dict[str, ProviderModel], self["models"])


def parse_provider_models(data: Any) -> ProviderModels:
    where = "GET /v1/providers/{provider}/models"
    d = _obj(data, where)
    _field(d, "provider", (str,), where, d, required=False)
    models = d.get("models")
    if not isinstance(models, dict):
        _fail("'models' should be an object", where, d)
    for entry in models.values():
        if not isinstance(entry, dict):
            _fail("'models' entries should be objects", where, d)
        _field(entry, "max_tokens", (int,), where, d, required=False, nullable=True)
        _field(entry, "context_window", (int,), where, d, required=False, nullable=True)
    return ProviderModels(d)


def wrap_json(data: Any) -> Any:
    """Any JSON value, with objects (at the top or in a top-level list) as :class:`APIObject`."""
    if isinstance(data, dict):
        return APIObject(data)
    if isinstance(data, list):
        return [APIObject(x) if isinstance(x, dict) else x for x in data]
    return data


def parse_json_object(where: str) -> Callable[[Any], APIObject]:
    def parse(data: Any) -> APIObject:
        return APIObject(_obj(data, where))

    return parse
