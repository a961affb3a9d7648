"""Faults injected into the fake service (``FakeControls.inject``): what each
:class:`Fault` does, the armed :class:`Injection`, and the controls that arm and consume
them. The middleware that applies REST faults is ``_faults``; the WebSocket session
(``_ws``) applies the ``WS_*`` ones.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Optional, Union

# Status -> X-Error-Category of a backend failure (BEHAVIOUR.md table).
CATEGORY_FOR_STATUS: dict[int, str] = {
    429: "rate_limited",
    503: "overloaded",
    502: "upstream_error",
    504: "timeout",
    400: "bad_request",
    500: "internal_error",
}

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class Fault(StrEnum):
    """What an injection does to the next matching request(s). See ``FakeControls.inject``.

    REST (matched by ``path`` / ``method``; ``path=None`` matches every route):

    ``ERROR``
        An error response: ``status`` (default 503), JSON ``{"detail": detail}`` or the
        raw ``body`` with ``content_type``; headers ``X-Error-Category`` (derived from the
        status like the service, or ``category``), ``Retry-After``, ``X-Upstream-Status``
        when given. Any status works, including non-IANA 520/529 and 200.
    ``HTML``
        An nginx-style ``text/html`` error page (default status 502) as a proxy sends.
    ``RESET``
        Sends the status line and headers (200, a ``Content-Length`` of the real size)
        and part of the body, then closes the TCP connection (client sees a protocol
        error / incomplete read).
    ``DISCONNECT``
        Reads the request, then closes the connection without sending a byte (httpx2:
        ``RemoteProtocolError: Server disconnected without sending a response``).
    ``TCP_RESET``
        Reads the request, then aborts the connection with a TCP RST (httpx2:
        ``ReadError``, connection reset by peer).
    ``HANG``
        Accepts the request and never answers; ends when the client disconnects or the
        server shuts down (then the connection is closed without a response).
    ``TRUNCATED_JSON``
        200 ``application/json`` whose body is the real answer cut in half (a complete
        HTTP response, invalid JSON).
    ``WRONG_SHAPE``
        200 with the real answer reshaped: keys in ``drop`` removed (default
        ``("content",)``) and ``replace`` applied (default ``{"usage": "n/a"}``).
    ``NOT_AUTHENTICATED_401`` / ``NOT_AUTHENTICATED_403``
        ``{"detail": "Not authenticated"}`` with 401 + ``WWW-Authenticate: Bearer``
        (current FastAPI) or 403 without it (older deployments).
    ``POOL_OVERLOADED``
        503 ``Worker pool overloaded: ...``.
    ``CLI_BREAKER_OPEN`` / ``UPSTREAM_BREAKER_OPEN``
        503 ``CLI circuit breaker open — too many recent failures`` (or ``Upstream API
        ...``) with ``Retry-After: 30`` (the service sends these on ``/v1/process``).

    WebSocket ``/v1/stream`` (each chat / agentic message is one request; ``after`` counts
    the frames sent before the fault strikes):

    ``WS_ERROR_FRAME``
        Answers with one ``{"type": "error", "error": detail}`` frame (default
        ``Streaming error: simulated failure``) after ``after`` token frames; the socket
        stays usable.
    ``WS_DROP``
        After ``after`` frames drops the TCP connection without a close frame (1006).
    ``WS_SILENT``
        After ``after`` frames stops sending but keeps the socket open (idle timeouts).
    ``WS_CLOSE_1001``
        After ``after`` frames closes with code 1001 "Server shutting down".
    ``WS_NO_TOKENS``
        The service's known defect: a ``done`` frame with usage and no ``token`` frames.
    ``WS_REFUSE``
        Refuses the upgrade itself with an HTTP ``status`` (default 503; JSON ``detail``,
        ``Retry-After`` when given). Consumed at the handshake, not per message.
    """

    ERROR = "error"
    HTML = "html"
    RESET = "reset"
    DISCONNECT = "disconnect"
    TCP_RESET = "tcp_reset"
    HANG = "hang"
    TRUNCATED_JSON = "truncated_json"
    WRONG_SHAPE = "wrong_shape"
    NOT_AUTHENTICATED_401 = "not_authenticated_401"
    NOT_AUTHENTICATED_403 = "not_authenticated_403"
    POOL_OVERLOADED = "pool_overloaded"
    CLI_BREAKER_OPEN = "cli_breaker_open"
    UPSTREAM_BREAKER_OPEN = "upstream_breaker_open"
    WS_ERROR_FRAME = "ws_error_frame"
    WS_DROP = "ws_drop"
    WS_SILENT = "ws_silent"
    WS_CLOSE_1001 = "ws_close_1001"
    WS_NO_TOKENS = "ws_no_tokens"
    WS_REFUSE = "ws_refuse"

    @property
    def is_websocket(self) -> bool:
        return self.value.startswith("ws_")


@dataclass
class Injection:
    """One armed fault. ``remaining`` counts down (``None`` = forever); ``hits`` counts up."""

    fault: Fault
    remaining: Optional[int] = 1
    path: Optional[str] = None
    method: Optional[str] = None
    status: Optional[int] = None
    detail: Optional[str] = None
    category: Optional[str] = None
    retry_after: Optional[Union[int, float, str]] = None
    upstream_status: Optional[int] = None
    body: Optional[Union[str, bytes, Mapping[str, Any], list[Any]]] = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0
    drop: tuple[str, ...] = ("content",)
    replace: dict[str, Any] = field(default_factory=lambda: {"usage": "n/a"})
    skip: int = 0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.path is not None and self.path != path:
            return False
        return self.method is None or self.method.upper() == method.upper()


class FaultControls:
    """The controls of injected faults: ``inject``, ``fail_next``, ``drop_stream_after``,
    ``clear_faults``, ``injections``."""

    _lock: threading.RLock

    def _init_faults(self) -> None:
        self._injections: list[Injection] = []

    def inject(
        self,
        fault: Union[Fault, str],
        *,
        times: Optional[int] = 1,
        path: Optional[str] = None,
        method: Optional[str] = None,
        status: Optional[int] = None,
        detail: Optional[str] = None,
        category: Optional[str] = None,
        retry_after: Optional[Union[int, float, str]] = None,
        upstream_status: Optional[int] = None,
        body: Optional[Union[str, bytes, Mapping[str, Any], list[Any]]] = None,
        content_type: str = "application/json",
        headers: Optional[Mapping[str, str]] = None,
        after: int = 0,
        drop: tuple[str, ...] = ("content",),
        replace: Optional[Mapping[str, Any]] = None,
        skip: int = 0,
    ) -> Injection:
        """Arm ``fault`` (a :class:`Fault`) for the next ``times`` matching requests
        (``None`` = until ``clear_faults``/``reset``). Injections are consulted in the
        order they were armed; the first match is used and counted down. Returns the
        :class:`Injection`, whose ``hits`` tells how many requests it struck.

        ``path``/``method`` restrict REST faults (exact path such as
        ``"/v1/chat/completions"``); WebSocket faults (``WS_*``) apply to ``/v1/stream``.
        ``skip``: let that many matching requests through first (e.g. the 3rd call
        fails). The other arguments parametrise the fault (see :class:`Fault`)."""
        fault = Fault(fault)
        inj = Injection(
            fault=fault,
            remaining=times,
            path=path,
            method=method,
            status=status,
            detail=detail,
            category=category,
            retry_after=retry_after,
            upstream_status=upstream_status,
            body=body,
            content_type=content_type,
            headers=dict(headers or {}),
            after=after,
            drop=tuple(drop),
            replace=dict(replace) if replace is not None else {"usage": "n/a"},
            skip=skip,
        )
        with self._lock:
            self._injections.append(inj)
        return inj

    def fail_next(
        self,
        n: Optional[int] = 1,
        status: int = 503,
        retry_after: Optional[Union[int, float, str]] = None,
        category: Optional[str] = None,
        detail: Optional[str] = None,
        path: Optional[str] = None,
        body: Optional[Union[str, bytes, Mapping[str, Any], list[Any]]] = None,
        content_type: str = "application/json",
        *,
        upstream_status: Optional[int] = None,
        method: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> Injection:
        """The next ``n`` REST requests (matching ``path``) fail with ``status``
        (``n=None``: every request until ``clear_faults()``/``reset()``).

        Default body ``{"detail": "<service-like message>"}``; ``X-Error-Category`` is
        ``category`` or, when omitted, the service's category for the status (429
        rate_limited, 503 overloaded, 502 upstream_error, 504 timeout, 400 bad_request,
        500 internal_error; none for others such as 520/529). ``category=""`` sends no
        category header. ``retry_after`` (seconds or an HTTP date) -> ``Retry-After``;
        ``upstream_status`` -> ``X-Upstream-Status``; ``body`` (str/bytes/JSON) and
        ``content_type`` replace the body, e.g. an HTML page with ``"text/html"``."""
        return self.inject(
            Fault.ERROR,
            times=n,
            path=path,
            method=method,
            status=status,
            detail=detail,
            category=category,
            retry_after=retry_after,
            upstream_status=upstream_status,
            body=body,
            content_type=content_type,
            headers=headers,
        )

    def drop_stream_after(self, chunks: int, times: int = 1) -> Injection:
        """The next ``times`` streamed requests send ``chunks`` token frames, then the TCP
        connection drops without a close frame (the client sees 1006)."""
        return self.inject(Fault.WS_DROP, after=chunks, times=times)

    def clear_faults(self) -> None:
        with self._lock:
            self._injections.clear()

    @property
    def injections(self) -> list[Injection]:
        with self._lock:
            return list(self._injections)

    def _take_fault(
        self, websocket: bool, method: str, path: str, handshake: bool = False
    ) -> Optional[Injection]:
        with self._lock:
            for inj in self._injections:
                if inj.fault.is_websocket != websocket:
                    continue
                if websocket and (inj.fault is Fault.WS_REFUSE) != handshake:
                    continue
                if not websocket and not inj.matches(method, path):
                    continue
                if inj.skip > 0:
                    inj.skip -= 1
                    continue
                inj.hits += 1
                if inj.remaining is not None:
                    inj.remaining -= 1
                    if inj.remaining <= 0:
                        self._injections.remove(inj)
                return copy.copy(inj)
        return None
