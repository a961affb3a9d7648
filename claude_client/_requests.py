"""Request building: pure functions from a call's arguments to a :class:`Call`.

Each ``build_*`` takes the client as a :class:`CallContext` (its defaults and the
per-call options it derives) and keyword-only, typed arguments; it validates them
(:mod:`claude_client._validation`), and returns what the client's I/O layer sends:
the generated endpoint module (imported here, by name, never from a string), its
keyword arguments, the :class:`~claude_client._transport.CallOptions` and the parser
of the answer. Nothing here does I/O, so the async client and its generated sync
twin share every line of it.

Generated modules are imported on first use: ``import claude_client`` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Optional, Protocol, TypeVar, Union

from . import _validation as check
from ._batch import BatchRun, Chunk, governor_for
from ._config import SERVICE_TIMEOUT_MAX, TASK_HTTP_MARGIN, TASK_TIMEOUT_MAX
from ._errors import error_from_task_result
from ._models import (
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
    parse_batch_response,
    parse_capabilities,
    parse_health,
    parse_process,
    parse_provider_models,
    parse_providers,
    parse_ready,
    parse_response,
    parse_route,
    parse_task_result,
    parse_usage,
)
from ._retry import Deadline
from ._transport import CallOptions, QueryValue, ServiceLimit

if TYPE_CHECKING:
    from claude_client.generated.types import Response as GeneratedResponse

__all__ = [
    "Call",
    "CallContext",
    "Endpoint",
    "build_batch",
    "build_capabilities",
    "build_complete",
    "build_health",
    "build_process",
    "build_provider_models",
    "build_providers",
    "build_ready",
    "build_route",
    "build_task",
    "build_usage",
]

T = TypeVar("T")


class Endpoint(Protocol):
    """A generated endpoint module, e.g. ``claude_client.generated.api.api.chat_completion``."""

    @property
    def sync_detailed(self) -> Callable[..., GeneratedResponse[Any]]: ...

    @property
    def asyncio_detailed(self) -> Callable[..., Awaitable[GeneratedResponse[Any]]]: ...


@dataclass(slots=True)
class Call(Generic[T]):
    """One request a facade method wants made: endpoint, arguments, options, parser.

    ``where`` names the route in error messages. ``raw_parsed``: the generated
    parser returns the JSON as is (used instead of decoding the body again).
    ``project``: the project the caller asked for (the client warns once when the
    service answers for another).
    """

    endpoint: Endpoint
    kwargs: dict[str, Any]
    options: CallOptions
    parse: Callable[[Any], T]
    where: str
    raw_parsed: bool = False
    project: Optional[str] = None


class CallContext(Protocol):
    """What request building needs from a client (:class:`~claude_client._base.ClientBase`)."""

    @property
    def base_url(self) -> str: ...

    @property
    def timeout(self) -> float: ...

    @property
    def max_retries(self) -> int: ...

    @property
    def project_id(self) -> Optional[str]: ...

    @property
    def _clock(self) -> Callable[[], float]:
        """The client's monotonic clock (injectable for tests)."""
        ...

    def _call_options(
        self,
        *,
        deadline: Optional[float],
        max_retries: Optional[int],
        extra_headers: Optional[dict[str, str]],
        project_id: Optional[str],
        key_required: bool = True,
        task: bool = False,
        service_limit: Optional[ServiceLimit] = None,
        extra_query: Optional[Mapping[str, QueryValue]] = None,
        extra_body: Optional[Mapping[str, Any]] = None,
    ) -> CallOptions:
        """The options of one call (raises if the client is closed or lacks the key)."""
        ...


def _deadline(ctx: CallContext, timeout: Optional[float]) -> float:
    """The call's deadline: its ``timeout`` or the client's (``math.inf``: none)."""
    seconds = check.call_timeout(timeout)
    return ctx.timeout if seconds is None else seconds


def _chat_limit(deadline: float, service_timeout: Optional[float]) -> ServiceLimit:
    """The service-side limit of a chat run / batch item under ``deadline`` (README "Timeouts")."""
    cap = check.service_timeout(service_timeout, deadline, maximum=SERVICE_TIMEOUT_MAX)
    return ServiceLimit.for_deadline(deadline, cap=cap)


_CHAT: Optional[tuple[Endpoint, Any, Any, Any]] = None


