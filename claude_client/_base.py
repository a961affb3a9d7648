"""What both clients share: configuration, per-call options, parsing, error mapping.

The clients (``_async/client.py``, and ``_sync/client.py`` generated from it) only
add I/O on top of :class:`ClientBase`. It is the :class:`~claude_client._requests.CallContext`
that request building reads, and it builds the :class:`StreamSettings` of a stream
from plain values (no stream reaches into a client).
"""

from __future__ import annotations

import base64
import math
import sys
import time
import urllib.parse
import warnings
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Optional, TypeVar, cast

import httpx2

from . import _validation as check
from ._config import (
    CONNECT_TIMEOUT,
    USER_AGENT,
    ApiKey,
    KeyRing,
    ProxySetting,
    resolve_base_url,
    resolve_max_response_bytes,
    resolve_max_retries,
    resolve_proxy,
    resolve_timeout,
)
from ._errors import error_for_no_json_status as _no_json_status
from ._errors import error_from_generated, error_from_response, request_url
from ._exceptions import ClaudeAPIError, ClientClosedError
from ._logging import setup_from_env
from ._models import APIObject, decode_json, wrap_json
from ._requests import Call
from ._retry import Deadline
from ._transport import CallOptions, QueryValue, ServiceLimit

if TYPE_CHECKING:
    from claude_client.generated.client import AuthenticatedClient
    from claude_client.generated.types import Response as GeneratedResponse

    from ._streaming import StreamSettings

__all__ = ["ClientBase", "ProjectKeyWarning", "proxy_of_transport", "unwrap"]

T = TypeVar("T")
S = TypeVar("S")

_PLACEHOLDER_TOKEN = "<managed by claude_client>"


class ProjectKeyWarning(UserWarning):
    """A call named a project the single API key does not belong to (billing goes to the key's)."""


