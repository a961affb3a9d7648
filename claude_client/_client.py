"""``ClaudeClient`` and ``AsyncClaudeClient``: the facade over the generated client.

Both share :class:`_ClientBase` for configuration, input validation, request
building, response parsing and error mapping; only the I/O differs (the
generated endpoints' ``sync_detailed`` vs ``asyncio_detailed``). A facade call:

1. validates its arguments (bad input raises :class:`InvalidInputError` naming the
   parameter before anything is sent) and picks the key of its project;
2. builds a :class:`~claude_client._transport.CallOptions` (one deadline for the
   whole call, retries, extra headers, key, task policy) and sets it in a context
   variable for the duration of the call;
3. calls the generated endpoint, whose requests go through our retry transport
   (auth, retries, deadline and error mapping happen there, so ``client.generated``
   gets the same behaviour);
4. parses the body into a typed, dict-compatible result (``_models``).

Endpoint modules and generated request models are imported on first use, so
``import claude_client`` costs little more than ``import httpx``.

For the streaming layer (``_streaming``) a client exposes: ``base_url``,
``default_headers``, ``timeout``, ``max_retries``, ``_key_for(project_id)``,
``_handshake_headers()`` (default headers + ``User-Agent`` for a WebSocket
handshake; the stream adds ``Authorization`` from the key) and ``route(prompt)`` to
resolve ``model="auto"``.
"""

from __future__ import annotations

import base64
import importlib
import math
import sys
import time
import urllib.parse
import warnings
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar, Union, cast

import httpx

from ._batch import BatchRun, Chunk, ChunkOutcome, PoolCapacity, PoolGovernor, governor_for
from ._config import (
    ApiKey,
    KeyRing,
    ProxySetting,
    resolve_base_url,
    resolve_max_response_bytes,
    resolve_max_retries,
    resolve_proxy,
    resolve_timeout,
)
from ._errors import GENERATED_ERRORS as _GENERATED_ERRORS
from ._errors import error_for_no_json_status as _no_json_status
from ._errors import error_from_generated, error_from_response, error_from_task_result
from ._exceptions import (
    AuthenticationError,
    ClaudeAPIError,
    ClientClosedError,
    InvalidInputError,
    PermissionError,
)
from ._logging import setup_from_env
from ._models import (
    BatchResponse,
    Capabilities,
    HealthStatus,
    ProcessResponse,
    ReadyStatus,
    Response,
    RouteRecommendation,
    TaskResult,
    UsageStats,
    decode_json,
    parse_batch_response,
    parse_capabilities,
    parse_health,
    parse_process,
    parse_ready,
    parse_response,
    parse_route,
    parse_task_result,
    parse_usage,
    wrap_json,
)
from ._retry import Deadline
from ._transport import _CURRENT, AsyncRetryTransport, CallOptions, RetryTransport

if TYPE_CHECKING:
    from claude_code_api.client import AuthenticatedClient
    from claude_code_api.types import Response as GeneratedResponse

    from ._streaming import (
        AsyncChatStream,
        AsyncTaskStream,
        ChatStream,
        StreamSettings,
        TaskStream,
    )

__all__ = ["AsyncClaudeClient", "ClaudeClient", "ProjectKeyWarning", "unwrap"]

T = TypeVar("T")
S = TypeVar("S")

MODELS = ("haiku", "sonnet", "opus")
PERIODS = ("month", "week", "day")
PROVIDERS = ("anthropic", "claudecode")
MESSAGE_ROLES = ("user", "assistant", "system", "tool")
CHAT_TIMEOUT_MAX = 300.0
TASK_TIMEOUT_MAX = 600.0
MAX_COST_LIMIT = 10.0
TASK_HTTP_MARGIN = 10.0
"""Seconds the HTTP deadline of a task exceeds its service-side ``timeout``."""
HEALTH_READ_TIMEOUT = 5.0
"""Seconds ``batch()`` gives ``GET /health`` to report the pool's capacity."""
SERVICE_TIMEOUT_DEFAULT = 30.0
_PLACEHOLDER_TOKEN = "<managed by claude_client>"
_USER_AGENT = "claude-code-client/0.1.0"


class ProjectKeyWarning(UserWarning):
    """A call named a project the single API key does not belong to (billing goes to the key's)."""


def _chat_margin(service_timeout: float) -> float:
    """How much longer than the service's own limit the client waits for its 504."""
    return min(5.0, 1.0 + 0.1 * service_timeout)


# --------------------------------------------------------------------------- validation


def _bad(param: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{param}: {message}", param=param)


def _text(value: Any, param: str) -> str:
    if not isinstance(value, str):
        raise _bad(param, f"must be a string, not {type(value).__name__}")
    if not value.strip():
        raise _bad(param, "must not be empty")
    return value


def _opt_text(value: Any, param: str) -> Optional[str]:
    return None if value is None else _text(value, param)


def _model(value: Any, param: str = "model") -> Optional[str]:
    """``None`` for auto (the field is omitted so the service routes), else the model name."""
    if value is None:
        return None
    if isinstance(value, str):
        name = value.strip().lower()
        if name == "auto":
            return None
        if name in MODELS:
            return name
    raise _bad(param, f"must be one of auto, haiku, sonnet, opus; got {value!r}")


def _number(value: Any, param: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise _bad(param, f"must be a number, not {type(value).__name__}")
    return float(value)


def _seconds(value: Any, param: str, low: float, high: float) -> float:
    seconds = _number(value, param)
    if not low <= seconds <= high:
        raise _bad(param, f"must be between {low:g} and {high:g} seconds, got {value!r}")
    return seconds


def _call_timeout(value: Any) -> Optional[float]:
    return None if value is None else _call_timeout_named(value, "timeout")


def _call_timeout_named(value: Any, param: str) -> float:
    seconds = _number(value, param)
    if seconds <= 0:
        raise _bad(param, f"must be > 0 seconds, got {value!r}")
    return seconds


def _str_list(value: Any, param: str) -> Optional[list[str]]:
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, set, frozenset)):
        raise _bad(param, f"must be a list of strings (e.g. ['Read']), not {type(value).__name__}")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _bad(param, f"every item must be a non-empty string, got {item!r}")
        out.append(item)
    return out


def _headers(value: Any, param: str = "extra_headers") -> Optional[dict[str, str]]:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _bad(
            param, f"must be a mapping of header names to strings, not {type(value).__name__}"
        )
    out: dict[str, str] = {}
    for name, val in value.items():
        if not isinstance(name, str) or not isinstance(val, str):
            raise _bad(param, "header names and values must be strings")
        if not name or not _TOKEN_CHARS.issuperset(name):
            # The name is shown escaped (ascii()), so a control character is visible.
            raise _bad(param, f"header name {name!a} is not a valid HTTP token")
        if name.lower() == "authorization":
            raise _bad(param, "must not set Authorization: pass api_key= to the client instead")
        if not val.isascii() or any((c < " " and c != "\t") or c == "\x7f" for c in val):
            # Never echo the value: a header may carry a secret.
            raise _bad(
                param,
                f"header {name!r}: the value must be printable ASCII (no line break, NUL "
                "or other control character, no non-ASCII character)",
            )
        out[name] = val
    return out


_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


def _project(value: Any) -> Optional[str]:
    return _opt_text(value, "project_id")


def _retries(value: Any) -> Optional[int]:
    return None if value is None else resolve_max_retries(value)


def _messages(value: Any, param: str = "messages") -> list[dict[str, Any]]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise _bad(
            param, f"must be a list of {{'role', 'content'}} dicts, not {type(value).__name__}"
        )
    out = []
    for i, msg in enumerate(value):
        if not isinstance(msg, Mapping):
            raise _bad(param, f"item {i} must be a dict with 'role' and 'content'")
        role = msg.get("role")
        if role not in MESSAGE_ROLES:
            raise _bad(param, f"item {i} has role {role!r}; use one of {', '.join(MESSAGE_ROLES)}")
        if "content" not in msg and "tool_calls" not in msg:
            raise _bad(param, f"item {i} has no 'content'")
        out.append(dict(msg))
    return out