def _chat() -> tuple[Endpoint, Any, Any, Any]:
    """The chat endpoint and request classes, imported once (the per-call hot path)."""
    global _CHAT
    if _CHAT is None:
        from claude_client.generated.api.api import chat_completion
        from claude_client.generated.models.chat_completion_request import ChatCompletionRequest
        from claude_client.generated.models.chat_completion_request_messages_type_1_item import (
            ChatCompletionRequestMessagesType1Item,
        )
        from claude_client.generated.types import UNSET

        _CHAT = (
            chat_completion,
            ChatCompletionRequest,
            ChatCompletionRequestMessagesType1Item,
            UNSET,
        )
    return _CHAT


def build_complete(
    ctx: CallContext,
    *,
    prompt: Optional[str],
    messages: Optional[Sequence[Mapping[str, Any]]],
    model: Optional[str],
    timeout: Optional[float],
    project_id: Optional[str],
    max_tokens: Optional[int],
    working_directory: Optional[str],
    allowed_tools: Optional[Sequence[str]],
    tools: Optional[Sequence[Mapping[str, Any]]],
    tool_choice: Union[str, Mapping[str, Any], None],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
    service_timeout: Optional[float] = None,
) -> Call[Response]:
    """``POST /v1/chat/completions``."""
    msgs = check.chat_messages(prompt, messages)
    model_name = check.model(model, full_ids=True)
    deadline = _deadline(ctx, timeout)
    limit = _chat_limit(deadline, service_timeout)
    project = check.project(project_id)
    if max_tokens is not None:
        check.positive_int(max_tokens, "max_tokens")
    wd = check.opt_text(working_directory, "working_directory")
    allowed = check.str_list(allowed_tools, "allowed_tools")
    tool_list = check.tools(tools)
    choice = check.tool_choice(tool_choice)
    retries = check.retries(max_retries)
    headers = check.extra_headers(extra_headers)
    # (the hot path: no call when the usual None)
    query = None if extra_query is None else check.extra_query(extra_query)
    extra = None if extra_body is None else check.extra_body(extra_body)

    options = ctx._call_options(
        deadline=deadline,
        max_retries=retries,
        extra_headers=headers,
        project_id=project,
        service_limit=limit,
        extra_query=query,
        extra_body=extra,
    )

    endpoint, ChatCompletionRequest, Msg, UNSET = _chat()
    body = ChatCompletionRequest(
        messages=[Msg.from_dict(m) for m in msgs],
        model=model_name if model_name is not None else UNSET,
        timeout=limit.body_value,
    )
    if max_tokens is not None:
        body.max_tokens = max_tokens
    if wd is not None:
        body.working_directory = wd
    if allowed is not None:
        body.allowed_tools = allowed
    if tool_list is not None:
        from claude_client.generated.models.chat_completion_request_tools_type_0_item import (
            ChatCompletionRequestToolsType0Item as Tool,
        )

        body.tools = [Tool.from_dict(t) for t in tool_list]
    if choice is not None:
        if isinstance(choice, str):
            body.tool_choice = choice
        else:
            from claude_client.generated.models.chat_completion_request_tool_choice_type_1 import (
                ChatCompletionRequestToolChoiceType1 as Choice,
            )

            body.tool_choice = Choice.from_dict(choice)
    return Call(
        endpoint,
        {"body": body},
        options,
        parse_response,
        "POST /v1/chat/completions",
        raw_parsed=True,
        project=project if project is not None else ctx.project_id,
    )


def _parse_task(data: Any) -> TaskResult:
    result = parse_task_result(data)
    exc = error_from_task_result(result)
    if exc is not None:
        raise exc
    return result


def task_limit(deadline: float, service_timeout: Optional[float]) -> ServiceLimit:
    """A task's service-side ``timeout`` under ``deadline``: the service waits it + 10 s."""
    cap = check.service_timeout(
        service_timeout, deadline, maximum=TASK_TIMEOUT_MAX, wait_extra=TASK_HTTP_MARGIN
    )
    return ServiceLimit.for_deadline(
        deadline, maximum=TASK_TIMEOUT_MAX, wait_extra=TASK_HTTP_MARGIN, cap=cap, integer=True
    )