def proxy_of_transport(transport: Any) -> Optional[str]:
    """The proxy URL an httpx2 transport sends through, or ``None`` (direct or unknown).

    Read from httpcore2's proxy pool (``HTTPProxy`` / ``SOCKSProxy``), credentials
    included, so the WebSocket goes through the same proxy as the user's httpx2
    client. A transport of another kind counts as direct. (httpx2 has no public
    accessor for this; it is read, never written.)
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


def tls_of_transport(transport: Any) -> Any:
    """The ``ssl.SSLContext`` an httpx2 transport verifies servers with, or ``None``.

    Read from httpcore2's pool (``_ssl_context``; httpx2 has no public accessor), so
    the WebSocket trusts what REST trusts: httpx2's default (``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR``, else the system store) or the user's ``verify=`` context. A
    transport of another kind (a mock, a custom one) gives ``None``: websockets'
    default then. Read, never written.
    """
    import ssl  # loaded already: httpx2 built the transport's context

    context = getattr(getattr(transport, "_pool", None), "_ssl_context", None)
    return context if isinstance(context, ssl.SSLContext) else None


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
    hve = sys.modules.get("claude_client.generated.models.http_validation_error")
    if hve is not None and isinstance(parsed, hve.HTTPValidationError):
        raise error_from_response(422, response.headers, response.content)
    return parsed


_PACKAGE_DIR = __file__.rsplit("_base.py", 1)[0]


def _outside_package_stacklevel() -> int:
    """``warnings.warn``'s stacklevel for the first frame outside ``claude_client`` (the
    caller's line), however many of our frames (telemetry's, for one) are in between."""
    level = 2
    frame = sys._getframe(2)  # the caller of the function that warns (its stacklevel 2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level


class ClientBase:
    """Configuration, per-call options, parsing and error mapping of both clients."""

    _generated: AuthenticatedClient

    def __init__(
        self,
        *,
        base_url: Optional[str],
        api_key: Optional[ApiKey],
        timeout: Optional[float],
        max_retries: Optional[int],
        project_id: Optional[str],
        default_headers: Optional[Mapping[str, str]],
        max_response_bytes: Optional[int],
        clock: Optional[Callable[[], float]],
    ) -> None:
        setup_from_env()
        self.base_url = resolve_base_url(base_url)
        self.timeout = resolve_timeout(timeout)
        self.max_retries = resolve_max_retries(max_retries)
        self.max_response_bytes = resolve_max_response_bytes(max_response_bytes)
        self.project_id = check.project(project_id)
        self._keys = KeyRing(api_key, default_project=self.project_id)
        self._default_headers = check.extra_headers(default_headers, "default_headers") or {}
        self._clock: Callable[[], float] = clock if clock is not None else time.monotonic
        # clock and sleep for streams, set by the concrete client (its own kind of sleep)
        self._stream_timing: dict[str, Any] = {"clock": self._clock}
        self._closed = False
        self._warned_project = False
        # The proxy the WebSocket uses: the one REST uses for base_url (_pick_ws_proxy).
        self._ws_proxy: Optional[str] = None
        # The TLS context wss:// uses: the one REST verifies with (_pick_ws_tls).
        self._ws_tls: Any = None
        # Open streams, ended by close(); weak, so an abandoned stream is still freed.
        self._streams: weakref.WeakSet[Any] = weakref.WeakSet()
        # with_options(): the client whose pool a view shares, and this client's views.
        self._parent: Optional[ClientBase] = None
        self._views: weakref.WeakSet[Any] = weakref.WeakSet()

    def _init_view(
        self,
        parent: ClientBase,
        *,
        base_url: Optional[str],
        api_key: Optional[ApiKey],
        timeout: Optional[float],
        max_retries: Optional[int],
        default_headers: Optional[Mapping[str, str]],
        project_id: Optional[str],
    ) -> None:
        """Configure this new client as a view of ``parent`` (``with_options``): its
        settings, the given ones replacing the parent's (``default_headers`` merged)."""
        # Everything the parent has (so a setting added later is not forgotten here),
        # then what differs; the concrete client then connects to the parent's pool.
        vars(self).update(vars(parent))
        self.base_url = parent.base_url if base_url is None else resolve_base_url(base_url)
        self.timeout = parent.timeout if timeout is None else resolve_timeout(timeout)
        self.max_retries = (
            parent.max_retries if max_retries is None else resolve_max_retries(max_retries)
        )
        self.max_response_bytes = parent.max_response_bytes
        self.project_id = parent.project_id if project_id is None else check.project(project_id)
        if api_key is not None:
            self._keys = KeyRing(api_key, default_project=self.project_id)
        else:
            self._keys = parent._keys.with_default_project(self.project_id)
        self._default_headers = {
            **parent._default_headers,
            **(check.extra_headers(default_headers, "default_headers") or {}),
        }
        self._clock = parent._clock
        self._stream_timing = dict(parent._stream_timing)
        self._closed = False
        self._warned_project = False
        self._ws_proxy = parent._ws_proxy
        self._ws_tls = parent._ws_tls
        self._streams = weakref.WeakSet()
        self._parent = parent
        self._views = weakref.WeakSet()
        parent._views.add(self)

    # ------------------------------------------------------------ read by streams and tests

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
        headers.setdefault("User-Agent", USER_AGENT)
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
        """Whether :meth:`close` was called (on this client, or on the one a
        ``with_options`` view shares its pool with)."""
        return self._closed or (self._parent is not None and self._parent.closed)

    def _check_open(self) -> None:
        if self._closed or (self._parent is not None and self._parent.closed):
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

    def _pick_ws_proxy(
        self, http_client: Any, transport: Any, proxy: ProxySetting
    ) -> Optional[str]:
        """One proxy policy for REST and the WebSocket; returns the socket's proxy.

        Our own pool uses :func:`~claude_client._config.resolve_proxy` (``proxy=`` or
        the environment, as httpx2 reads it); with the user's ``http_client`` /
        ``transport`` REST goes where that routes ``base_url`` and the socket
        follows the same proxy.
        """
        if proxy is not None and (http_client is not None or transport is not None):
            mine = "http_client" if http_client is not None else "transport"
            raise check.bad(
                "proxy",
                f"cannot be combined with {mine}=: configure the proxy on your {mine} "
                "(the WebSocket follows it)",
            )
        if transport is not None:
            return proxy_of_transport(transport)
        if http_client is not None:
            return proxy_of_transport(http_client._transport_for_url(httpx2.URL(self.base_url)))
        return resolve_proxy(proxy, self.base_url)

    def _pick_ws_tls(self, http_client: Any, inner: Any) -> Any:
        """The TLS context REST uses for ``base_url``, for the WebSocket (see
        :func:`tls_of_transport`): the user's ``http_client`` / ``transport`` or our pool's."""
        if http_client is not None:
            inner = http_client._transport_for_url(httpx2.URL(self.base_url))
        return tls_of_transport(inner)

    def _http_settings(self, http_client: Any) -> dict[str, Any]:
        """``base_url``, ``timeout`` and ``headers`` of the httpx2 client we build.

        With the user's ``http_client`` its headers and timeout carry over (its
        requests go through it, see ``_io``), ours added on top.
        """
        headers = httpx2.Headers(http_client.headers if http_client is not None else None)
        headers["User-Agent"] = USER_AGENT
        headers.update(self._default_headers)
        if http_client is not None:
            timeout = http_client.timeout
        else:
            # Per-attempt limits come from each call's deadline (the transport caps
            # them); only connecting gets its own bound.
            connect = (
                CONNECT_TIMEOUT if math.isinf(self.timeout) else min(CONNECT_TIMEOUT, self.timeout)
            )
            timeout = httpx2.Timeout(None, connect=connect)
        return {"base_url": self.base_url, "timeout": timeout, "headers": headers}

    def _track(self, stream: S) -> S:
        """Remember an open stream so that ``close()`` ends it."""
        self._streams.add(stream)
        stream._otel = getattr(self, "_otel", None)  # type: ignore[attr-defined]  # a StreamCore
        return stream

    def _new_generated(self) -> AuthenticatedClient:
        """The generated client, holding a placeholder token: the transport adds the key."""
        from claude_client.generated.client import AuthenticatedClient

        return AuthenticatedClient(base_url=self.base_url, token=_PLACEHOLDER_TOKEN)

    # ------------------------------------------------------------ CallContext

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
        self._check_open()
        if deadline is None:
            deadline = self.timeout
        key = (
            self._keys.source_for(project_id, required=key_required)
            if (key_required or project_id is not None)
            else None
        )
        return CallOptions(
            deadline=Deadline(None if math.isinf(deadline) else deadline, clock=self._clock),
            max_retries=self.max_retries if max_retries is None else max_retries,
            api_key=key,
            extra_headers=extra_headers,
            task=task,
            service_limit=service_limit,
            extra_query=extra_query,
            extra_body=extra_body,
        )

    def _extras_options(
        self,
        extra_headers: Optional[Mapping[str, str]],
        extra_query: Optional[Mapping[str, QueryValue]],
        extra_body: Optional[Mapping[str, Any]],
    ) -> Optional[CallOptions]:
        """``call()``'s options when it was given extras (``None``: the defaults apply)."""
        if extra_headers is None and extra_query is None and extra_body is None:
            return None
        return self._call_options(
            deadline=None,
            max_retries=None,
            extra_headers=check.extra_headers(extra_headers),
            project_id=None,
            key_required=False,
            extra_query=check.extra_query(extra_query),
            extra_body=check.extra_body(extra_body),
        )

    # ------------------------------------------------------------ answers

    def _finish(self, call: Call[T], resp: GeneratedResponse[Any]) -> T:
        status = int(resp.status_code)
        try:
            if status >= 400:  # only when the pool is not ours; the transport raises first
                method, url = self._request_of(call.where)
                raise error_from_response(
                    status, resp.headers, resp.content, method=method, url=url
                )
            if status != 200:
                unusable = _no_json_status(status, resp.headers, call.where)
                if unusable is not None:
                    raise unusable
            if call.raw_parsed and status == 200 and resp.parsed is not None:
                data = resp.parsed
            else:
                data = decode_json(resp.content, call.where)
            result = call.parse(data)
        except ClaudeAPIError as exc:
            # A body the SDK cannot use, a task that ended "failed": name the request too.
            if exc.url is None:
                exc.method, exc.url = self._request_of(call.where)
            raise
        if isinstance(result, APIObject):
            result._headers = resp.headers  # .request_id / .http_headers
        if call.project is not None and not self._keys.per_project:
            self._check_project(call.project, data)
        return result

    def _generated_error(self, where: str, exc: Exception) -> ClaudeAPIError:
        """Map what escapes a generated endpoint call (see ``_errors.error_from_generated``)."""
        err = error_from_generated(where, exc, closed=self._closed, client=type(self).__name__)
        if where.partition(" ")[2].startswith("/") and err.url is None:  # a facade route
            err.method, err.url = self._request_of(where)
        return err

    def _request_of(self, where: str) -> tuple[str, str]:
        """Method and URL (no secrets) of a facade route ``"POST /v1/..."``, for errors.

        Worked out only when an error needs them: a successful call pays nothing.
        """
        method, _, path = where.partition(" ")
        return method, request_url(self.base_url.rstrip("/") + path)

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
            stacklevel=_outside_package_stacklevel(),
        )

    # ------------------------------------------------------------ streams

    def _stream_settings(
        self, project: Optional[str], timeout: Optional[float], idle_timeout: Optional[float]
    ) -> StreamSettings:
        """The settings of one stream, from this client's plain values."""
        from ._streaming import StreamSettings

        options: dict[str, Any] = {}
        if idle_timeout is not None:
            options["idle_timeout"] = check.call_timeout(idle_timeout, "idle_timeout")
        seconds = check.call_timeout(timeout)
        # A key provider travels as is: the stream calls it for each connection.
        key = self._keys.source_for(project, required=False)
        return StreamSettings(
            ws_url=_ws_url(self.base_url),
            headers=self._handshake_headers(),
            keys=KeyRing(key, default_project=None) if key else None,
            timeout=self.timeout if seconds is None else seconds,
            max_retries=self.max_retries,
            max_response_bytes=self.max_response_bytes,
            proxy=self._ws_proxy,
            **self._stream_timing,
            **options,
        )

    def _chat_stream_args(
        self,
        *,
        prompt: Optional[str],
        model: Optional[str],
        messages: Optional[Sequence[Mapping[str, Any]]],
        project_id: Optional[str],
        timeout: Optional[float],
        idle_timeout: Optional[float],
    ) -> tuple[StreamSettings, dict[str, Any], Optional[str]]:
        """(settings, stream keyword arguments, prompt to route ``auto`` by or ``None``)."""
        self._check_open()
        msgs = check.chat_messages(prompt, messages)
        model_name = check.model(model)
        project = check.project(project_id)
        settings = self._stream_settings(project, timeout, idle_timeout)
        kwargs: dict[str, Any] = {
            "messages": msgs,
            "model": model_name if model_name is not None else "auto",
            "project_id": project if project is not None else self.project_id,
        }
        return settings, kwargs, check.routing_prompt(msgs) if model_name is None else None

    def _task_stream_args(
        self,
        *,
        description: str,
        allow_tools: Optional[Sequence[str]],
        allow_agents: Optional[Sequence[str]],
        allow_skills: Optional[Sequence[str]],
        timeout: Optional[float],
        max_cost: float,
        project_id: Optional[str],
        idle_timeout: Optional[float],
        service_timeout: Optional[float] = None,
    ) -> tuple[StreamSettings, dict[str, Any]]:
        """(settings, stream keyword arguments) of an agentic task over the socket.

        ``timeout`` is the stream's deadline; the task's own ``timeout`` is derived
        from it as for :meth:`agentic_task` (README "Timeouts").
        """
        from ._requests import task_limit

        self._check_open()
        settings = self._stream_settings(check.project(project_id), timeout, idle_timeout)
        deadline = settings.timeout if settings.timeout is not None else math.inf
        limit = task_limit(deadline, service_timeout)
        cost = check.max_cost(max_cost)
        kwargs: dict[str, Any] = {
            "description": check.text(description, "description"),
            "allow_tools": check.str_list(allow_tools, "allow_tools") or (),
            "allow_agents": check.str_list(allow_agents, "allow_agents") or (),
            "allow_skills": check.str_list(allow_skills, "allow_skills") or (),
            "timeout": int(limit.sent),
            "max_cost": cost,
        }
        return settings, kwargs


def _ws_url(base_url: str) -> str:
    from ._streaming import ws_url_from_base

    return ws_url_from_base(base_url)
