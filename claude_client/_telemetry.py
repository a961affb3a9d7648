"""OpenTelemetry traces and metrics, built in and optional (the ``[otel]`` extra).

``import claude_client`` never imports ``opentelemetry``. A client's first call
checks once per process whether ``opentelemetry`` is importable (:func:`present`);
without it the client drops its :class:`Telemetry` (``client._otel = None``) and
every later call pays one ``None`` check. With the API but no SDK configured (the
global providers are still the API's proxies or no-ops and no ``tracer_provider=`` /
``meter_provider=`` was given) a call makes no span, records nothing and sends no
trace context; the check is cheap (the API's module globals, not its getters) and,
once a global SDK is set (set once per process), one attribute test.

What a traced call produces (README "Observability" has the table):

* one CLIENT span per facade call (``_execute``) or ``client.call()``: the GenAI
  client-span conventions for chat (``/v1/chat/completions``, ``/v1/batch`` chunks,
  ``/v1/process``) and agentic tasks (``invoke_agent``); a plain HTTP CLIENT span named
  after the route for the others (``GET /v1/usage``), with no ``gen_ai.*`` operation;
* each attempt as a ``claude_client.attempt`` span event on that span (attempt
  number, status code or error type, backoff before the next one), recorded by the
  retry transport through :func:`attempt_ended`; retries are events, not child spans,
  so an httpx instrumentation running as well does not double the HTTP spans;
* ``traceparent`` / ``tracestate`` injected through the global propagator into each
  attempt's request (:func:`inject`) and into a stream's WebSocket handshake;
* streams: one span over the whole stream, ``claude_client.time_to_first_chunk``, the
  error that interrupted it; ``batch()``: an INTERNAL parent span with the totals and
  one CLIENT child per chunk request;
* metrics ``gen_ai.client.operation.duration``, ``gen_ai.client.token.usage`` and the
  counter ``claude_client.cost`` for the GenAI operations.

Never recorded: the API key, headers, the URL's user info, error messages or
exception events (a service ``detail`` may quote the input), and no prompt or
completion text unless the conventions' opt-in asks for it (:func:`capture_mode`).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Optional, TypeVar

if TYPE_CHECKING:
    import httpx2
    from opentelemetry.metrics import Counter, Histogram, MeterProvider
    from opentelemetry.trace import Span, TracerProvider

    from ._batch import BatchRun, Chunk, PoolGovernor
    from ._models import BatchResponse
    from ._retry import Deadline
    from ._streaming._core import Protocol, StreamSettings

__all__ = [
    "PROVIDER_NAME",
    "Telemetry",
    "attempt_ended",
    "capture_mode",
    "inject",
    "present",
]

T = TypeVar("T")

PROVIDER_NAME = "claude_code_api"
"""``gen_ai.provider.name`` of every GenAI span: the Claude Code API Service."""
INSTRUMENTATION_NAME = "claude_client"

# Routes whose calls are GenAI operations (everything else is a plain HTTP span).
_OPERATIONS = {
    "POST /v1/chat/completions": "chat",
    "POST /v1/batch": "chat",
    "POST /v1/process": "chat",
    "POST /v1/task": "invoke_agent",
}

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
STABILITY_ENV = "OTEL_SEMCONV_STABILITY_OPT_IN"
LATEST_EXPERIMENTAL = "gen_ai_latest_experimental"

# Capture modes (capture_mode()): where prompt and completion text may go.
NO_CONTENT = "NO_CONTENT"
SPAN_ONLY = "SPAN_ONLY"
EVENT_ONLY = "EVENT_ONLY"
SPAN_AND_EVENT = "SPAN_AND_EVENT"
LEGACY_EVENTS = "LEGACY_EVENTS"

# The conventions' advisory bucket boundaries of the two histograms.
DURATION_BUCKETS = [
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
]
TOKEN_BUCKETS = [4**n for n in range(14)]

_PRESENT: Optional[bool] = None
ACTIVE = False
"""Whether a call of this process was traced (an SDK or a caller's provider): until then
the transport's hooks (trace context, attempt events) are skipped."""
_API: Any = None  # (opentelemetry.trace, opentelemetry.metrics._internal) once present()
_MISSING = object()
_RESOLVE_LOCK = threading.Lock()


def present() -> bool:
    """Whether ``opentelemetry`` (the API) is importable; checked once per process."""
    global _PRESENT, _API
    if _PRESENT is None:
        try:
            import opentelemetry.context
            import opentelemetry.metrics
            import opentelemetry.propagate
            import opentelemetry.trace
        except ImportError:
            _PRESENT = False
        else:
            from opentelemetry.metrics import _internal as metrics_internal

            _API = (opentelemetry.trace, metrics_internal)
            # Providers configured through OTEL_PYTHON_*_PROVIDER load on first lookup.
            opentelemetry.trace.get_tracer_provider()
            opentelemetry.metrics.get_meter_provider()
            _PRESENT = True
    return _PRESENT


def _global_sdk() -> bool:
    """Whether a global provider other than the API's own no-ops is set. Read per call
    until one is (they are set once per process), so it avoids the public getters'
    environment lookups: the API's module globals, or the getters if those moved."""
    trace_api, metrics_internal = _API
    tp = getattr(trace_api, "_TRACER_PROVIDER", _MISSING)
    mp = getattr(metrics_internal, "_METER_PROVIDER", _MISSING)
    if tp is _MISSING or mp is _MISSING:
        tp, mp = trace_api.get_tracer_provider(), metrics_internal.get_meter_provider()
    return not ((tp is None or _is_noop(tp)) and (mp is None or _is_noop(mp)))


def capture_mode(environ: Optional[Mapping[str, str]] = None) -> str:
    """Where message content may be recorded, per the GenAI conventions' opt-in.

    With ``OTEL_SEMCONV_STABILITY_OPT_IN`` containing ``gen_ai_latest_experimental``,
    ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` is one of ``NO_CONTENT``
    (default), ``SPAN_ONLY``, ``EVENT_ONLY``, ``SPAN_AND_EVENT``: ``gen_ai.input.messages``
    / ``gen_ai.output.messages`` as span attributes, in a
    ``gen_ai.client.inference.operation.details`` span event, or both. Without the
    opt-in the older boolean applies: ``true`` records the ``gen_ai.content.prompt`` /
    ``gen_ai.content.completion`` span events (``LEGACY_EVENTS``). Anything else:
    ``NO_CONTENT``.
    """
    env = os.environ if environ is None else environ
    value = env.get(CAPTURE_ENV, "").strip()
    opt_in = {part.strip() for part in env.get(STABILITY_ENV, "").split(",")}
    if LATEST_EXPERIMENTAL in opt_in:
        upper = value.upper()
        return upper if upper in (SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT) else NO_CONTENT
    return LEGACY_EVENTS if value.lower() == "true" else NO_CONTENT


# --------------------------------------------------------------------------- transport hooks


class _Record:
    """One traced operation: its span, when it started, and what the attempts reported."""

    __slots__ = (
        "attempts",
        "chunks",
        "context",
        "first_chunk_at",
        "metric_attrs",
        "name_from_request",
        "op",
        "request_id",
        "span",
        "start",
        "status_code",
        "telemetry",
    )

    def __init__(
        self, telemetry: Telemetry, span: Span, op: Optional[str], metric_attrs: dict[str, Any]
    ) -> None:
        from opentelemetry import trace

        self.telemetry = telemetry
        self.span = span
        self.op = op
        self.metric_attrs = metric_attrs
        self.context = trace.set_span_in_context(span)
        self.start = time.perf_counter()
        self.attempts = 0
        self.chunks = 0
        self.request_id: Optional[str] = None
        self.status_code: Optional[int] = None
        self.first_chunk_at: Optional[float] = None
        self.name_from_request = False


_RECORD: ContextVar[Optional[_Record]] = ContextVar("claude_client_otel_record", default=None)


def inject(request: httpx2.Request) -> None:
    """Put the current trace context (``traceparent``, ``tracestate``, baggage) into
    ``request``'s headers through the configured global propagator."""
    from opentelemetry import propagate

    propagate.inject(request.headers)
    rec = _RECORD.get()
    if rec is not None and rec.name_from_request and rec.attempts == 0:
        # client.call(): the route is known once the generated code built the request.
        rec.name_from_request = False
        method, path = request.method, request.url.path
        rec.span.update_name(f"{method} {path}")
        rec.span.set_attribute("http.request.method", method)


def attempt_ended(
    attempt: int,
    status: Optional[int],
    error: Optional[BaseException],
    backoff: Optional[float],
    request_id: Optional[str],
) -> None:
    """One attempt of the current traced call ended: a ``claude_client.attempt`` event.

    ``status``: the HTTP status (``None`` without an answer); ``error``: what failed
    (``None`` for a success); ``backoff``: seconds until the next attempt (``None``: none).
    """
    rec = _RECORD.get()
    if rec is None:
        return
    rec.attempts = attempt
    if status is not None:
        rec.status_code = status
    if request_id:
        rec.request_id = request_id
    span = rec.span
    if not span.is_recording():
        return
    attrs: dict[str, Any] = {"claude_client.attempt": attempt}
    if status is not None:
        attrs["http.response.status_code"] = status
    if error is not None:
        attrs["error.type"] = type(error).__name__
    if backoff is not None:
        attrs["claude_client.backoff_s"] = backoff
    span.add_event("claude_client.attempt", attrs)


# --------------------------------------------------------------------------- describing calls


def _server(base_url: str) -> tuple[Optional[str], Optional[int]]:
    parts = urllib.parse.urlsplit(base_url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"https": 443, "wss": 443, "http": 80, "ws": 80}.get(parts.scheme)
    return parts.hostname, port


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _route_template(where: str) -> str:
    if where.startswith("GET /v1/providers/") and where.endswith("/models"):
        return "GET /v1/providers/{provider}/models"
    return where


def _tokens(usage: Any) -> tuple[Optional[int], Optional[int]]:
    if usage is None:
        return None, None
    try:
        inp, out = usage.input_tokens, usage.output_tokens
    except (AttributeError, KeyError, TypeError):
        return None, None
    return (
        inp if isinstance(inp, int) and not isinstance(inp, bool) else None,
        out if isinstance(out, int) and not isinstance(out, bool) else None,
    )


def _number(value: Any) -> Optional[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _response_facts(result: Any) -> dict[str, Any]:
    """``gen_ai.response.*``, usage and cost of a parsed result (what it has of them)."""
    from ._models import BatchResponse, ProcessResponse, Response, TaskResult, Usage

    out: dict[str, Any] = {}
    inp = outp = None
    cost: Optional[float] = None
    try:
        if isinstance(result, Response):
            out["gen_ai.response.id"] = result.get("id")
            out["gen_ai.response.model"] = result.get("model")
            inp, outp = _tokens(result.usage)
            cost = _number(result.get("cost"))
        elif isinstance(result, TaskResult):
            out["gen_ai.response.id"] = result.task_id
            task_usage = result.usage
            out["gen_ai.response.model"] = task_usage.model_used
            inp, outp = _tokens(task_usage)
            cost = _number(task_usage.total_cost)
        elif isinstance(result, BatchResponse):
            inp = outp = 0
            for item in result.results:
                i, o = _tokens(item.usage)
                inp += i or 0
                outp += o or 0
            cost = _number(result.get("total_cost"))
            out["claude_client.batch.completed"] = result.get("completed")
            out["claude_client.batch.failed"] = result.get("failed")
        elif isinstance(result, ProcessResponse):
            out["gen_ai.response.model"] = result.get("model")
            usage = result.metadata.get("usage")
            if isinstance(usage, Mapping):
                inp, outp = _tokens(Usage(usage))
        elif isinstance(result, _StreamResult):
            protocol: Any = result.protocol
            out["gen_ai.response.model"] = protocol.model
            inp, outp = _tokens(protocol.usage)
            cost = _number(protocol.cost)
    except (AttributeError, KeyError, TypeError, ValueError):
        pass  # telemetry never fails a call: an odd answer just has fewer attributes
    if inp is not None:
        out["gen_ai.usage.input_tokens"] = inp
    if outp is not None:
        out["gen_ai.usage.output_tokens"] = outp
    if cost is not None:
        out["claude_client.cost_usd"] = cost
    return {k: v for k, v in out.items() if v is not None and v != ""}


def _input_messages(where: str, body: Any) -> list[dict[str, Any]]:
    """The prompt of a request body in the conventions' message shape (content capture)."""
    try:
        data = body.to_dict() if hasattr(body, "to_dict") else dict(body)
    except Exception:
        return []
    messages: list[dict[str, Any]] = []
    if where == "POST /v1/task":
        messages.append(_message("user", data.get("description")))
    elif where == "POST /v1/batch":
        for item in data.get("prompts") or []:
            messages.append(_message("user", item.get("prompt")))
    else:
        if data.get("system_message"):
            messages.append(_message("system", data.get("system_message")))
        for m in data.get("messages") or []:
            if isinstance(m, Mapping):
                messages.append(_message(str(m.get("role", "user")), m.get("content")))
        if data.get("user_message"):
            messages.append(_message("user", data.get("user_message")))
    return messages


def _message(role: str, content: Any) -> dict[str, Any]:
    text = content if isinstance(content, str) else json.dumps(content, default=str)
    return {"role": role, "parts": [{"type": "text", "content": text}]}


def _output_messages(result: Any) -> list[dict[str, Any]]:
    from ._models import BatchResponse, ProcessResponse, Response, TaskResult

    try:
        if isinstance(result, (Response, ProcessResponse)):
            return [_message("assistant", result.content)]
        if isinstance(result, TaskResult):
            return [_message("assistant", result.summary or "")]
        if isinstance(result, BatchResponse):
            return [_message("assistant", item.content or "") for item in result.results]
        if isinstance(result, _StreamResult):
            return [_message("assistant", result.protocol.content)]
    except (AttributeError, KeyError, TypeError):
        pass
    return []


# --------------------------------------------------------------------------- the client's part


class Telemetry:
    """A client's tracing and metrics: its providers (``None``: the global ones).

    Resolved on the client's first traced call (:meth:`_ready`): the tracer, the
    instruments and the content-capture mode are made once.
    """

    def __init__(
        self,
        base_url: str,
        tracer_provider: Optional[TracerProvider] = None,
        meter_provider: Optional[MeterProvider] = None,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.server_address, self.server_port = _server(base_url)
        self._resolved = False
        self._on = tracer_provider is not None or meter_provider is not None
        self._tracer: Any = None
        self._duration: Optional[Histogram] = None
        self._tokens: Optional[Histogram] = None
        self._cost: Optional[Counter] = None
        self.capture = NO_CONTENT

    def __repr__(self) -> str:
        return f"<Telemetry {self.server_address}:{self.server_port}>"

    # ------------------------------------------------------------ setup

    def _resolve(self) -> None:
        from opentelemetry import metrics, trace

        from . import __version__

        tp = self.tracer_provider or trace.get_tracer_provider()
        mp = self.meter_provider or metrics.get_meter_provider()
        self._tracer = tp.get_tracer(INSTRUMENTATION_NAME, __version__)
        meter = mp.get_meter(INSTRUMENTATION_NAME, __version__)
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Measures number of input and output tokens used",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        self._cost = meter.create_counter(
            "claude_client.cost", unit="USD", description="Cost the service reported, in USD"
        )
        self.capture = capture_mode()
        self._resolved = True
        global ACTIVE
        ACTIVE = True

    def _ready(self, client: Any) -> bool:
        """On the first call, drop this object from ``client`` when ``opentelemetry`` is
        absent; then whether this call is traced: providers of the caller's, or a global
        SDK (once one is set it stays: this is then one attribute check)."""
        if not self._on:
            if not (_PRESENT or present()):
                if client is not None and getattr(client, "_otel", None) is self:
                    client._otel = None
                return False
            if not _global_sdk():
                return False
            self._on = True
        if not self._resolved:
            if not present():  # providers were given, yet the API is not importable
                return False
            with _RESOLVE_LOCK:  # two threads' first calls make the instruments once
                if not self._resolved:
                    self._resolve()
        return True

    # ------------------------------------------------------------ spans

    def _start(
        self,
        name: str,
        attrs: dict[str, Any],
        op: Optional[str],
        *,
        kind: Any = None,
    ) -> _Record:
        from opentelemetry.trace import SpanKind

        span = self._tracer.start_span(
            name, kind=SpanKind.CLIENT if kind is None else kind, attributes=attrs
        )
        metric_attrs: dict[str, Any] = {}
        if op is not None:
            for key in (
                "gen_ai.operation.name",
                "gen_ai.provider.name",
                "gen_ai.request.model",
                "server.address",
                "server.port",
            ):
                if key in attrs:
                    metric_attrs[key] = attrs[key]
        return _Record(self, span, op, metric_attrs)

    def _common(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if self.server_address:
            attrs["server.address"] = self.server_address
        if self.server_port is not None:
            attrs["server.port"] = self.server_port
        return attrs

    def _begin_rest(self, subject: Any) -> _Record:
        from ._requests import Call

        attrs = self._common()
        if isinstance(subject, Call):
            where = subject.where
            op = _OPERATIONS.get(where)
            method = where.split(" ", 1)[0]
            attrs["http.request.method"] = method
            body = subject.kwargs.get("body")
            if op is None:
                name = _route_template(where)
                attrs["url.template"] = name.split(" ", 1)[1]
                return self._start(name, attrs, None)
            model = _text(
                getattr(body, "model_name" if where == "POST /v1/process" else "model", None)
            )
            if model is None and op == "chat":
                model = "auto"  # the service routes
            attrs["gen_ai.operation.name"] = op
            attrs["gen_ai.provider.name"] = PROVIDER_NAME
            if model is not None:
                attrs["gen_ai.request.model"] = model
            attrs["url.template"] = where.split(" ", 1)[1]
            if where == "POST /v1/batch":
                prompts = getattr(body, "prompts", None)
                if isinstance(prompts, list):
                    attrs["claude_client.batch.size"] = len(prompts)
            rec = self._start(f"{op} {model}" if model else op, attrs, op)
            if self.capture != NO_CONTENT and body is not None:
                self._capture_input(rec.span, _input_messages(where, body))
            return rec
        # client.call(generated endpoint): named "{method} {path}" by the first attempt.
        name = getattr(subject, "__module__", "generated").rsplit(".", 1)[-1]
        rec = self._start(name, attrs, None)
        rec.name_from_request = True
        return rec

    def _end(self, rec: _Record, result: Any, error: Optional[BaseException]) -> None:
        span = rec.span
        try:
            duration = time.perf_counter() - rec.start
            facts = _response_facts(result) if error is None and rec.op is not None else {}
            attrs: dict[str, Any] = dict(facts)
            if rec.request_id:
                attrs["claude_client.request_id"] = rec.request_id
            if rec.attempts:
                attrs["claude_client.retry_count"] = rec.attempts - 1
            if rec.status_code is not None:
                attrs["http.response.status_code"] = rec.status_code
            if rec.first_chunk_at is not None:
                attrs["claude_client.time_to_first_chunk"] = rec.first_chunk_at - rec.start
            error_type = None
            if error is not None:
                error_type = _error_type(error)
                attrs["error.type"] = error_type
                request_id = getattr(error, "request_id", None)
                if isinstance(request_id, str) and request_id:
                    attrs["claude_client.request_id"] = request_id
                status = getattr(error, "status_code", None)
                if isinstance(status, int):
                    attrs["http.response.status_code"] = status
            if span.is_recording():
                span.set_attributes(attrs)
                if error is not None:
                    from opentelemetry.trace import Status, StatusCode

                    span.set_status(Status(StatusCode.ERROR, error_type))
                elif self.capture != NO_CONTENT and rec.op is not None:
                    self._capture_output(span, _output_messages(result))
            if rec.op is not None:
                self._record_metrics(rec, duration, facts, error_type)
        finally:
            span.end()

    def _record_metrics(
        self, rec: _Record, duration: float, facts: Mapping[str, Any], error_type: Optional[str]
    ) -> None:
        attrs = dict(rec.metric_attrs)
        model = facts.get("gen_ai.response.model")
        if model:
            attrs["gen_ai.response.model"] = model
        if error_type is not None:
            attrs["error.type"] = error_type
        assert self._duration is not None and self._tokens is not None and self._cost is not None
        self._duration.record(duration, attrs)
        if error_type is not None:
            return
        for key, kind in (
            ("gen_ai.usage.input_tokens", "input"),
            ("gen_ai.usage.output_tokens", "output"),
        ):
            count = facts.get(key)
            if count is not None:
                self._tokens.record(count, {**attrs, "gen_ai.token.type": kind})
        cost = facts.get("claude_client.cost_usd")
        if cost:
            self._cost.add(cost, attrs)

    # ------------------------------------------------------------ content capture (opt-in)

    def _capture_input(self, span: Span, messages: list[dict[str, Any]]) -> None:
        if not messages or not span.is_recording():
            return
        text = json.dumps(messages, ensure_ascii=False)
        mode = self.capture
        if mode in (SPAN_ONLY, SPAN_AND_EVENT):
            span.set_attribute("gen_ai.input.messages", text)
        if mode in (EVENT_ONLY, SPAN_AND_EVENT):
            span.add_event(
                "gen_ai.client.inference.operation.details", {"gen_ai.input.messages": text}
            )
        if mode == LEGACY_EVENTS:
            span.add_event("gen_ai.content.prompt", {"gen_ai.prompt": text})

    def _capture_output(self, span: Span, messages: list[dict[str, Any]]) -> None:
        if not messages:
            return
        text = json.dumps(messages, ensure_ascii=False)
        mode = self.capture
        if mode in (SPAN_ONLY, SPAN_AND_EVENT):
            span.set_attribute("gen_ai.output.messages", text)
        if mode in (EVENT_ONLY, SPAN_AND_EVENT):
            span.add_event(
                "gen_ai.client.inference.operation.details", {"gen_ai.output.messages": text}
            )
        if mode == LEGACY_EVENTS:
            span.add_event("gen_ai.content.completion", {"gen_ai.completion": text})

    # ------------------------------------------------------------ REST calls

    def _enter(self, client: Any, subject: Any) -> Optional[tuple[_Record, Any, Any]]:
        if not self._ready(client):
            return None
        from opentelemetry import context

        rec = self._begin_rest(subject)
        return rec, context.attach(rec.context), _RECORD.set(rec)

    def _exit(self, state: tuple[_Record, Any, Any], result: Any, error: Any) -> None:
        from opentelemetry import context

        rec, token, rec_token = state
        _RECORD.reset(rec_token)
        context.detach(token)
        self._end(rec, result, error)

    def traced(self, client: Any, subject: Any, send: Callable[..., T], *args: Any) -> T:
        """``send(*args)`` under a CLIENT span describing ``subject`` (a ``Call`` or a
        generated endpoint function)."""
        state = self._enter(client, subject)
        if state is None:
            return send(*args)
        try:
            result = send(*args)
        except BaseException as exc:
            self._exit(state, None, exc)
            raise
        self._exit(state, result, None)
        return result

    async def async_traced(
        self, client: Any, subject: Any, send: Callable[..., Awaitable[T]], *args: Any
    ) -> T:
        """The asyncio twin of :meth:`traced`."""
        state = self._enter(client, subject)
        if state is None:
            return await send(*args)
        try:
            result = await send(*args)
        except BaseException as exc:
            self._exit(state, None, exc)
            raise
        self._exit(state, result, None)
        return result

    # ------------------------------------------------------------ batch

    def _begin_batch(self, run: BatchRun, model: Optional[str]) -> _Record:
        from opentelemetry.trace import SpanKind

        attrs = self._common()
        attrs["gen_ai.provider.name"] = PROVIDER_NAME
        name = model if isinstance(model, str) and model else "auto"
        attrs["gen_ai.request.model"] = name
        attrs["claude_client.batch.size"] = len(run.items)
        return self._start(f"batch {name}", attrs, None, kind=SpanKind.INTERNAL)

    def _end_batch(self, rec: _Record, result: Any, error: Optional[BaseException]) -> None:
        span = rec.span
        try:
            if span.is_recording():
                attrs = _response_facts(result) if error is None else {}
                attrs["claude_client.batch.chunks"] = rec.chunks
                span.set_attributes(attrs)
                if error is not None:
                    from opentelemetry.trace import Status, StatusCode

                    error_type = _error_type(error)
                    span.set_attribute("error.type", error_type)
                    span.set_status(Status(StatusCode.ERROR, error_type))
        finally:
            span.end()

    def batch(
        self,
        client: Any,
        run: BatchRun,
        send: Callable[[Chunk], BatchResponse],
        model: Optional[str],
        read_pool: Callable[[PoolGovernor], None],
        sleep: Callable[[float], None],
    ) -> BatchResponse:
        """``run_chunks`` under a ``batch {model}`` span whose children are the chunks'."""
        from ._io import run_chunks

        if not self._ready(client):
            return run_chunks(run, send, read_pool, sleep)
        from opentelemetry import context

        rec = self._begin_batch(run, model)
        lock = threading.Lock()

        def traced_send(chunk: Chunk) -> BatchResponse:
            with lock:
                rec.chunks += 1
            token = context.attach(rec.context)  # a chunk runs on its own thread
            try:
                return send(chunk)
            finally:
                context.detach(token)

        token = context.attach(rec.context)
        try:
            result = run_chunks(run, traced_send, read_pool, sleep)
        except BaseException as exc:
            context.detach(token)
            self._end_batch(rec, None, exc)
            raise
        context.detach(token)
        self._end_batch(rec, result, None)
        return result

    async def async_batch(
        self,
        client: Any,
        run: BatchRun,
        send: Callable[[Chunk], Awaitable[BatchResponse]],
        model: Optional[str],
        read_pool: Callable[[PoolGovernor], Awaitable[None]],
        sleep: Callable[[float], Awaitable[None]],
    ) -> BatchResponse:
        """The asyncio twin of :meth:`batch` (chunk tasks inherit the span's context)."""
        from ._io import async_run_chunks

        if not self._ready(client):
            return await async_run_chunks(run, send, read_pool, sleep)
        from opentelemetry import context

        rec = self._begin_batch(run, model)

        async def counted_send(chunk: Chunk) -> BatchResponse:
            rec.chunks += 1
            return await send(chunk)

        token = context.attach(rec.context)
        try:
            result = await async_run_chunks(run, counted_send, read_pool, sleep)
        except BaseException as exc:
            context.detach(token)
            self._end_batch(rec, None, exc)
            raise
        context.detach(token)
        self._end_batch(rec, result, None)
        return result

    # ------------------------------------------------------------ streams

    def _begin_stream(
        self, settings: StreamSettings, protocol: Protocol[Any]
    ) -> tuple[_Record, StreamSettings]:
        """The stream's span, and ``settings`` whose handshake headers carry its context."""
        from dataclasses import replace

        from opentelemetry import propagate

        attrs: dict[str, Any] = {}
        address, port = _server(settings.ws_url)
        if address:
            attrs["server.address"] = address
        if port is not None:
            attrs["server.port"] = port
        attrs["gen_ai.provider.name"] = PROVIDER_NAME
        model: Optional[str]
        if protocol.kind == "chat":
            op = "chat"
            model = _text(getattr(protocol, "model_requested", None))
        else:
            op = "invoke_agent"
            model = None
        attrs["gen_ai.operation.name"] = op
        if model is not None:
            attrs["gen_ai.request.model"] = model
        attrs["claude_client.streaming"] = True
        rec = self._start(f"{op} {model}" if model else op, attrs, op)
        if self.capture != NO_CONTENT:
            self._capture_input(rec.span, _stream_input(protocol))
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=rec.context)
        if carrier:
            settings = replace(settings, headers={**settings.headers, **carrier})
        return rec, settings

    def _end_stream(
        self, rec: _Record, protocol: Protocol[Any], error: Optional[BaseException]
    ) -> None:
        result: Any = None
        if error is None and protocol.finished:
            task_result = getattr(protocol, "result", None)
            result = task_result if task_result is not None else _StreamResult(protocol)
        if rec.span.is_recording():
            rec.span.set_attribute("claude_client.stream.frames", protocol.frames)
            if error is None and not protocol.finished:
                rec.span.set_attribute("claude_client.stream.closed_early", True)
        self._end(rec, result, error)

    def stream(
        self,
        settings: StreamSettings,
        protocol: Protocol[T],
        sock: Any,
        before_connect: Optional[Callable[[Deadline], None]],
        run: Callable[..., Generator[T, None, None]],
    ) -> Generator[T, None, None]:
        """``run(settings, protocol, sock, before_connect)`` under a span over the stream."""
        if not self._ready(None):
            plain: Generator[T, None, None] = run(settings, protocol, sock, before_connect)
            return plain
        rec, traced_settings = self._begin_stream(settings, protocol)
        return self._traced_stream(
            rec, protocol, run(traced_settings, protocol, sock, before_connect)
        )

    def _traced_stream(
        self, rec: _Record, protocol: Protocol[T], inner: Generator[T, None, None]
    ) -> Generator[T, None, None]:
        from opentelemetry import context

        error: Optional[BaseException] = None
        try:
            while True:
                token = context.attach(rec.context)  # e.g. the route call of model="auto"
                try:
                    item = next(inner)
                except StopIteration:
                    return
                finally:
                    context.detach(token)
                if rec.first_chunk_at is None:
                    rec.first_chunk_at = time.perf_counter()
                yield item
        except GeneratorExit:
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            try:
                inner.close()
            finally:
                self._end_stream(rec, protocol, error)

    def async_stream(
        self,
        settings: StreamSettings,
        protocol: Protocol[T],
        sock: Any,
        before_connect: Optional[Callable[[Deadline], Awaitable[None]]],
        run: Callable[..., AsyncGenerator[T, None]],
    ) -> AsyncGenerator[T, None]:
        """The asyncio twin of :meth:`stream`."""
        if not self._ready(None):
            plain: AsyncGenerator[T, None] = run(settings, protocol, sock, before_connect)
            return plain
        rec, traced_settings = self._begin_stream(settings, protocol)
        return self._async_traced_stream(
            rec, protocol, run(traced_settings, protocol, sock, before_connect)
        )

    async def _async_traced_stream(
        self, rec: _Record, protocol: Protocol[T], inner: AsyncGenerator[T, None]
    ) -> AsyncGenerator[T, None]:
        from opentelemetry import context

        error: Optional[BaseException] = None
        try:
            while True:
                token = context.attach(rec.context)
                try:
                    item = await inner.__anext__()
                except StopAsyncIteration:
                    return
                finally:
                    context.detach(token)
                if rec.first_chunk_at is None:
                    rec.first_chunk_at = time.perf_counter()
                yield item
        except GeneratorExit:
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            try:
                await inner.aclose()
            finally:
                self._end_stream(rec, protocol, error)


class _StreamResult:
    """What a finished stream's protocol holds, read like a parsed REST result."""

    def __init__(self, protocol: Protocol[Any]) -> None:
        self.protocol = protocol


def _stream_input(protocol: Protocol[Any]) -> list[dict[str, Any]]:
    if protocol.kind == "chat":
        return [
            _message(str(m.get("role", "user")), m.get("content"))
            for m in getattr(protocol, "messages", [])
        ]
    fields = getattr(protocol, "fields", {})
    return [_message("user", fields.get("description"))]


def _error_type(error: BaseException) -> str:
    return type(error).__name__


def _is_noop(provider: Any) -> bool:
    """The API's own providers: no SDK is configured (globally) yet."""
    name = type(provider).__name__
    return name in (
        "ProxyTracerProvider",
        "NoOpTracerProvider",
        "_ProxyMeterProvider",
        "NoOpMeterProvider",
    )