def _chat_messages(
    prompt: Optional[str], messages: Optional[Sequence[Mapping[str, Any]]]
) -> list[dict[str, Any]]:
    """The conversation to send: ``messages`` (validated) plus ``prompt`` as the last turn."""
    if messages is None:
        return [{"role": "user", "content": _text(prompt, "prompt")}]
    msgs = _messages(messages)
    if prompt is not None:
        msgs.append({"role": "user", "content": _text(prompt, "prompt")})
    if not msgs:
        raise _bad("messages", "must not be empty")
    return msgs


def _routing_prompt(msgs: Sequence[Mapping[str, Any]]) -> str:
    """The text ``POST /v1/route`` judges: the last turn with string content."""
    for message in reversed(msgs):
        content = message.get("content")
        if isinstance(content, str) and content.strip():
            return content
    return "\n".join(str(m.get("content", "")) for m in msgs) or "?"


def _positive_int(value: Any, param: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(param, f"must be an integer >= 1, got {value!r}")
    return value


# --------------------------------------------------------------------------- calls

_ENDPOINTS: dict[str, ModuleType] = {}


def _endpoint(name: str) -> Any:
    module = _ENDPOINTS.get(name)
    if module is None:
        module = importlib.import_module(f"claude_code_api.api.{name}")
        _ENDPOINTS[name] = module
    return module


class _Call(Generic[T]):
    """One request a facade method wants made: endpoint, arguments, options, parser."""

    __slots__ = ("endpoint", "kwargs", "options", "parse", "project", "raw_parsed", "where")

    def __init__(
        self,
        endpoint: str,
        kwargs: dict[str, Any],
        options: CallOptions,
        parse: Callable[[Any], T],
        where: str,
        *,
        raw_parsed: bool = False,
        project: Optional[str] = None,
    ) -> None:
        self.endpoint = endpoint
        self.kwargs = kwargs
        self.options = options
        self.parse = parse
        self.where = where
        self.raw_parsed = raw_parsed  # the generated parser returns the JSON as is
        self.project = project  # the project the caller asked for (warn-once check)


_CHAT_CLASSES: Optional[tuple[Any, Any, Any]] = None


def _chat_classes() -> tuple[Any, Any, Any]:
    """The generated classes a chat request needs, imported once (the per-call hot path)."""
    global _CHAT_CLASSES
    if _CHAT_CLASSES is None:
        from claude_code_api.models.chat_completion_request import ChatCompletionRequest
        from claude_code_api.models.chat_completion_request_messages_type_1_item import (
            ChatCompletionRequestMessagesType1Item,
        )
        from claude_code_api.types import UNSET

        _CHAT_CLASSES = (ChatCompletionRequest, ChatCompletionRequestMessagesType1Item, UNSET)
    return _CHAT_CLASSES


def _parse_task(data: Any) -> TaskResult:
    result = parse_task_result(data)
    exc = error_from_task_result(result)
    if exc is not None:
        raise exc
    return result


def _chunk_fatal(exc: BaseException) -> bool:
    """What ends a whole batch: errors that would fail every chunk alike (raised
    instead of marking items) and anything that is not an error of ours."""
    if isinstance(exc, ClaudeAPIError):
        return isinstance(exc, (AuthenticationError, PermissionError, ClientClosedError))
    return True


_BATCH_POLL = 0.25
"""Seconds a sync batch() waits for an answer at a time (Ctrl-C lands in between)."""


def _proxy_of_transport(transport: Any) -> Optional[str]:
    """The proxy URL an httpx transport sends through, or ``None`` (direct or unknown).

    Read from httpcore's proxy pool (``HTTPProxy`` / ``SOCKSProxy``), credentials
    included, so the WebSocket goes through the same proxy as the user's httpx
    client. A transport of another kind counts as direct.
    """
    pool = getattr(transport, "_pool", None)
    url = getattr(pool, "_proxy_url", None)
    try:
        scheme = url.scheme.decode("ascii")  # type: ignore[union-attr]
        host = url.host.decode("ascii")  # type: ignore[union-attr]
        port = url.port  # type: ignore[union-attr]
    except (AttributeError, UnicodeDecodeError):
        return None
    user_pass: Optional[tuple[str, str]] = None
    auth = getattr(pool, "_proxy_auth", None)  # SOCKS
    if isinstance(auth, tuple) and len(auth) == 2:
        user_pass = (auth[0].decode("latin-1"), auth[1].decode("latin-1"))
    for name, value in getattr(pool, "_proxy_headers", None) or ():  # HTTP(S)
        if name.lower() == b"proxy-authorization" and value.startswith(b"Basic "):
            user, _, password = base64.b64decode(value[6:]).decode("latin-1").partition(":")
            user_pass = (user, password)
    userinfo = ""
    if user_pass is not None:
        quote = urllib.parse.quote
        userinfo = f"{quote(user_pass[0], safe='')}:{quote(user_pass[1], safe='')}@"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{userinfo}{host}" + (f":{port}" if port else "")


def _close_wrappers(http: Any) -> None:
    """Make our transports in a user's httpx client refuse requests (it stays open)."""
    for transport in [http._transport, *http._mounts.values()]:
        core = getattr(transport, "_core", None)
        if core is not None:
            core.closed = True


def unwrap(response: GeneratedResponse[T]) -> T:
    """Turn a generated ``Response[T]`` into ``T``, or raise the SDK's exception.

    Calls made through ``client.generated`` already raise for error statuses (the
    transport maps them); ``unwrap`` also covers responses from other clients, and
    decodes the JSON body of routes whose generated parser returns ``None``.
    """
    status = int(response.status_code)
    if status >= 400:
        raise error_from_response(status, response.headers, response.content)
    unusable = _no_json_status(status, response.headers, f"HTTP {status} response")
    if unusable is not None:
        raise unusable
    parsed = response.parsed
    if parsed is None:
        if not response.content:
            return cast(T, None)
        return cast(T, wrap_json(decode_json(response.content, f"HTTP {status} response")))
    hve = sys.modules.get("claude_code_api.models.http_validation_error")
    if hve is not None and isinstance(parsed, hve.HTTPValidationError):
        raise error_from_response(422, response.headers, response.content)
    return parsed


# --------------------------------------------------------------------------- base


class _ClientBase:
    """Configuration, validation, request building and parsing shared by both clients."""

    _generated: AuthenticatedClient

    def __init__(
        self,
        base_url: Optional[str],
        api_key: Optional[ApiKey],
        timeout: Optional[float],
        max_retries: Optional[int],
        project_id: Optional[str],
        default_headers: Optional[Mapping[str, str]],
        max_response_bytes: Optional[int] = None,
    ) -> None:
        setup_from_env()
        self.base_url = resolve_base_url(base_url)
        self.timeout = resolve_timeout(timeout)
        self.max_retries = resolve_max_retries(max_retries)
        self.max_response_bytes = resolve_max_response_bytes(max_response_bytes)
        self.project_id = _project(project_id)
        self._keys = KeyRing(api_key, default_project=self.project_id)
        headers = _headers(default_headers, "default_headers") or {}
        self._default_headers = headers
        self._closed = False
        self._warned_project = False
        # The proxy the WebSocket uses: the one REST uses for base_url (see _pool).
        self._ws_proxy: Optional[str] = None
        # Open streams, ended by close(); weak, so an abandoned stream is still freed.
        self._streams: weakref.WeakSet[Any] = weakref.WeakSet()

    # ------------------------------------------------------------ shared with _streaming

    @property
    def default_headers(self) -> dict[str, str]:
        """The headers sent with every request (a copy; never includes the key)."""
        return dict(self._default_headers)

    def _key_for(self, project_id: Optional[str] = None, *, required: bool = True) -> Optional[str]:
        """The key of ``project_id`` (``None``: the client's project / single key)."""
        return self._keys.key_for(project_id, required=required)

    def _handshake_headers(self) -> dict[str, str]:
        """Headers for a WebSocket handshake but the key: default headers + ``User-Agent``."""
        headers = dict(self._default_headers)
        headers.setdefault("User-Agent", _USER_AGENT)
        return headers

    def _auth_headers(self, project_id: Optional[str] = None) -> dict[str, str]:
        """Headers for a WebSocket handshake: default headers + ``Authorization``."""
        headers = self._handshake_headers()
        key = self._key_for(project_id)
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    # ------------------------------------------------------------ plumbing

    def __repr__(self) -> str:
        state = ", closed" if self._closed else ""
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, project_id={self.project_id!r}, "
            f"keys={self._keys!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r}{state})"
        )

    def __getstate__(self) -> Any:
        raise TypeError(f"{type(self).__name__} cannot be pickled (it holds a connection pool)")

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError(f"this {type(self).__name__} is closed; create a new one")

    @property
    def generated(self) -> AuthenticatedClient:
        """The generated ``AuthenticatedClient`` bound to this client's pool.

        Its requests get this client's auth, deadline (the client ``timeout``),
        retries, errors and logging. Use ``sync_detailed`` with a
        :class:`ClaudeClient` and ``asyncio_detailed`` with an
        :class:`AsyncClaudeClient`; :func:`claude_client.unwrap` turns the
        ``Response[T]`` into ``T``. :meth:`call` does both and also maps a body the
        generated parser chokes on to :class:`ResponseValidationError`.
        """
        self._check_open()
        return self._generated

    def _pool(
        self,
        http_client: Any,
        transport: Any,
        wrap: Callable[[Any], Any],
        client_cls: Callable[..., Any],
        transport_cls: Callable[..., Any],
        proxy: ProxySetting,
    ) -> Any:
        """Our pool (``client_cls`` over ``wrap(transport)``), or the user's client adopted.

        An adopted client keeps its settings, but its transport and mounts are
        wrapped with ours (auth, retries, errors) and its base URL and headers set;
        the user keeps ownership (``close()`` leaves it open).

        One proxy policy for REST and the WebSocket: our own pool uses
        :func:`~claude_client._config.resolve_proxy` (``proxy=`` or the environment,
        as httpx reads it); with the user's ``http_client`` / ``transport`` REST goes
        where that routes ``base_url`` and the socket follows the same proxy.
        """
        self._owns_http = http_client is None
        if proxy is not None and (http_client is not None or transport is not None):
            mine = "http_client" if http_client is not None else "transport"
            raise _bad(
                "proxy",
                f"cannot be combined with {mine}=: configure the proxy on your {mine} "
                "(the WebSocket follows it)",
            )
        if http_client is None:
            if transport is None:
                self._ws_proxy = resolve_proxy(proxy, self.base_url)
                transport = transport_cls(proxy=self._ws_proxy)
            else:
                self._ws_proxy = _proxy_of_transport(transport)
            return client_cls(
                base_url=self.base_url,
                transport=wrap(transport),
                timeout=self._httpx_timeout(),
                headers=self._base_headers(),
            )
        if transport is None:
            routed = http_client._transport_for_url(httpx.URL(self.base_url))
            self._ws_proxy = _proxy_of_transport(routed)
        else:
            self._ws_proxy = _proxy_of_transport(transport)
        http_client._transport = wrap(transport or http_client._transport)
        for pattern, mounted in list(http_client._mounts.items()):
            if mounted is not None:
                http_client._mounts[pattern] = wrap(mounted)
        http_client.base_url = httpx.URL(self.base_url)
        http_client.headers.update(self._base_headers())
        return http_client

    def _track(self, stream: S) -> S:
        """Remember an open stream so that :meth:`close` ends it."""
        self._streams.add(stream)
        return stream

    def _new_generated(self) -> AuthenticatedClient:
        """The generated client, holding a placeholder token: the transport adds the key."""
        from claude_code_api.client import AuthenticatedClient

        return AuthenticatedClient(base_url=self.base_url, token=_PLACEHOLDER_TOKEN)

    def _httpx_timeout(self) -> httpx.Timeout:
        # Per-attempt limits come from each call's deadline (the transport caps them);
        # only connecting gets its own bound.
        connect = 10.0 if math.isinf(self.timeout) else min(10.0, self.timeout)
        return httpx.Timeout(None, connect=connect)

    def _base_headers(self) -> dict[str, str]:
        headers = {"User-Agent": _USER_AGENT}
        headers.update(self._default_headers)
        return headers

    def _options(
        self,
        *,
        deadline: Optional[float],
        max_retries: Optional[int],
        extra_headers: Optional[dict[str, str]],
        project_id: Optional[str],
        key_required: bool = True,
        task: bool = False,
        service_timeout: Optional[float] = None,
        margin: Optional[float] = None,
    ) -> CallOptions:
        self._check_open()
        if deadline is None:
            deadline = self.timeout
        key = (
            self._keys.key_for(project_id, required=key_required)
            if (key_required or project_id is not None)
            else None
        )
        return CallOptions(
            deadline=Deadline(None if math.isinf(deadline) else deadline, clock=self._clock),
            max_retries=self.max_retries if max_retries is None else max_retries,
            api_key=key,
            extra_headers=extra_headers,
            task=task,
            service_timeout=service_timeout,
            service_timeout_margin=margin,
        )

    _clock: Callable[[], float] = staticmethod(time.monotonic)

    def _finish(self, call: _Call[T], resp: GeneratedResponse[Any]) -> T:
        status = int(resp.status_code)
        if status >= 400:  # only when the pool is not ours; the transport raises first
            raise error_from_response(status, resp.headers, resp.content)
        if status != 200:
            unusable = _no_json_status(status, resp.headers, call.where)
            if unusable is not None:
                raise unusable
        if call.raw_parsed and status == 200 and resp.parsed is not None:
            data = resp.parsed
        else:
            data = decode_json(resp.content, call.where)
        result = call.parse(data)
        if call.project is not None and not self._keys.per_project:
            self._check_project(call.project, data)
        return result

    def _generated_error(self, where: str, exc: Exception) -> ClaudeAPIError:
        """Map what escapes a generated endpoint call (see ``_errors.error_from_generated``)."""
        return error_from_generated(where, exc, closed=self._closed, client=type(self).__name__)

    @staticmethod
    def _endpoint_name(endpoint: Callable[..., Any]) -> str:
        module = getattr(endpoint, "__module__", None) or "generated endpoint"
        return f"{module.rsplit('.', 1)[-1]}.{getattr(endpoint, '__name__', 'call')}"

    def _check_project(self, requested: str, data: Any) -> None:
        got = data.get("project_id") if isinstance(data, Mapping) else None
        if self._warned_project or not isinstance(got, str) or got == requested:
            return
        self._warned_project = True
        warnings.warn(
            f"project_id={requested!r} was requested but the service answered for project "
            f"{got!r}: it bills chat, batch and usage to the project of the API key. To use "
            f"several projects pass one key per project, e.g. "
            f"api_key={{{requested!r}: '<key of {requested}>', {got!r}: '<key of {got}>'}}. "
            "(This warning is shown once per client.)",
            ProjectKeyWarning,
            stacklevel=5,
        )

    # ------------------------------------------------------------ request builders

    def _prep_complete(
        self,
        prompt: Optional[str],
        model: Optional[str],
        timeout: Optional[float],
        project_id: Optional[str],
        messages: Optional[Sequence[Mapping[str, Any]]],
        max_tokens: Optional[int],
        working_directory: Optional[str],
        allowed_tools: Optional[Sequence[str]],
        tools: Optional[Sequence[Mapping[str, Any]]],
        tool_choice: Union[str, Mapping[str, Any], None],
        max_retries: Optional[int],
        extra_headers: Optional[Mapping[str, str]],
    ) -> _Call[Response]:
        msgs = _chat_messages(prompt, messages)
        model_name = _model(model)
        service_timeout = (
            None if timeout is None else _seconds(timeout, "timeout", 1.0, CHAT_TIMEOUT_MAX)
        )
        project = _project(project_id)
        if max_tokens is not None:
            _positive_int(max_tokens, "max_tokens")
        wd = _opt_text(working_directory, "working_directory")
        allowed = _str_list(allowed_tools, "allowed_tools")
        if tools is not None and (
            isinstance(tools, (str, bytes))
            or not isinstance(tools, (list, tuple))
            or not all(isinstance(t, Mapping) for t in tools)
        ):
            raise _bad("tools", "must be a list of tool definition dicts (OpenAI format)")
        if tool_choice is not None and not isinstance(tool_choice, (str, Mapping)):
            raise _bad("tool_choice", "must be a string or a dict")
        retries = _retries(max_retries)
        headers = _headers(extra_headers)

        if service_timeout is not None:
            deadline: float = service_timeout + _chat_margin(service_timeout)
            margin = _chat_margin(service_timeout)
        else:
            deadline = self.timeout
            margin = _chat_margin(min(self.timeout, CHAT_TIMEOUT_MAX))
        options = self._options(
            deadline=deadline,
            max_retries=retries,
            extra_headers=headers,
            project_id=project,
            service_timeout=service_timeout,
            margin=margin,
        )

        ChatCompletionRequest, Msg, UNSET = _chat_classes()
        body = ChatCompletionRequest(
            messages=[Msg.from_dict(m) for m in msgs],
            model=model_name if model_name is not None else UNSET,
            timeout=service_timeout if service_timeout is not None else SERVICE_TIMEOUT_DEFAULT,
        )
        if max_tokens is not None:
            body.max_tokens = max_tokens
        if wd is not None:
            body.working_directory = wd
        if allowed is not None:
            body.allowed_tools = allowed
        if tools is not None:
            from claude_code_api.models.chat_completion_request_tools_type_0_item import (
                ChatCompletionRequestToolsType0Item as Tool,
            )

            body.tools = [Tool.from_dict(t) for t in tools]
        if tool_choice is not None:
            if isinstance(tool_choice, str):
                body.tool_choice = tool_choice
            else:
                from claude_code_api.models.chat_completion_request_tool_choice_type_1 import (
                    ChatCompletionRequestToolChoiceType1 as Choice,
                )

                body.tool_choice = Choice.from_dict(tool_choice)
        return _Call(
            "api.chat_completion",
            {"body": body},
            options,
            parse_response,
            "POST /v1/chat/completions",
            raw_parsed=True,
            project=project if project is not None else self.project_id,
        )

    def _prep_task(
        self,
        description: str,
        allow_tools: Optional[Sequence[str]],
        allow_agents: Optional[Sequence[str]],
        allow_skills: Optional[Sequence[str]],
        timeout: float,
        max_cost: float,
        model: Optional[str],
        working_directory: Optional[str],
        project_id: Optional[str],
        max_retries: Optional[int],
        extra_headers: Optional[Mapping[str, str]],
    ) -> _Call[TaskResult]:
        text = _text(description, "description")
        tools = _str_list(allow_tools, "allow_tools")
        agents = _str_list(allow_agents, "allow_agents")
        skills = _str_list(allow_skills, "allow_skills")
        seconds = _seconds(timeout, "timeout", 1.0, TASK_TIMEOUT_MAX)
        cost = _number(max_cost, "max_cost")
        if not 0 <= cost <= MAX_COST_LIMIT:
            raise _bad(
                "max_cost", f"must be between 0 and {MAX_COST_LIMIT:g} USD, got {max_cost!r}"
            )
        model_name = _model(model)
        wd = _opt_text(working_directory, "working_directory")
        project = _project(project_id)
        options = self._options(
            deadline=math.ceil(seconds) + TASK_HTTP_MARGIN,
            max_retries=_retries(max_retries),
            extra_headers=_headers(extra_headers),
            project_id=project,
            task=True,
        )
        from claude_code_api.models.agentic_task_request import AgenticTaskRequest
        from claude_code_api.types import UNSET

        body = AgenticTaskRequest(
            description=text,
            allow_tools=tools if tools is not None else UNSET,
            allow_agents=agents if agents is not None else UNSET,
            allow_skills=skills if skills is not None else UNSET,
            timeout=math.ceil(seconds),
            max_cost=cost,
            model=model_name if model_name is not None else UNSET,
        )
        if wd is not None:
            body.working_directory = wd
        effective_project = project if project is not None else self.project_id
        if effective_project is not None:
            body.project_id = effective_project
        return _Call(
            "api.execute_agentic_task", {"body": body}, options, _parse_task, "POST /v1/task"
        )

    def _prep_chat_stream(
        self,
        prompt: Optional[str],
        model: Optional[str],
        messages: Optional[Sequence[Mapping[str, Any]]],
        project_id: Optional[str],
        timeout: Optional[float],
        idle_timeout: Optional[float],
    ) -> tuple[StreamSettings, dict[str, Any], Optional[str]]:
        """(settings, stream keyword arguments, prompt to route ``auto`` by or ``None``)."""
        self._check_open()
        msgs = _chat_messages(prompt, messages)
        model_name = _model(model)
        project = _project(project_id)
        settings = self._stream_settings(project, timeout, idle_timeout)
        kwargs: dict[str, Any] = {
            "messages": msgs,
            "model": model_name if model_name is not None else "auto",
            "project_id": project if project is not None else self.project_id,
        }
        return settings, kwargs, _routing_prompt(msgs) if model_name is None else None

    def _prep_task_stream(
        self,
        description: str,
        allow_tools: Optional[Sequence[str]],
        allow_agents: Optional[Sequence[str]],
        allow_skills: Optional[Sequence[str]],
        timeout: float,
        max_cost: float,
        project_id: Optional[str],
        idle_timeout: Optional[float],
    ) -> tuple[StreamSettings, dict[str, Any]]:
        self._check_open()
        seconds = _seconds(timeout, "timeout", 1.0, TASK_TIMEOUT_MAX)
        cost = _number(max_cost, "max_cost")
        if not 0 <= cost <= MAX_COST_LIMIT:
            raise _bad(
                "max_cost", f"must be between 0 and {MAX_COST_LIMIT:g} USD, got {max_cost!r}"
            )
        kwargs: dict[str, Any] = {
            "description": _text(description, "description"),
            "allow_tools": _str_list(allow_tools, "allow_tools") or (),
            "allow_agents": _str_list(allow_agents, "allow_agents") or (),
            "allow_skills": _str_list(allow_skills, "allow_skills") or (),
            "timeout": math.ceil(seconds),
            "max_cost": cost,
        }
        # The stream stretches its own deadline to cover the task's timeout.
        return self._stream_settings(_project(project_id), None, idle_timeout), kwargs

    def _stream_settings(
        self, project: Optional[str], timeout: Optional[float], idle_timeout: Optional[float]
    ) -> StreamSettings:
        from ._streaming import StreamSettings

        options: dict[str, Any] = {}
        if idle_timeout is not None:
            options["idle_timeout"] = _call_timeout_named(idle_timeout, "idle_timeout")
        return StreamSettings.for_client(
            self, project_id=project, timeout=_call_timeout(timeout), **options
        )

    def _prep_batch(
        self,
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
    ) -> tuple[BatchRun, Callable[[Chunk], _Call[BatchResponse]]]:
        if isinstance(prompts, (str, bytes, Mapping)) or not isinstance(prompts, Sequence):
            raise _bad("prompts", "must be a list of strings or {'prompt', 'id'} dicts")
        if not prompts:
            raise _bad("prompts", "must not be empty")
        items: list[dict[str, Any]] = []
        for i, p in enumerate(prompts):
            if isinstance(p, str):
                items.append({"prompt": _text(p, f"prompts[{i}]")})
            elif isinstance(p, Mapping):
                item = {"prompt": _text(p.get("prompt"), f"prompts[{i}]['prompt']")}
                pid = p.get("id")
                if pid is not None:
                    if not isinstance(pid, str):
                        raise _bad(f"prompts[{i}]['id']", "must be a string")
                    item["id"] = pid
                items.append(item)
            else:
                raise _bad(f"prompts[{i}]", f"must be a string or a dict, not {type(p).__name__}")
        model_name = _model(model)
        per_prompt = (
            None if timeout is None else _seconds(timeout, "timeout", 1.0, CHAT_TIMEOUT_MAX)
        )
        size = None if chunk_size is None else _positive_int(chunk_size, "chunk_size")
        limit = (
            None if max_concurrency is None else _positive_int(max_concurrency, "max_concurrency")
        )
        if on_progress is not None and not callable(on_progress):
            raise _bad("on_progress", "must be callable as on_progress(done, total)")
        project = _project(project_id)
        retries = self.max_retries if max_retries is None else resolve_max_retries(max_retries)
        headers = _headers(extra_headers)
        self._check_open()
        key = self._keys.key_for(project)  # fail before sending, not per chunk

        governor = governor_for(self.base_url, self._clock)
        item_timeout = per_prompt or SERVICE_TIMEOUT_DEFAULT
        run = BatchRun(
            items,
            governor,
            chunk_size=size,
            max_concurrency=limit if parallel else 1,
            item_timeout=item_timeout,
            retry_refused=retries > 0,
            give_up_after=self.timeout,
            clock=self._clock,
            on_progress=on_progress,
        )
        from claude_code_api.models.batch_prompt import BatchPrompt
        from claude_code_api.models.batch_request import BatchRequest
        from claude_code_api.types import UNSET

        def make_call(chunk: Chunk) -> _Call[BatchResponse]:
            # The service waits up to item_timeout for each item from the moment its
            # collection reaches it (the first one counting its time in the queue),
            # about ceil(size / max_workers) rounds when all goes well.
            rounds = math.ceil(chunk.size / governor.capacity.max_workers) + 1
            seconds = rounds * item_timeout + TASK_HTTP_MARGIN
            options = CallOptions(
                deadline=Deadline(max(seconds, self.timeout), clock=self._clock)
                if not math.isinf(self.timeout)
                else Deadline(None, clock=self._clock),
                max_retries=retries,
                api_key=key,
                extra_headers=headers,
                retry_overloaded=False,  # the BatchRun paces and resends refused chunks
            )
            body = BatchRequest(
                prompts=[
                    BatchPrompt(prompt=it["prompt"], id=it.get("id", UNSET))
                    for it in items[chunk.start : chunk.end]
                ],
                model=model_name if model_name is not None else UNSET,
            )
            if per_prompt is not None:
                body.timeout = per_prompt
            return _Call(
                "api.batch_processing",
                {"body": body},
                options,
                parse_batch_response,
                "POST /v1/batch",
            )

        return run, make_call

    def _prep_usage(
        self,
        period: str,
        project_id: Optional[str],
        timeout: Optional[float],
        max_retries: Optional[int],
        extra_headers: Optional[Mapping[str, str]],
    ) -> _Call[UsageStats]:
        if period not in PERIODS:
            raise _bad("period", f"must be one of month, week, day; got {period!r}")
        project = _project(project_id)
        options = self._options(
            deadline=_call_timeout(timeout),
            max_retries=_retries(max_retries),
            extra_headers=_headers(extra_headers),
            project_id=project,
        )
        return _Call(
            "api.get_usage",
            {"period": period},
            options,
            parse_usage,
            "GET /v1/usage",
            project=project if project is not None else self.project_id,
        )

    def _prep_simple(
        self,
        endpoint: str,
        where: str,
        parse: Callable[[Any], T],
        timeout: Optional[float],
        max_retries: Optional[int],
        extra_headers: Optional[Mapping[str, str]],
        *,
        key_required: bool,
        kwargs: Optional[dict[str, Any]] = None,
    ) -> _Call[T]:
        options = self._options(
            deadline=_call_timeout(timeout),
            max_retries=_retries(max_retries),
            extra_headers=_headers(extra_headers),
            project_id=None,
            key_required=key_required,
        )
        return _Call(endpoint, kwargs or {}, options, parse, where)

    def _prep_route(
        self,
        prompt: str,
        context_size: int,
        project_id: Optional[str],
        timeout: Optional[float],
        max_retries: Optional[int],
        extra_headers: Optional[Mapping[str, str]],
    ) -> _Call[RouteRecommendation]:
        text = _text(prompt, "prompt")
        if isinstance(context_size, bool) or not isinstance(context_size, int) or context_size < 0:
            raise _bad("context_size", f"must be an integer >= 0, got {context_size!r}")
        options = self._options(
            deadline=_call_timeout(timeout),
            max_retries=_retries(max_retries),
            extra_headers=_headers(extra_headers),
            project_id=_project(project_id),
        )
        from claude_code_api.models.route_request import RouteRequest

        body = RouteRequest(prompt=text, context_size=context_size)
        return _Call(
            "api.route_recommendation", {"body": body}, options, parse_route, "POST /v1/route"
        )

    def _prep_provider_models(
        self,
        provider: str,
        timeout: Optional[float],
        max_retries: Optional[int],
        extra_headers: Optional[Mapping[str, str]],
    ) -> _Call[Any]:
        name = _text(provider, "provider").strip()
        call = self._prep_simple(
            "api.get_provider_models",
            f"GET /v1/providers/{name}/models",
            wrap_json,
            timeout,
            max_retries,
            extra_headers,
            key_required=False,
            kwargs={"provider": name},
        )
        call.raw_parsed = True
        return call

    def _prep_process(
        self,
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
    ) -> _Call[ProcessResponse]:
        body: dict[str, Any] = {}
        if provider not in PROVIDERS:
            raise _bad("provider", f"must be 'anthropic' or 'claudecode', got {provider!r}")
        body["provider"] = provider
        body["model_name"] = _text(model_name, "model_name")
        if messages is not None:
            body["messages"] = _messages(messages)
        if user_message is not None:
            body["user_message"] = _text(user_message, "user_message")
        if not body.get("messages") and "user_message" not in body:
            raise _bad("user_message", "give user_message= or messages= (the service needs one)")
        if system_message is not None:
            body["system_message"] = _text(system_message, "system_message")
        if max_tokens is not None:
            body["max_tokens"] = _positive_int(max_tokens, "max_tokens")
        if temperature is not None:
            t = _number(temperature, "temperature")
            if not 0 <= t <= 2:
                raise _bad("temperature", f"must be between 0 and 2, got {temperature!r}")
            body["temperature"] = t
        if tools is not None:
            if isinstance(tools, (str, bytes)) or not all(isinstance(x, Mapping) for x in tools):
                raise _bad("tools", "must be a list of tool definition dicts")
            body["tools"] = [dict(x) for x in tools]
        if tool_choice is not None:
            if not isinstance(tool_choice, (str, Mapping)):
                raise _bad("tool_choice", "must be a string or a dict")
            body["tool_choice"] = tool_choice if isinstance(tool_choice, str) else dict(tool_choice)
        if use_cli is not None:
            if not isinstance(use_cli, bool):
                raise _bad("use_cli", "must be True, False or None")
            body["use_cli"] = use_cli
        if additional_params is not None:
            if not isinstance(additional_params, Mapping):
                raise _bad("additional_params", "must be a dict")
            body["additional_params"] = dict(additional_params)
        project = _project(project_id)
        effective_project = project if project is not None else self.project_id
        if effective_project is not None:
            body["project_id"] = effective_project
        options = self._options(
            deadline=_call_timeout(timeout),
            max_retries=_retries(max_retries),
            extra_headers=_headers(extra_headers),
            project_id=project,
        )
        from claude_code_api.models.process_request import ProcessRequest

        return _Call(
            "api.process_ai_services_compatible",
            {"body": ProcessRequest.from_dict(body)},
            options,
            parse_process,
            "POST /v1/process",
        )


