# Generated from claude_client/_async/client.py by scripts/unasync.py; do not edit.
# Change the async source and run `make unasync` (`make test` checks this file).
"""``ClaudeClient``: the facade over the generated client.

Both clients are written once, in ``claude_client/_async/client.py``;
``claude_client/_sync/client.py`` is generated from it by ``scripts/unasync.py``
(token substitutions), and ``make test`` fails when that file is stale or was
edited by hand. What differs beyond tokens lives in ``claude_client/_io.py``.
A facade call:

1. builds its request with a pure function of ``_requests`` (arguments validated
   by ``_validation``; bad input raises :class:`InvalidInputError` naming the
   parameter before anything is sent), which also derives the call's
   :class:`~claude_client._transport.CallOptions` (one deadline for the whole call,
   retries, extra headers, key, task policy);
2. calls the generated endpoint with those options in effect, through our retry
   transport (auth, retries, deadline and error mapping happen there, so
   ``client.generated`` gets the same behaviour);
3. parses the body into a typed, dict-compatible result (``_models``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, TypeVar, Union, overload

import httpx2

from .. import _requests as build
from .. import _validation as check
from .._base import ClientBase, unwrap
from .._batch import Chunk, PoolCapacity, PoolGovernor
from .._config import (
    HEALTH_READ_TIMEOUT,
    ApiKey,
    ModelId,
    ModelName,
    Period,
    ProxySetting,
)
from .._errors import GENERATED_ERRORS
from .._exceptions import ClaudeAPIError, ClientClosedError
from .._io import (
    ModelResolver,
    Sleep,
    UserClientTransport,
    default_sleep,
    raw_response,
    run_chunks,
)
from .._models import (
    BatchResponse,
    Capabilities,
    HealthStatus,
    ProcessResponse,
    Provider,
    ProviderModels,
    ReadyStatus,
    Response,
    RouteRecommendation,
    TaskResult,
    UsageStats,
)
from .._requests import Call
from .._response import RawResponse
from .._telemetry import Telemetry
from .._transport import CallOptions, QueryValue, RetryTransport, call_options

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .._io import EndpointFunction, ValidatedEndpointFunction
    from .._streaming import ChatStream, TaskStream

__all__ = ["ClaudeClient", "ClaudeClientWithRawResponse"]

T = TypeVar("T")


class ClaudeClient(ClientBase):
    """Client of the Claude Code API Service.

    Unset arguments come from ``CLAUDE_API_URL`` (default ``http://localhost:8006``),
    ``CLAUDE_API_KEY`` and ``CLAUDE_TIMEOUT`` (default 300 s). ``api_key`` may be a
    mapping ``{project_id: key}``: a call's ``project_id`` then picks the key (the
    service bills chat, batch and usage to the key's project). A key may also be a
    callable returning it (rotating keys): asked for each attempt and each socket
    connection, never cached. ``timeout`` bounds a
    whole call, retries and backoff included, here and per call (README "Timeouts":
    the service-side limits are derived from it); ``max_retries`` (default 2) applies to
    connection errors, 408, 429 rate limits and 5xx (agentic tasks: see
    :meth:`agentic_task`).

    One connection pool serves every call; share the client between threads (the
    sync client) or between the tasks of one event loop (the async client). Use it
    as a context manager (``with``) or call ``client.close()``. Nothing
    is scheduled on an event loop at garbage collection.

    ``http_client``: your own ``httpx2.Client`` (proxies, TLS, limits, mounts,
    event hooks): the SDK sends through it, under its own retry transport, without
    changing it, and once this client is closed it refuses requests; you keep
    ownership (``close()`` leaves it open). A client of the old ``httpx`` package is
    refused (:class:`InvalidInputError` naming the migration: ``import httpx2``).
    ``transport``: an inner ``httpx2.BaseTransport`` to send through instead of
    ``httpx2.HTTPTransport()``. ``proxy``: a proxy URL, or ``False`` for none
    (default: the environment's, as httpx2 reads it); the WebSocket uses the same
    proxy as REST. ``max_response_bytes``: the largest body (and stream frame)
    accepted. ``sleep`` / ``clock``: injectable for tests.

    OpenTelemetry (README "Observability"): with ``opentelemetry-api`` installed every
    call makes a span and records the GenAI metrics through ``tracer_provider`` /
    ``meter_provider`` (default: the global ones), and sends the trace context to the
    service; without it nothing is imported.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        api_key: Optional[ApiKey] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        project_id: Optional[str] = None,
        *,
        http_client: Optional[httpx2.Client] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        transport: Optional[httpx2.BaseTransport] = None,
        proxy: ProxySetting = None,
        max_response_bytes: Optional[int] = None,
        sleep: Optional[Sleep] = None,
        clock: Optional[Callable[[], float]] = None,
        tracer_provider: Optional[TracerProvider] = None,
        meter_provider: Optional[MeterProvider] = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            project_id=project_id,
            default_headers=default_headers,
            max_response_bytes=max_response_bytes,
            clock=clock,
        )
        check.http_client(http_client, httpx2.Client)
        check.transport(transport)
        if http_client is not None and transport is not None:
            raise check.bad(
                "transport", "cannot be combined with http_client=: mount it on your http_client"
            )
        self._ws_proxy = self._pick_ws_proxy(http_client, transport, proxy)
        self._sleep: Sleep = sleep if sleep is not None else default_sleep()
        # The test hooks reach streams as they reach REST (sleep -> sleep when unasynced).
        self._stream_timing = {"clock": self._clock, "sleep": self._sleep}
        inner: httpx2.BaseTransport
        if http_client is not None:
            inner = UserClientTransport(http_client)
        elif transport is not None:
            inner = transport
        else:
            inner = httpx2.HTTPTransport(proxy=self._ws_proxy)
        self._ws_tls = self._pick_ws_tls(http_client, inner)
        self._user_http_client = http_client
        self._connect(inner, owns_inner=True)
        # Resolved by the first call (None from then on when opentelemetry is absent).
        self._otel: Optional[Telemetry] = Telemetry(self.base_url, tracer_provider, meter_provider)

    def _connect(self, inner: httpx2.BaseTransport, *, owns_inner: bool) -> None:
        """Build this client's httpx client over ``inner`` (the pool; shared by views)."""
        self._inner = inner
        retry = RetryTransport(
            inner,
            keys=self._keys,
            timeout=self.timeout,
            max_retries=self.max_retries,
            sleep=self._sleep,
            clock=self._clock,
            origin=self.base_url,
            max_response_bytes=self.max_response_bytes,
            owns_inner=owns_inner,
        )
        self._http = httpx2.Client(transport=retry, **self._http_settings(self._user_http_client))
        self._generated = self._new_generated().set_httpx_client(self._http)

    def with_options(
        self,
        *,
        base_url: Optional[str] = None,
        api_key: Optional[ApiKey] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        project_id: Optional[str] = None,
    ) -> ClaudeClient:
        """A client with some settings changed that shares this one's connection pool.

        Unset arguments keep this client's values; ``default_headers`` are added to
        (and override) this client's. No new connection pool: the view sends
        through this client's connections (and its ``http_client`` / ``transport``
        / proxy). Closing the view ends its own streams and makes it refuse calls,
        but leaves the pool open; closing this client closes the pool, and its
        views then raise :class:`ClientClosedError`::

            fast = client.with_options(timeout=10, max_retries=0)
            fast.get_usage(period="day")
        """
        self._check_open()
        view = type(self).__new__(type(self))
        view._init_view(
            self,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            project_id=project_id,
        )
        view._sleep = self._sleep
        view._stream_timing = {"clock": view._clock, "sleep": view._sleep}
        view._user_http_client = self._user_http_client
        view._connect(self._inner, owns_inner=False)
        # The view reports to the same providers, under its own server address.
        view._otel = (
            None
            if self._otel is None
            else Telemetry(view.base_url, self._otel.tracer_provider, self._otel.meter_provider)
        )
        return view

    @property
    def with_raw_response(self) -> ClaudeClientWithRawResponse:
        """The REST methods, returning a :class:`RawResponse` instead of the result.

        ``(client.with_raw_response.complete("Hi")).headers`` and ``.parse()``
        (the :class:`Response`); errors raise as usual. ``batch()`` (several requests)
        and the streams are not offered.
        """
        return ClaudeClientWithRawResponse(self)

    def __enter__(self) -> ClaudeClient:
        self._check_open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool and end open streams (a second call does nothing).

        On a :meth:`with_options` view: end the view's streams and refuse further
        calls through it; the shared pool stays open until its owner is closed.

        A call blocked on the network meanwhile (in another thread, for the sync
        client) ends with :class:`ClientClosedError` and nothing is re-sent.
        """
        if self._closed:
            return
        self._closed = True
        for stream in list(self._streams):
            stream.close()
        for view in list(self._views):
            view.close()
        self._http.close()

    def _execute(self, call: Call[T]) -> T:
        self._check_open()
        if self._otel is not None:
            result: T = self._otel.traced(self, call, self._send_call, call)
            return result
        return self._send_call(call)

    def _send_call(self, call: Call[T]) -> T:
        with call_options(call.options):
            try:
                resp = call.endpoint.sync_detailed(client=self._generated, **call.kwargs)
            except ClaudeAPIError:
                raise
            except GENERATED_ERRORS as exc:
                raise self._generated_error(call.where, exc) from exc
        return self._finish(call, resp)

    @overload
    def call(
        self,
        endpoint: ValidatedEndpointFunction[T],
        /,
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> T: ...

    @overload
    def call(
        self,
        endpoint: EndpointFunction[T],
        /,
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> T: ...

    def call(
        self,
        endpoint: EndpointFunction[Any],
        /,
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Any:
        """Call a generated ``sync_detailed`` endpoint on this client and unwrap it.

        For a route the facade does not wrap (yet): same pool, auth, retries and
        errors as the facade's methods, and a 2xx body the generated parser cannot
        read is a :class:`ResponseValidationError`, never a bare ``KeyError``.
        ``extra_headers`` / ``extra_query`` / ``extra_body`` work as on the facade's
        methods; every other keyword goes to ``endpoint``.

        Typed: ``T`` for an endpoint returning ``Response[T]``, and for one typed
        ``Response[HTTPValidationError | T]`` too (a 422 raises instead). Example::

            from claude_client.generated.api.api import get_usage

            usage = client.call(get_usage.sync_detailed, period="week")  # UsageResponse
        """
        self._check_open()
        options = self._extras_options(extra_headers, extra_query, extra_body)
        if self._otel is not None:
            return self._otel.traced(self, endpoint, self._call_endpoint, endpoint, kwargs, options)
        return self._call_endpoint(endpoint, kwargs, options)

    def _call_endpoint(
        self,
        endpoint: EndpointFunction[Any],
        kwargs: dict[str, Any],
        options: Optional[CallOptions],
    ) -> Any:
        try:
            if options is None:
                response = endpoint(client=self._generated, **kwargs)
            else:
                with call_options(options):
                    response = endpoint(client=self._generated, **kwargs)
        except ClaudeAPIError:
            raise
        except GENERATED_ERRORS as exc:
            raise self._generated_error(self._endpoint_name(endpoint), exc) from exc
        return unwrap(response)

    # ------------------------------------------------------------ methods

    def complete(
        self,
        prompt: Optional[str] = None,
        model: Union[ModelName, ModelId, None] = "auto",
        timeout: Optional[float] = None,
        *,
        service_timeout: Optional[float] = None,
        project_id: Optional[str] = None,
        messages: Optional[Sequence[Mapping[str, Any]]] = None,
        max_tokens: Optional[int] = None,
        working_directory: Optional[str] = None,
        allowed_tools: Optional[Sequence[str]] = None,
        tools: Optional[Sequence[Mapping[str, Any]]] = None,
        tool_choice: Union[str, Mapping[str, Any], None] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> Response:
        """One chat completion (``POST /v1/chat/completions``).

        ``model``: auto (the service routes), haiku, sonnet or opus. ``timeout``:
        the deadline of the whole call, retries included (default: the client's);
        the service's own limit of the run is derived from it so the service gives
        up first, or set with ``service_timeout`` (1..300 s): see README "Timeouts".
        ``messages`` gives a conversation
        (``prompt``, if also given, is appended as the last user message).
        Returns :class:`Response` (``id, model, content, usage, cost, project_id``).
        """
        call = build.build_complete(
            self,
            prompt=prompt,
            messages=messages,
            model=model,
            timeout=timeout,
            service_timeout=service_timeout,
            project_id=project_id,
            max_tokens=max_tokens,
            working_directory=working_directory,
            allowed_tools=allowed_tools,
            tools=tools,
            tool_choice=tool_choice,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)

    def agentic_task(
        self,
        description: str,
        allow_tools: Optional[Sequence[str]] = None,
        allow_agents: Optional[Sequence[str]] = None,
        allow_skills: Optional[Sequence[str]] = None,
        timeout: Optional[float] = None,
        max_cost: float = 1.0,
        *,
        service_timeout: Optional[float] = None,
        model: Union[ModelName, ModelId, None] = None,
        working_directory: Optional[str] = None,
        project_id: Optional[str] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> TaskResult:
        """Run an agentic task (``POST /v1/task``); returns the completed :class:`TaskResult`.

        ``timeout``: the deadline of the whole call (default: the client's, 300 s);
        the task's own limit is derived from it (the service waits that + 10 s, so
        ``timeout - 10 s - margin``, at most 600), or set with ``service_timeout``
        (1..600 s): see README "Timeouts". A key's permission profile caps the task
        limit (free 60 s, pro 300 s): a ``timeout`` at or under the cap never exceeds
        it. ``max_cost`` (0..10 USD) is the service's cost limit. Tasks have side
        effects, so a request that may have reached the service is retried only when
        the answer proves the task never ran (429 rate limit, 503 with
        ``Retry-After``, connect failure).
        Status ``cost_exceeded`` raises :class:`BudgetExceededError`, ``timeout``
        :class:`APITimeoutError`, ``failed`` :class:`TaskFailedError` (or
        ``BudgetExceededError`` for "Insufficient budget"); each carries ``task_result``.
        """
        call = build.build_task(
            self,
            description=description,
            allow_tools=allow_tools,
            allow_agents=allow_agents,
            allow_skills=allow_skills,
            timeout=timeout,
            service_timeout=service_timeout,
            max_cost=max_cost,
            model=model,
            working_directory=working_directory,
            project_id=project_id,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)

    def stream(
        self,
        prompt: Optional[str] = None,
        model: Optional[ModelName] = "auto",
        *,
        messages: Optional[Sequence[Mapping[str, Any]]] = None,
        project_id: Optional[str] = None,
        timeout: Optional[float] = None,
        idle_timeout: Optional[float] = None,
    ) -> ChatStream:
        """Stream a chat answer over the service's WebSocket (``/v1/stream``).

        Iterate for ``str`` chunks as the model produces them; afterwards the stream
        has ``content``, ``usage``, ``cost`` and ``model``::

            for chunk in client.stream("Write a story"):
                print(chunk, end="", flush=True)

            with client.stream("Summarise this", model="haiku") as s:
                text = "".join([chunk for chunk in s])
            print(s.usage.total_tokens, s.cost)

        The socket has no ``auto`` model: ``model="auto"`` is resolved just before
        connecting by asking the service (``POST /v1/route``) for this prompt; nothing
        is cached, since the answer depends on the prompt and the project.
        ``timeout`` bounds connecting plus the whole stream (default: the client's);
        ``idle_timeout`` the gap between two frames (default 60 s). ``stream()``
        itself sends nothing and returns at once: the socket opens when the first
        chunk is requested. A socket that closes before the end raises
        :class:`StreamInterruptedError` with ``partial_content``.
        """
        from .._streaming import ChatStream

        settings, kwargs, route_prompt = self._chat_stream_args(
            prompt=prompt,
            model=model,
            messages=messages,
            project_id=project_id,
            timeout=timeout,
            idle_timeout=idle_timeout,
        )
        resolve: Optional[ModelResolver] = None
        if route_prompt is not None:
            project = kwargs["project_id"]

            def resolve(seconds_left: Optional[float]) -> str:
                recommendation = self.route(route_prompt, project_id=project, timeout=seconds_left)
                return recommendation.recommended_model

        return self._track(ChatStream(settings, resolve_model=resolve, **kwargs))

    def stream_task(
        self,
        description: str,
        allow_tools: Optional[Sequence[str]] = None,
        allow_agents: Optional[Sequence[str]] = None,
        allow_skills: Optional[Sequence[str]] = None,
        timeout: Optional[float] = None,
        max_cost: float = 1.0,
        *,
        service_timeout: Optional[float] = None,
        project_id: Optional[str] = None,
        idle_timeout: Optional[float] = None,
    ) -> TaskStream:
        """Run an agentic task over the WebSocket and iterate over its events.

        Yields :class:`ThinkingEvent` items, then the same dict-compatible
        :class:`TaskResult` that :meth:`agentic_task` returns (also kept as
        ``.result``); a task that did not complete raises as :meth:`agentic_task`
        does::

            for event in client.stream_task("Count the Python files", allow_tools=["Bash"]):
                if isinstance(event, TaskResult):
                    print(event["result"]["summary"])
                else:
                    print("...", event["content"])

        The socket runs the task with the key's permissions, an auto-selected model
        and the project ``"default"`` (the service's socket protocol); the key
        travels inside the task message as the protocol requires, and is never
        logged. ``timeout`` is the stream's deadline and the task's own limit is
        derived from it, as for :meth:`agentic_task` (README "Timeouts").
        """
        from .._streaming import TaskStream

        settings, kwargs = self._task_stream_args(
            description=description,
            allow_tools=allow_tools,
            allow_agents=allow_agents,
            allow_skills=allow_skills,
            timeout=timeout,
            max_cost=max_cost,
            project_id=project_id,
            idle_timeout=idle_timeout,
            service_timeout=service_timeout,
        )
        return self._track(TaskStream(settings, **kwargs))

    def batch(
        self,
        prompts: Sequence[Union[str, Mapping[str, Any]]],
        model: Union[ModelName, ModelId, None] = "auto",
        parallel: bool = True,
        timeout: Optional[float] = None,
        *,
        service_timeout: Optional[float] = None,
        chunk_size: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        on_progress: Optional[Callable[[int, int], Any]] = None,
        project_id: Optional[str] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> BatchResponse:
        """Many prompts through ``POST /v1/batch``, paced to the service's worker pool.

        The service runs every model call through one pool: ``max_workers`` at
        once (default 5) plus a queue of ``10 x max_workers``; a request that
        would overflow it is refused as a whole (503 ``Worker pool overloaded``)
        while the prompts it already queued keep running. So ``batch()`` reads the
        pool's size and load from ``GET /health`` (or assumes the default 5 + 50),
        sends chunks of at most ``chunk_size`` prompts and keeps its prompts in
        flight within what the pool can take and what can wait in its queue without
        timing out (at most 4 x ``max_workers``, fewer when the measured run time
        is long against ``timeout``). Every ``batch()`` of this process that talks
        to the same service shares that allowance. When the pool refuses a chunk
        anyway (another client filled it), ``batch()`` halves its allowance, waits
        1-8 s (jittered), reads ``/health`` again and sends the chunk again; each
        success grows the allowance back.

        ``chunk_size`` (default ``None``: the pool's ``max_workers``, one round of
        runs per request) is the most prompts one request carries; larger values
        mean fewer requests but a chunk waits for its slowest item, and no request
        exceeds what the pool holds (``11 x max_workers``). ``max_concurrency``
        (default ``None``: as many as the allowance admits) caps the chunks in
        flight; ``parallel=False`` sends one chunk at a time. ``timeout`` is the
        deadline of the whole ``batch()`` (default: the client's); each chunk's
        per-prompt service limit is derived from what remains of it when the chunk
        is sent, or capped with ``service_timeout`` (1..300 s): see README "Timeouts".

        Results come back in input order. A chunk that still fails after its
        retries marks its items ``failed`` with the error text (authentication and
        permission errors are raised instead: they would fail every chunk); so does
        a chunk refused again and again for longer than the client's ``timeout``.
        Prompts run once, except in two cases. When the pool refuses a chunk
        midway (another client took the room between ``/health`` and the request),
        the prompts of that chunk already queued run (the service discards their
        results) and run again when the chunk is resent. When a chunk's request
        fails after it was sent (connection lost, a 5xx from a proxy), it is retried
        like any call (``max_retries``), and what had run runs again.
        ``max_retries=0`` turns both off (those items fail). ``on_progress(done,
        total)`` is called in the caller's thread (or task) as chunks finish.
        Chunks run on daemon threads in the sync client and as tasks in the async
        one. Interrupting the call (Ctrl-C, or cancelling its task) ends it at once:
        nothing more is sent; chunks already sent finish on the service.
        """
        run, make_call = build.build_batch(
            self,
            prompts=prompts,
            model=model,
            parallel=parallel,
            timeout=timeout,
            service_timeout=service_timeout,
            chunk_size=chunk_size,
            max_concurrency=max_concurrency,
            on_progress=on_progress,
            project_id=project_id,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )

        def send(chunk: Chunk) -> BatchResponse:
            return self._execute(make_call(chunk))

        if self._otel is not None:
            return self._otel.batch(self, run, send, model, self._read_pool, self._sleep)
        return run_chunks(run, send, self._read_pool, self._sleep)

    def _read_pool(self, governor: PoolGovernor) -> None:
        """Give ``governor`` the pool's capacity from ``/health`` (the default if it fails)."""
        try:
            health = self.health(timeout=min(HEALTH_READ_TIMEOUT, self.timeout), max_retries=0)
            capacity = PoolCapacity.from_health(health.to_dict())
        except ClientClosedError:
            raise
        except Exception:  # advisory: any failure means "assume the documented default"
            capacity = PoolCapacity()
        governor.update(capacity)

    def get_usage(
        self,
        period: Period = "month",
        *,
        project_id: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> UsageStats:
        """Usage of the key's project for ``period`` (month, week, day) (``GET /v1/usage``).

        With per-project keys, ``project_id`` selects whose usage is reported.
        """
        call = build.build_usage(
            self,
            period=period,
            project_id=project_id,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)

    def health(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> HealthStatus:
        """``GET /health`` (no key needed): ``status``, ``version``, ``services``."""
        call = build.build_health(
            self,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)

    def ready(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> ReadyStatus:
        """``GET /ready`` (no key needed): ``ready`` and ``reason``; truthy when ready."""
        call = build.build_ready(
            self,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)

    def route(
        self,
        prompt: str,
        context_size: int = 0,
        *,
        project_id: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> RouteRecommendation:
        """The model the service recommends for ``prompt`` (``POST /v1/route``)."""
        call = build.build_route(
            self,
            prompt=prompt,
            context_size=context_size,
            project_id=project_id,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)

    def capabilities(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> Capabilities:
        """Agents and skills available to tasks (``GET /v1/capabilities``)."""
        call = build.build_capabilities(
            self,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)

    def providers(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> list[Provider]:
        """``GET /v1/providers`` (no key needed): each :class:`Provider`'s ``name``,
        ``available`` and ``models``."""
        call = build.build_providers(
            self,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)

    def provider_models(
        self,
        provider: str,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> ProviderModels:
        """``GET /v1/providers/{provider}/models`` (:class:`ProviderModels`, ``models`` by
        alias); unknown providers raise ``NotFoundError``."""
        call = build.build_provider_models(
            self,
            provider=provider,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)

    def process(
        self,
        user_message: Optional[str] = None,
        *,
        messages: Optional[Sequence[Mapping[str, Any]]] = None,
        system_message: Optional[str] = None,
        model_name: str = "sonnet",
        provider: str = "claudecode",
        max_tokens: Optional[int] = None,
        temperature: Optional[float] = None,
        tools: Optional[Sequence[Mapping[str, Any]]] = None,
        tool_choice: Union[str, Mapping[str, Any], None] = None,
        use_cli: Optional[bool] = None,
        project_id: Optional[str] = None,
        additional_params: Optional[Mapping[str, Any]] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> ProcessResponse:
        """The ai-services compatible route (``POST /v1/process``)."""
        call = build.build_process(
            self,
            user_message=user_message,
            messages=messages,
            system_message=system_message,
            model_name=model_name,
            provider=provider,
            max_tokens=max_tokens,
            temperature=temperature,
            tools=tools,
            tool_choice=tool_choice,
            use_cli=use_cli,
            project_id=project_id,
            additional_params=additional_params,
            timeout=timeout,
            max_retries=max_retries,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
        )
        return self._execute(call)


class ClaudeClientWithRawResponse:
    """``client.with_raw_response``: each REST method returns a :class:`RawResponse`.

    Same arguments as on the client; ``RawResponse.parse()`` is the result the
    plain method returns.
    """

    def __init__(self, client: ClaudeClient) -> None:
        self._client = client
        self.complete = raw_response(client.complete)
        self.agentic_task = raw_response(client.agentic_task)
        self.get_usage = raw_response(client.get_usage)
        self.health = raw_response(client.health)
        self.ready = raw_response(client.ready)
        self.route = raw_response(client.route)
        self.capabilities = raw_response(client.capabilities)
        self.providers = raw_response(client.providers)
        self.provider_models = raw_response(client.provider_models)
        self.process = raw_response(client.process)

    @overload
    def call(
        self,
        endpoint: ValidatedEndpointFunction[T],
        /,
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> RawResponse[T]: ...

    @overload
    def call(
        self,
        endpoint: EndpointFunction[T],
        /,
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> RawResponse[T]: ...

    def call(
        self,
        endpoint: EndpointFunction[Any],
        /,
        *,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> RawResponse[Any]:
        """:meth:`ClaudeClient.call`, returning a :class:`RawResponse`."""
        return raw_response(self._client.call)(
            endpoint,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            **kwargs,
        )