def build_task(
    ctx: CallContext,
    *,
    description: str,
    allow_tools: Optional[Sequence[str]],
    allow_agents: Optional[Sequence[str]],
    allow_skills: Optional[Sequence[str]],
    timeout: Optional[float],
    max_cost: float,
    model: Optional[str],
    working_directory: Optional[str],
    project_id: Optional[str],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
    service_timeout: Optional[float] = None,
) -> Call[TaskResult]:
    """``POST /v1/task`` (the task retry policy: see the transport)."""
    text = check.text(description, "description")
    tools = check.str_list(allow_tools, "allow_tools")
    agents = check.str_list(allow_agents, "allow_agents")
    skills = check.str_list(allow_skills, "allow_skills")
    deadline = _deadline(ctx, timeout)
    limit = task_limit(deadline, service_timeout)
    cost = check.max_cost(max_cost)
    model_name = check.model(model, full_ids=True)
    wd = check.opt_text(working_directory, "working_directory")
    project = check.project(project_id)
    options = ctx._call_options(
        deadline=deadline,
        max_retries=check.retries(max_retries),
        extra_headers=check.extra_headers(extra_headers),
        project_id=project,
        task=True,
        service_limit=limit,
        extra_query=check.extra_query(extra_query),
        extra_body=check.extra_body(extra_body),
    )
    from claude_client.generated.api.api import execute_agentic_task
    from claude_client.generated.models.agentic_task_request import AgenticTaskRequest
    from claude_client.generated.types import UNSET

    body = AgenticTaskRequest(
        description=text,
        allow_tools=tools if tools is not None else UNSET,
        allow_agents=agents if agents is not None else UNSET,
        allow_skills=skills if skills is not None else UNSET,
        timeout=int(limit.sent),
        max_cost=cost,
        model=model_name if model_name is not None else UNSET,
    )
    if wd is not None:
        body.working_directory = wd
    effective_project = project if project is not None else ctx.project_id
    if effective_project is not None:
        body.project_id = effective_project
    return Call(execute_agentic_task, {"body": body}, options, _parse_task, "POST /v1/task")


def build_batch(
    ctx: CallContext,
    *,
    prompts: Sequence[Union[str, Mapping[str, Any]]],
    model: Optional[str],
    parallel: bool,
    timeout: Optional[float],
    chunk_size: Optional[int],
    max_concurrency: Optional[int],
    on_progress: Optional[Callable[[int, int], Any]],
    project_id: Optional[str],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
    service_timeout: Optional[float] = None,
) -> tuple[BatchRun, Callable[[Chunk], Call[BatchResponse]]]:
    """``batch()``'s plan (:class:`BatchRun`) and the ``POST /v1/batch`` call of a chunk.

    ``timeout`` is the deadline of the whole ``batch()``; each chunk's per-item
    service limit is derived from what remains of it when the chunk is sent.
    """
    items = check.batch_items(prompts)
    model_name = check.model(model, full_ids=True)
    total = _deadline(ctx, timeout)
    limit = _chat_limit(total, service_timeout)
    size = None if chunk_size is None else check.positive_int(chunk_size, "chunk_size")
    limit_chunks = (
        None if max_concurrency is None else check.positive_int(max_concurrency, "max_concurrency")
    )
    if on_progress is not None and not callable(on_progress):
        raise check.bad("on_progress", "must be callable as on_progress(done, total)")
    project = check.project(project_id)
    headers = check.extra_headers(extra_headers)
    query = check.extra_query(extra_query)
    extra = check.extra_body(extra_body)
    # Closed client or missing key: fail before sending, not per chunk.
    base = ctx._call_options(
        deadline=total,
        max_retries=check.retries(max_retries),
        extra_headers=headers,
        project_id=project,
    )
    retries = base.max_retries
    clock = ctx._clock
    batch_deadline = base.deadline

    governor = governor_for(ctx.base_url, clock)
    run = BatchRun(
        items,
        governor,
        chunk_size=size,
        max_concurrency=limit_chunks if parallel else 1,
        item_timeout=limit.sent,
        retry_refused=retries > 0,
        give_up_after=total,
        clock=clock,
        on_progress=on_progress,
    )
    from claude_client.generated.api.api import batch_processing
    from claude_client.generated.models.batch_prompt import BatchPrompt
    from claude_client.generated.models.batch_request import BatchRequest
    from claude_client.generated.types import UNSET

    def make_call(chunk: Chunk) -> Call[BatchResponse]:
        # The chunk gets what remains of the batch's deadline, and its items a service
        # limit fitted to that (a chunk past the deadline fails with APITimeoutError).
        remaining = batch_deadline.remaining()
        chunk_limit = ServiceLimit.for_deadline(remaining, cap=limit.cap)
        options = CallOptions(
            deadline=Deadline(None if math.isinf(remaining) else remaining, clock=clock),
            max_retries=retries,
            api_key=base.api_key,
            extra_headers=headers,
            retry_overloaded=False,  # the BatchRun paces and resends refused chunks
            extra_query=query,
            extra_body=extra,
            service_limit=chunk_limit,
        )
        body = BatchRequest(
            prompts=[
                BatchPrompt(prompt=it["prompt"], id=it.get("id", UNSET))
                for it in items[chunk.start : chunk.end]
            ],
            model=model_name if model_name is not None else UNSET,
            timeout=chunk_limit.body_value,
        )
        return Call(
            batch_processing, {"body": body}, options, parse_batch_response, "POST /v1/batch"
        )

    return run, make_call