# --------------------------------------------------------------------------- sync


class ClaudeClient(_ClientBase):
    """Synchronous client of the Claude Code API Service.

    Unset arguments come from ``CLAUDE_API_URL`` (default ``http://localhost:8006``),
    ``CLAUDE_API_KEY`` and ``CLAUDE_TIMEOUT`` (default 300 s). ``api_key`` may be a
    mapping ``{project_id: key}``: a call's ``project_id`` then picks the key (the
    service bills chat, batch and usage to the key's project). ``timeout`` bounds a
    whole call, retries and backoff included; ``max_retries`` (default 2) applies to
    connection errors, 408, 429 rate limits and 5xx (agentic tasks: see
    :meth:`agentic_task`).

    One connection pool serves every call; the client is safe to share between
    threads. Use it as a context manager or call :meth:`close`.

    ``http_client``: your own ``httpx.Client`` (proxies, TLS, limits). Its transport
    (and its mounts) are wrapped with this SDK's retry transport and its
    ``base_url`` is set to ours; you keep ownership: :meth:`close` leaves it open.
    ``transport``: an inner ``httpx.BaseTransport`` to send through instead of
    ``httpx.HTTPTransport()``. ``sleep`` / ``clock``: injectable for tests.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        api_key: Optional[ApiKey] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        project_id: Optional[str] = None,
        *,
        http_client: Optional[httpx.Client] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        transport: Optional[httpx.BaseTransport] = None,
        proxy: ProxySetting = None,
        max_response_bytes: Optional[int] = None,
        sleep: Optional[Callable[[float], None]] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(
            base_url,
            api_key,
            timeout,
            max_retries,
            project_id,
            default_headers,
            max_response_bytes,
        )
        if clock is not None:
            self._clock = clock
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise _bad("http_client", f"must be an httpx.Client, not {type(http_client).__name__}")

        def wrap(inner: Optional[httpx.BaseTransport]) -> RetryTransport:
            return RetryTransport(
                inner,
                keys=self._keys,
                timeout=self.timeout,
                max_retries=self.max_retries,
                sleep=sleep or time.sleep,
                clock=self._clock,
                origin=self.base_url,
                max_response_bytes=self.max_response_bytes,
            )

        self._http = self._pool(
            http_client, transport, wrap, httpx.Client, httpx.HTTPTransport, proxy
        )
        self._generated = self._new_generated().set_httpx_client(self._http)
        self._batch_sleep: Callable[[float], None] = sleep or time.sleep

    def __enter__(self) -> ClaudeClient:
        self._check_open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool and end open streams (a second call does nothing).

        Safe from another thread: a call blocked on the network there ends with
        :class:`ClientClosedError` and nothing is re-sent.
        """
        if self._closed:
            return
        self._closed = True
        for stream in list(self._streams):
            stream.close()
        if self._owns_http:
            self._http.close()
        else:  # the user's pool stays open, but our transports refuse to send
            _close_wrappers(self._http)

    def _execute(self, call: _Call[T]) -> T:
        self._check_open()
        module = _endpoint(call.endpoint)
        token = _CURRENT.set(call.options)
        try:
            resp = module.sync_detailed(client=self._generated, **call.kwargs)
        except ClaudeAPIError:
            raise
        except _GENERATED_ERRORS as exc:
            raise self._generated_error(call.where, exc) from exc
        finally:
            _CURRENT.reset(token)
        return self._finish(call, resp)

    def call(self, endpoint: Callable[..., GeneratedResponse[T]], /, **kwargs: Any) -> T:
        """Call a generated ``sync_detailed`` endpoint on this client and unwrap it.

        For a route the facade does not wrap (yet): same pool, auth, retries and
        errors as the facade's methods, and a 2xx body the generated parser cannot
        read is a :class:`ResponseValidationError`, never a bare ``KeyError``.

        Example::

            from claude_code_api.api.api import get_usage

            usage = client.call(get_usage.sync_detailed, period="week")  # UsageResponse
        """
        self._check_open()
        try:
            response = endpoint(client=self._generated, **kwargs)
        except ClaudeAPIError:
            raise
        except _GENERATED_ERRORS as exc:
            raise self._generated_error(self._endpoint_name(endpoint), exc) from exc
        return unwrap(response)

    # ------------------------------------------------------------ methods

    def complete(
        self,
        prompt: Optional[str] = None,
        model: Optional[str] = "auto",
        timeout: Optional[float] = None,
        *,
        project_id: Optional[str] = None,
        messages: Optional[Sequence[Mapping[str, Any]]] = None,
        max_tokens: Optional[int] = None,
        working_directory: Optional[str] = None,
        allowed_tools: Optional[Sequence[str]] = None,
        tools: Optional[Sequence[Mapping[str, Any]]] = None,
        tool_choice: Union[str, Mapping[str, Any], None] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> Response:
        """One chat completion (``POST /v1/chat/completions``).

        ``model``: auto (the service routes), haiku, sonnet or opus. ``timeout``
        (1..300 s) is sent as the service's own limit of the run; the client waits a
        little longer (so the service's 504 arrives first) and a retry asks the
        service for no more than what remains. ``messages`` gives a conversation
        (``prompt``, if also given, is appended as the last user message).
        Returns :class:`Response` (``id, model, content, usage, cost, project_id``).
        """
        return self._execute(
            self._prep_complete(
                prompt,
                model,
                timeout,
                project_id,
                messages,
                max_tokens,
                working_directory,
                allowed_tools,
                tools,
                tool_choice,
                max_retries,
                extra_headers,
            )
        )

    def agentic_task(
        self,
        description: str,
        allow_tools: Optional[Sequence[str]] = None,
        allow_agents: Optional[Sequence[str]] = None,
        allow_skills: Optional[Sequence[str]] = None,
        timeout: float = 300,
        max_cost: float = 1.0,
        *,
        model: Optional[str] = None,
        working_directory: Optional[str] = None,
        project_id: Optional[str] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> TaskResult:
        """Run an agentic task (``POST /v1/task``); returns the completed :class:`TaskResult`.

        ``timeout`` (1..600 s) and ``max_cost`` (0..10 USD) are the service's limits;
        the client waits ``timeout`` + 10 s. Tasks have side effects, so a request
        that may have reached the service is retried only when the answer proves the
        task never ran (429 rate limit, 503 with ``Retry-After``, connect failure).
        Status ``cost_exceeded`` raises :class:`BudgetExceededError`, ``timeout``
        :class:`TimeoutError`, ``failed`` :class:`TaskFailedError` (or
        ``BudgetExceededError`` for "Insufficient budget"); each carries ``task_result``.
        """
        return self._execute(
            self._prep_task(
                description,
                allow_tools,
                allow_agents,
                allow_skills,
                timeout,
                max_cost,
                model,
                working_directory,
                project_id,
                max_retries,
                extra_headers,
            )
        )

    def stream(
        self,
        prompt: Optional[str] = None,
        model: Optional[str] = "auto",
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
                text = "".join(s)
            print(s.usage.total_tokens, s.cost)

        The socket has no ``auto`` model: ``model="auto"`` is resolved just before
        connecting by asking the service (``POST /v1/route``) for this prompt; nothing
        is cached, since the answer depends on the prompt and the project.
        ``timeout`` bounds connecting plus the whole stream (default: the client's);
        ``idle_timeout`` the gap between two frames (default 60 s). Nothing is sent
        until the first chunk is requested. A socket that closes before the end
        raises :class:`StreamInterruptedError` with ``partial_content``.
        """
        from ._streaming import ChatStream

        settings, kwargs, route_prompt = self._prep_chat_stream(
            prompt, model, messages, project_id, timeout, idle_timeout
        )
        resolve: Optional[Callable[[Optional[float]], str]] = None
        if route_prompt is not None:
            project = kwargs["project_id"]

            def resolve(seconds_left: Optional[float]) -> str:
                return self.route(
                    route_prompt, project_id=project, timeout=seconds_left
                ).recommended_model

        return self._track(ChatStream(settings, resolve_model=resolve, **kwargs))

    def stream_task(
        self,
        description: str,
        allow_tools: Optional[Sequence[str]] = None,
        allow_agents: Optional[Sequence[str]] = None,
        allow_skills: Optional[Sequence[str]] = None,
        timeout: float = 300,
        max_cost: float = 1.0,
        *,
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
        and the project ``"default"`` (STREAMING.md); the key travels inside the
        task message as the protocol requires, and is never logged.
        """
        from ._streaming import TaskStream

        settings, kwargs = self._prep_task_stream(
            description,
            allow_tools,
            allow_agents,
            allow_skills,
            timeout,
            max_cost,
            project_id,
            idle_timeout,
        )
        return self._track(TaskStream(settings, **kwargs))

    def batch(
        self,
        prompts: Sequence[Union[str, Mapping[str, Any]]],
        model: Optional[str] = "auto",
        parallel: bool = True,
        timeout: Optional[float] = None,
        *,
        chunk_size: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        on_progress: Optional[Callable[[int, int], Any]] = None,
        project_id: Optional[str] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
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
        flight; ``parallel=False`` sends one chunk at a time. ``timeout`` (1..300 s,
        default 30) is the service's limit per prompt, which counts a chunk's first
        prompt's time in the queue.

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
        total)`` is called in this thread as chunks finish. Ctrl-C
        (``KeyboardInterrupt``) ends the call at once: nothing more is sent; chunks
        already sent finish on the service.
        """
        run, make_call = self._prep_batch(
            prompts,
            model,
            parallel,
            timeout,
            chunk_size,
            max_concurrency,
            on_progress,
            project_id,
            max_retries,
            extra_headers,
        )
        import queue
        import threading

        answers: queue.SimpleQueue[tuple[Chunk, ChunkOutcome]] = queue.SimpleQueue()

        def send(chunk: Chunk) -> None:
            # Runs on a daemon thread: an interrupted batch() leaves without
            # waiting for it, and it never holds up the interpreter's exit.
            outcome: ChunkOutcome
            try:
                outcome = self._execute(make_call(chunk))
            except BaseException as exc:  # handed to the caller's thread
                outcome = exc
            run.settle(chunk, outcome, self._clock())
            answers.put((chunk, outcome))

        while not run.finished:
            if run.needs_reading():
                self._read_pool(run.governor)
            while (chunk := run.next_chunk()) is not None:
                threading.Thread(
                    target=send, args=(chunk,), name=f"claude-batch-{chunk.start}", daemon=True
                ).start()
            if run.finished:
                break
            if not run.out:
                self._batch_sleep(run.wait_hint())
                continue
            wait = min(run.wait_hint(), _BATCH_POLL) if run.pending else _BATCH_POLL
            try:
                answer = answers.get(timeout=wait)
            except queue.Empty:
                continue
            while True:
                chunk, outcome = answer
                if isinstance(outcome, BaseException) and _chunk_fatal(outcome):
                    raise outcome
                run.record(chunk, outcome)
                try:
                    answer = answers.get_nowait()
                except queue.Empty:
                    break
        return run.merge()

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
        period: str = "month",
        *,
        project_id: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> UsageStats:
        """Usage of the key's project for ``period`` (month, week, day) (``GET /v1/usage``).

        With per-project keys, ``project_id`` selects whose usage is reported.
        """
        return self._execute(
            self._prep_usage(period, project_id, timeout, max_retries, extra_headers)
        )

    def health(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> HealthStatus:
        """``GET /health`` (no key needed): ``status``, ``version``, ``services``."""
        return self._execute(
            self._prep_simple(
                "default.health",
                "GET /health",
                parse_health,
                timeout,
                max_retries,
                extra_headers,
                key_required=False,
            )
        )

    def ready(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> ReadyStatus:
        """``GET /ready`` (no key needed): ``ready`` and ``reason``; truthy when ready."""
        return self._execute(
            self._prep_simple(
                "default.ready",
                "GET /ready",
                parse_ready,
                timeout,
                max_retries,
                extra_headers,
                key_required=False,
            )
        )

    def route(
        self,
        prompt: str,
        context_size: int = 0,
        *,
        project_id: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> RouteRecommendation:
        """The model the service recommends for ``prompt`` (``POST /v1/route``)."""
        return self._execute(
            self._prep_route(prompt, context_size, project_id, timeout, max_retries, extra_headers)
        )

    def capabilities(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> Capabilities:
        """Agents and skills available to tasks (``GET /v1/capabilities``)."""
        return self._execute(
            self._prep_simple(
                "api.get_capabilities",
                "GET /v1/capabilities",
                parse_capabilities,
                timeout,
                max_retries,
                extra_headers,
                key_required=True,
            )
        )

    def providers(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> Any:
        """``GET /v1/providers`` (no key needed); JSON objects come back as :class:`APIObject`."""
        return self._execute(
            self._prep_simple(
                "api.list_providers",
                "GET /v1/providers",
                wrap_json,
                timeout,
                max_retries,
                extra_headers,
                key_required=False,
            )
        )

    def provider_models(
        self,
        provider: str,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> Any:
        """``GET /v1/providers/{provider}/models``; unknown providers raise ``NotFoundError``."""
        return self._execute(
            self._prep_provider_models(provider, timeout, max_retries, extra_headers)
        )

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
    ) -> ProcessResponse:
        """The ai-services compatible route (``POST /v1/process``)."""
        return self._execute(
            self._prep_process(
                user_message,
                messages,
                system_message,
                model_name,
                provider,
                max_tokens,
                temperature,
                tools,
                tool_choice,
                use_cli,
                project_id,
                additional_params,
                timeout,
                max_retries,
                extra_headers,
            )
        )


# --------------------------------------------------------------------------- async


class AsyncClaudeClient(_ClientBase):
    """Asynchronous twin of :class:`ClaudeClient` (same arguments, results and errors).

    Safe to share between asyncio tasks of one event loop. Use ``async with`` or
    ``await client.close()``. ``http_client`` must be an ``httpx.AsyncClient``;
    ``sleep`` is an async callable. Nothing is scheduled on an event loop at
    garbage collection.
    """

    def __init__(
        self,
        base_url: Optional[str] = None,
        api_key: Optional[ApiKey] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        project_id: Optional[str] = None,
        *,
        http_client: Optional[httpx.AsyncClient] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
        proxy: ProxySetting = None,
        max_response_bytes: Optional[int] = None,
        sleep: Optional[Callable[[float], Awaitable[None]]] = None,
        clock: Optional[Callable[[], float]] = None,
    ) -> None:
        super().__init__(
            base_url,
            api_key,
            timeout,
            max_retries,
            project_id,
            default_headers,
            max_response_bytes,
        )
        if clock is not None:
            self._clock = clock
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise _bad(
                "http_client", f"must be an httpx.AsyncClient, not {type(http_client).__name__}"
            )

        def wrap(inner: Optional[httpx.AsyncBaseTransport]) -> AsyncRetryTransport:
            return AsyncRetryTransport(
                inner,
                keys=self._keys,
                timeout=self.timeout,
                max_retries=self.max_retries,
                sleep=sleep,
                clock=self._clock,
                origin=self.base_url,
                max_response_bytes=self.max_response_bytes,
            )

        self._http = self._pool(
            http_client, transport, wrap, httpx.AsyncClient, httpx.AsyncHTTPTransport, proxy
        )
        self._generated = self._new_generated().set_async_httpx_client(self._http)
        if sleep is None:
            import asyncio

            self._batch_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        else:
            self._batch_sleep = sleep

    async def __aenter__(self) -> AsyncClaudeClient:
        self._check_open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection pool and end open streams (a second call does nothing)."""
        if self._closed:
            return
        self._closed = True
        for stream in list(self._streams):
            await stream.aclose()
        if self._owns_http:
            await self._http.aclose()
        else:
            _close_wrappers(self._http)

    aclose = close

    async def _execute(self, call: _Call[T]) -> T:
        self._check_open()
        module = _endpoint(call.endpoint)
        token = _CURRENT.set(call.options)
        try:
            resp = await module.asyncio_detailed(client=self._generated, **call.kwargs)
        except ClaudeAPIError:
            raise
        except _GENERATED_ERRORS as exc:
            raise self._generated_error(call.where, exc) from exc
        finally:
            _CURRENT.reset(token)
        return self._finish(call, resp)

    async def call(
        self, endpoint: Callable[..., Awaitable[GeneratedResponse[T]]], /, **kwargs: Any
    ) -> T:
        """Call a generated ``asyncio_detailed`` endpoint on this client and unwrap it.

        See :meth:`ClaudeClient.call`. Example::

            usage = await client.call(get_usage.asyncio_detailed, period="week")
        """
        self._check_open()
        try:
            response = await endpoint(client=self._generated, **kwargs)
        except ClaudeAPIError:
            raise
        except _GENERATED_ERRORS as exc:
            raise self._generated_error(self._endpoint_name(endpoint), exc) from exc
        return unwrap(response)

    async def complete(
        self,
        prompt: Optional[str] = None,
        model: Optional[str] = "auto",
        timeout: Optional[float] = None,
        *,
        project_id: Optional[str] = None,
        messages: Optional[Sequence[Mapping[str, Any]]] = None,
        max_tokens: Optional[int] = None,
        working_directory: Optional[str] = None,
        allowed_tools: Optional[Sequence[str]] = None,
        tools: Optional[Sequence[Mapping[str, Any]]] = None,
        tool_choice: Union[str, Mapping[str, Any], None] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> Response:
        """See :meth:`ClaudeClient.complete`."""
        return await self._execute(
            self._prep_complete(
                prompt,
                model,
                timeout,
                project_id,
                messages,
                max_tokens,
                working_directory,
                allowed_tools,
                tools,
                tool_choice,
                max_retries,
                extra_headers,
            )
        )

    async def agentic_task(
        self,
        description: str,
        allow_tools: Optional[Sequence[str]] = None,
        allow_agents: Optional[Sequence[str]] = None,
        allow_skills: Optional[Sequence[str]] = None,
        timeout: float = 300,
        max_cost: float = 1.0,
        *,
        model: Optional[str] = None,
        working_directory: Optional[str] = None,
        project_id: Optional[str] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> TaskResult:
        """See :meth:`ClaudeClient.agentic_task`."""
        return await self._execute(
            self._prep_task(
                description,
                allow_tools,
                allow_agents,
                allow_skills,
                timeout,
                max_cost,
                model,
                working_directory,
                project_id,
                max_retries,
                extra_headers,
            )
        )

    def stream(
        self,
        prompt: Optional[str] = None,
        model: Optional[str] = "auto",
        *,
        messages: Optional[Sequence[Mapping[str, Any]]] = None,
        project_id: Optional[str] = None,
        timeout: Optional[float] = None,
        idle_timeout: Optional[float] = None,
    ) -> AsyncChatStream:
        """Stream a chat answer; see :meth:`ClaudeClient.stream`. No ``await`` needed::

        async for chunk in client.stream("Write a story"):
            print(chunk, end="", flush=True)
        """
        from ._streaming import AsyncChatStream

        settings, kwargs, route_prompt = self._prep_chat_stream(
            prompt, model, messages, project_id, timeout, idle_timeout
        )
        resolve: Optional[Callable[[Optional[float]], Awaitable[str]]] = None
        if route_prompt is not None:
            project = kwargs["project_id"]

            async def resolve(seconds_left: Optional[float]) -> str:
                recommendation = await self.route(
                    route_prompt, project_id=project, timeout=seconds_left
                )
                return recommendation.recommended_model

        return self._track(AsyncChatStream(settings, resolve_model=resolve, **kwargs))

    def stream_task(
        self,
        description: str,
        allow_tools: Optional[Sequence[str]] = None,
        allow_agents: Optional[Sequence[str]] = None,
        allow_skills: Optional[Sequence[str]] = None,
        timeout: float = 300,
        max_cost: float = 1.0,
        *,
        project_id: Optional[str] = None,
        idle_timeout: Optional[float] = None,
    ) -> AsyncTaskStream:
        """An agentic task's events over the WebSocket; see :meth:`ClaudeClient.stream_task`::

        async for event in client.stream_task("Count the Python files"):
            print(event)
        """
        from ._streaming import AsyncTaskStream

        settings, kwargs = self._prep_task_stream(
            description,
            allow_tools,
            allow_agents,
            allow_skills,
            timeout,
            max_cost,
            project_id,
            idle_timeout,
        )
        return self._track(AsyncTaskStream(settings, **kwargs))

    async def batch(
        self,
        prompts: Sequence[Union[str, Mapping[str, Any]]],
        model: Optional[str] = "auto",
        parallel: bool = True,
        timeout: Optional[float] = None,
        *,
        chunk_size: Optional[int] = None,
        max_concurrency: Optional[int] = None,
        on_progress: Optional[Callable[[int, int], Any]] = None,
        project_id: Optional[str] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> BatchResponse:
        """See :meth:`ClaudeClient.batch` (chunks run as tasks instead of threads).

        Cancelling the call cancels the chunks in flight (the service still runs
        what it had queued) and sends nothing more.
        """
        run, make_call = self._prep_batch(
            prompts,
            model,
            parallel,
            timeout,
            chunk_size,
            max_concurrency,
            on_progress,
            project_id,
            max_retries,
            extra_headers,
        )
        import asyncio

        async def send(chunk: Chunk) -> ChunkOutcome:
            outcome: ChunkOutcome = asyncio.CancelledError()
            try:
                outcome = await self._execute(make_call(chunk))
            except ClaudeAPIError as exc:
                outcome = exc
            finally:
                run.settle(chunk, outcome, self._clock())
            return outcome

        tasks: dict[asyncio.Future[ChunkOutcome], Chunk] = {}
        try:
            while not run.finished:
                if run.needs_reading():
                    await self._read_pool(run.governor)
                while (chunk := run.next_chunk()) is not None:
                    tasks[asyncio.ensure_future(send(chunk))] = chunk
                if run.finished:
                    break
                if not tasks:
                    await self._batch_sleep(run.wait_hint())
                    continue
                done, _ = await asyncio.wait(
                    tasks,
                    timeout=run.wait_hint() if run.pending else None,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for task in done:
                    chunk = tasks.pop(task)
                    outcome = task.result()  # raises what is not an error of ours
                    if isinstance(outcome, BaseException) and _chunk_fatal(outcome):
                        raise outcome
                    run.record(chunk, outcome)
        finally:
            for task in tasks:
                task.cancel()  # nothing more is awaited; their governor share is released
        return run.merge()

    async def _read_pool(self, governor: PoolGovernor) -> None:
        """See :meth:`ClaudeClient._read_pool`."""
        try:
            health = await self.health(
                timeout=min(HEALTH_READ_TIMEOUT, self.timeout), max_retries=0
            )
            capacity = PoolCapacity.from_health(health.to_dict())
        except ClientClosedError:
            raise
        except Exception:  # advisory: any failure means "assume the documented default"
            capacity = PoolCapacity()
        governor.update(capacity)

    async def get_usage(
        self,
        period: str = "month",
        *,
        project_id: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> UsageStats:
        """See :meth:`ClaudeClient.get_usage`."""
        return await self._execute(
            self._prep_usage(period, project_id, timeout, max_retries, extra_headers)
        )

    async def health(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> HealthStatus:
        """See :meth:`ClaudeClient.health`."""
        return await self._execute(
            self._prep_simple(
                "default.health",
                "GET /health",
                parse_health,
                timeout,
                max_retries,
                extra_headers,
                key_required=False,
            )
        )

    async def ready(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> ReadyStatus:
        """See :meth:`ClaudeClient.ready`."""
        return await self._execute(
            self._prep_simple(
                "default.ready",
                "GET /ready",
                parse_ready,
                timeout,
                max_retries,
                extra_headers,
                key_required=False,
            )
        )

    async def route(
        self,
        prompt: str,
        context_size: int = 0,
        *,
        project_id: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> RouteRecommendation:
        """See :meth:`ClaudeClient.route`."""
        return await self._execute(
            self._prep_route(prompt, context_size, project_id, timeout, max_retries, extra_headers)
        )

    async def capabilities(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> Capabilities:
        """See :meth:`ClaudeClient.capabilities`."""
        return await self._execute(
            self._prep_simple(
                "api.get_capabilities",
                "GET /v1/capabilities",
                parse_capabilities,
                timeout,
                max_retries,
                extra_headers,
                key_required=True,
            )
        )

    async def providers(
        self,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> Any:
        """See :meth:`ClaudeClient.providers`."""
        return await self._execute(
            self._prep_simple(
                "api.list_providers",
                "GET /v1/providers",
                wrap_json,
                timeout,
                max_retries,
                extra_headers,
                key_required=False,
            )
        )

    async def provider_models(
        self,
        provider: str,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
    ) -> Any:
        """See :meth:`ClaudeClient.provider_models`."""
        return await self._execute(
            self._prep_provider_models(provider, timeout, max_retries, extra_headers)
        )

    async def process(
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
    ) -> ProcessResponse:
        """See :meth:`ClaudeClient.process`."""
        return await self._execute(
            self._prep_process(
                user_message,
                messages,
                system_message,
                model_name,
                provider,
                max_tokens,
                temperature,
                tools,
                tool_choice,
                use_cli,
                project_id,
                additional_params,
                timeout,
                max_retries,
                extra_headers,
            )
        )