def build_usage(
    ctx: CallContext,
    *,
    period: str,
    project_id: Optional[str],
    timeout: Optional[float],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
) -> Call[UsageStats]:
    """``GET /v1/usage``."""
    name = check.period(period)
    project = check.project(project_id)
    options = ctx._call_options(
        deadline=check.call_timeout(timeout),
        max_retries=check.retries(max_retries),
        extra_headers=check.extra_headers(extra_headers),
        project_id=project,
        extra_query=check.extra_query(extra_query),
        extra_body=check.extra_body(extra_body, method="GET"),
    )
    from claude_client.generated.api.api import get_usage

    return Call(
        get_usage,
        {"period": name},
        options,
        parse_usage,
        "GET /v1/usage",
        project=project if project is not None else ctx.project_id,
    )


def _plain_options(
    ctx: CallContext,
    timeout: Optional[float],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    *,
    key_required: bool,
    project_id: Optional[str] = None,
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
    method: str = "GET",
) -> CallOptions:
    return ctx._call_options(
        deadline=check.call_timeout(timeout),
        max_retries=check.retries(max_retries),
        extra_headers=check.extra_headers(extra_headers),
        project_id=project_id,
        key_required=key_required,
        extra_query=check.extra_query(extra_query),
        extra_body=check.extra_body(extra_body, method=method),
    )


def build_health(
    ctx: CallContext,
    *,
    timeout: Optional[float],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
) -> Call[HealthStatus]:
    """``GET /health`` (no key needed)."""
    options = _plain_options(
        ctx,
        timeout,
        max_retries,
        extra_headers,
        key_required=False,
        extra_query=extra_query,
        extra_body=extra_body,
    )
    from claude_client.generated.api.default import health

    return Call(health, {}, options, parse_health, "GET /health")


def build_ready(
    ctx: CallContext,
    *,
    timeout: Optional[float],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
) -> Call[ReadyStatus]:
    """``GET /ready`` (no key needed)."""
    options = _plain_options(
        ctx,
        timeout,
        max_retries,
        extra_headers,
        key_required=False,
        extra_query=extra_query,
        extra_body=extra_body,
    )
    from claude_client.generated.api.default import ready

    return Call(ready, {}, options, parse_ready, "GET /ready")


def build_capabilities(
    ctx: CallContext,
    *,
    timeout: Optional[float],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
) -> Call[Capabilities]:
    """``GET /v1/capabilities``."""
    options = _plain_options(
        ctx,
        timeout,
        max_retries,
        extra_headers,
        key_required=True,
        extra_query=extra_query,
        extra_body=extra_body,
    )
    from claude_client.generated.api.api import get_capabilities

    return Call(get_capabilities, {}, options, parse_capabilities, "GET /v1/capabilities")


def build_providers(
    ctx: CallContext,
    *,
    timeout: Optional[float],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
) -> Call[list[Provider]]:
    """``GET /v1/providers`` (no key needed)."""
    options = _plain_options(
        ctx,
        timeout,
        max_retries,
        extra_headers,
        key_required=False,
        extra_query=extra_query,
        extra_body=extra_body,
    )
    from claude_client.generated.api.api import list_providers

    return Call(list_providers, {}, options, parse_providers, "GET /v1/providers")


def build_provider_models(
    ctx: CallContext,
    *,
    provider: str,
    timeout: Optional[float],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
) -> Call[ProviderModels]:
    """``GET /v1/providers/{provider}/models`` (no key needed)."""
    name = check.text(provider, "provider").strip()
    options = _plain_options(
        ctx,
        timeout,
        max_retries,
        extra_headers,
        key_required=False,
        extra_query=extra_query,
        extra_body=extra_body,
    )
    from claude_client.generated.api.api import get_provider_models

    return Call(
        get_provider_models,
        {"provider": name},
        options,
        parse_provider_models,
        f"GET /v1/providers/{name}/models",
        raw_parsed=True,
    )


def build_route(
    ctx: CallContext,
    *,
    prompt: str,
    context_size: int,
    project_id: Optional[str],
    timeout: Optional[float],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
) -> Call[RouteRecommendation]:
    """``POST /v1/route``."""
    text = check.text(prompt, "prompt")
    if isinstance(context_size, bool) or not isinstance(context_size, int) or context_size < 0:
        raise check.bad("context_size", f"must be an integer >= 0, got {context_size!r}")
    options = _plain_options(
        ctx,
        timeout,
        max_retries,
        extra_headers,
        key_required=True,
        project_id=check.project(project_id),
        extra_query=extra_query,
        extra_body=extra_body,
        method="POST",
    )
    from claude_client.generated.api.api import route_recommendation
    from claude_client.generated.models.route_request import RouteRequest

    body = RouteRequest(prompt=text, context_size=context_size)
    return Call(route_recommendation, {"body": body}, options, parse_route, "POST /v1/route")


def build_process(
    ctx: CallContext,
    *,
    user_message: Optional[str],
    messages: Optional[Sequence[Mapping[str, Any]]],
    system_message: Optional[str],
    model_name: str,
    provider: str,
    max_tokens: Optional[int],
    temperature: Optional[float],
    tools: Optional[Sequence[Mapping[str, Any]]],
    tool_choice: Union[str, Mapping[str, Any], None],
    use_cli: Optional[bool],
    project_id: Optional[str],
    additional_params: Optional[Mapping[str, Any]],
    timeout: Optional[float],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, QueryValue]] = None,
    extra_body: Optional[Mapping[str, Any]] = None,
) -> Call[ProcessResponse]:
    """``POST /v1/process`` (the ai-services compatible route)."""
    body: dict[str, Any] = {"provider": check.provider(provider)}
    body["model_name"] = check.text(model_name, "model_name")
    if messages is not None:
        body["messages"] = check.messages(messages)
    if user_message is not None:
        body["user_message"] = check.text(user_message, "user_message")
    if not body.get("messages") and "user_message" not in body:
        raise check.bad("user_message", "give user_message= or messages= (the service needs one)")
    if system_message is not None:
        body["system_message"] = check.text(system_message, "system_message")
    if max_tokens is not None:
        body["max_tokens"] = check.positive_int(max_tokens, "max_tokens")
    if temperature is not None:
        t = check.number(temperature, "temperature")
        if not 0 <= t <= 2:
            raise check.bad("temperature", f"must be between 0 and 2, got {temperature!r}")
        body["temperature"] = t
    tool_list = check.tools(tools)
    if tool_list is not None:
        body["tools"] = tool_list
    choice = check.tool_choice(tool_choice)
    if choice is not None:
        body["tool_choice"] = choice
    if use_cli is not None:
        if not isinstance(use_cli, bool):
            raise check.bad("use_cli", "must be True, False or None")
        body["use_cli"] = use_cli
    if additional_params is not None:
        if not isinstance(additional_params, Mapping):
            raise check.bad("additional_params", "must be a dict")
        body["additional_params"] = dict(additional_params)
    project = check.project(project_id)
    effective_project = project if project is not None else ctx.project_id
    if effective_project is not None:
        body["project_id"] = effective_project
    options = _plain_options(
        ctx,
        timeout,
        max_retries,
        extra_headers,
        key_required=True,
        project_id=project,
        extra_query=extra_query,
        extra_body=extra_body,
        method="POST",
    )
    from claude_client.generated.api.api import process_ai_services_compatible
    from claude_client.generated.models.process_request import ProcessRequest

    return Call(
        process_ai_services_compatible,
        {"body": ProcessRequest.from_dict(body)},
        options,
        parse_process,
        "POST /v1/process",
    )
