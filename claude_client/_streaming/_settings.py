"""What a stream needs from its client, as plain values: :class:`StreamSettings`.

The socket URL (:func:`ws_url_from_base`), the handshake headers (with the key made
on demand by :class:`HandshakeHeaders`, never held as a plain string), the limits,
the proxy, and the ``sleep`` / ``clock`` hooks (a client's own, the ones its REST
retries use). No I/O, no ``websockets`` import.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from .._config import DEFAULT_MAX_RESPONSE_BYTES, KeyRing
from .._errors import STREAM_PATH
from .._exceptions import APIConnectionError, InvalidInputError

__all__ = ["HandshakeHeaders", "StreamSettings", "ws_url_from_base"]


def ws_url_from_base(base_url: str) -> str:
    """The ``/v1/stream`` URL of a service whose REST base URL is ``base_url``.

    ``http`` becomes ``ws`` and ``https`` becomes ``wss``; a path prefix (a service
    mounted under ``/claude``) is kept. Credentials, query and fragment of the base
    URL are dropped: the key travels in the ``Authorization`` header, never in the URL.

    >>> ws_url_from_base("https://api.example.com/claude/")
    'wss://api.example.com/claude/v1/stream'
    """
    parts = urllib.parse.urlsplit(base_url.strip())
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise InvalidInputError(
            f"base_url must be an http(s) URL with a host, got {base_url!r}", param="base_url"
        )
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = parts.path.rstrip("/") + STREAM_PATH
    return urllib.parse.urlunsplit((scheme, netloc, path, "", ""))


@functools.cache
def _websockets_major() -> int:
    from importlib.metadata import version

    major = version("websockets").split(".")[0]
    return int(major) if major.isdigit() else 0


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class _RedactedStr(str):
    """A header value whose ``repr`` hides it (tracebacks rendered with locals use repr)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<redacted>'"


class HandshakeHeaders(Mapping[str, str]):
    """The handshake's extra headers, ``Authorization`` made from the key ring on demand.

    What ``websockets`` is handed instead of a list of pairs, so that no frame of
    ours (nor an argument of theirs) holds ``Bearer <key>`` as a plain string, and
    ``repr`` shows the header names only.
    """

    __slots__ = ("_headers", "_keys")

    def __init__(self, headers: Mapping[str, str], keys: Optional[KeyRing]) -> None:
        self._headers = {k: v for k, v in headers.items() if k.lower() != "user-agent"}
        self._keys = keys if keys is not None and keys.has_key else None

    def __getitem__(self, name: str) -> str:
        if name == "Authorization" and self._keys is not None:
            return _RedactedStr(f"Bearer {self._keys.default_key()}")
        return self._headers[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._headers
        if self._keys is not None:
            yield "Authorization"

    def __len__(self) -> int:
        return len(self._headers) + (self._keys is not None)

    def __repr__(self) -> str:
        return f"<HandshakeHeaders {list(self)!r}>"


def _client_timing(client: Any, options: dict[str, Any]) -> None:
    """Put a client's ``clock`` and ``sleep`` hooks into stream ``options`` (unless set).

    A coroutine function (or an object whose ``__call__`` is one) is an async
    client's ``sleep``; anything else a sync one's.
    """
    clock = getattr(client, "_clock", None)
    if clock is not None:
        options.setdefault("clock", clock)
    sleep = getattr(client, "_batch_sleep", None)
    if sleep is None:
        return
    is_async = inspect.iscoroutinefunction(sleep) or inspect.iscoroutinefunction(
        getattr(sleep, "__call__", None)  # noqa: B004 - an object with an async __call__
    )
    options.setdefault("async_sleep" if is_async else "sleep", sleep)


def _key_ring(api_key: Optional[str]) -> Optional[KeyRing]:
    """``api_key`` in the redacting holder the REST side uses (``None`` without a key)."""
    return KeyRing(api_key, default_project=None) if api_key else None


@dataclass(frozen=True)
class StreamSettings:
    """Everything a stream needs from its client, as plain values.

    Attributes:
        ws_url: the socket URL (see :func:`ws_url_from_base`).
        headers: the client's default headers and ``User-Agent``, sent on the
            handshake (without ``Authorization``: that comes from ``keys``).
        keys: the API key, in the :class:`~claude_client._config.KeyRing` that hides it
            from ``repr`` and refuses pickling. It becomes the handshake's
            ``Authorization`` header and the ``api_key`` of agentic-task messages (the
            protocol requires it there); it is never logged.
        timeout: seconds for everything: connecting (with retries) plus the whole
            stream. ``None`` for no overall limit.
        idle_timeout: longest silence allowed between two frames (and between the
            request and the first frame). ``None`` for no limit.
        connect_timeout: cap on one connection attempt (TCP + TLS + upgrade).
        max_retries: further connection attempts after a retryable failure. Once a
            frame has arrived nothing is retried.
        close_timeout: how long closing waits for the service's close frame; never
            past the call's deadline (then :data:`CLOSE_GRACE` at most).
        max_response_bytes: the largest frame accepted (after decompression), and the
            most text a chat stream accumulates; the client's ``max_response_bytes``.
        proxy: the proxy URL to connect through, or ``None`` for a direct connection
            (the client's: the one its REST calls use). Never shown by ``repr``.
        ssl_context: the ``ssl.SSLContext`` a ``wss://`` connection verifies the
            service with (the client's: the one its REST calls use, so both trust the
            same certificates); ``None``: websockets' default
            (``ssl.create_default_context()``).
        sleep / async_sleep: used between connection attempts; ``clock``: what the
            call's deadline is measured on. The client's own ``sleep`` / ``clock``
            (the hooks its REST retries use) when built by :meth:`for_client`.
    """

    ws_url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    keys: Optional[KeyRing] = field(default=None, repr=False)
    timeout: Optional[float] = 600.0
    idle_timeout: Optional[float] = 60.0
    connect_timeout: float = 10.0
    max_retries: int = 2
    close_timeout: float = 2.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    proxy: Optional[str] = field(default=None, repr=False)
    ssl_context: Any = field(default=None, repr=False, compare=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(
        default=_asyncio_sleep, repr=False, compare=False
    )
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise InvalidInputError("max_retries must be >= 0", param="max_retries")
        limit = self.max_response_bytes
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInputError(
                f"max_response_bytes must be a positive integer, got {limit!r}",
                param="max_response_bytes",
            )
        for name in ("timeout", "idle_timeout"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise InvalidInputError(f"{name} must be positive or None", param=name)
            if value is not None and math.isinf(value):  # the facade's "no deadline"
                object.__setattr__(self, name, None)
        for name in ("connect_timeout", "close_timeout"):
            if not getattr(self, name) > 0:
                raise InvalidInputError(f"{name} must be positive", param=name)

    @classmethod
    def from_client(
        cls,
        *,
        base_url: str,
        api_key: Optional[str],
        default_headers: Optional[Mapping[str, str]] = None,
        **options: Any,
    ) -> StreamSettings:
        """Settings from what a client knows: base URL, key, default headers, options.

        ``options`` are the other fields (``timeout``, ``idle_timeout``, ``max_retries``,
        ``proxy`` ...; without ``proxy``, the environment's, as a client would choose it).
        The handshake carries ``Authorization: Bearer <key>`` when there is a key (an
        ``Authorization`` among ``default_headers`` is dropped then).
        """
        headers = dict(default_headers or {})
        if api_key:
            for name in [n for n in headers if n.lower() == "authorization"]:
                del headers[name]
        if "proxy" not in options:  # the client's default policy: the environment's proxy
            from .._config import environment_proxy

            options["proxy"] = environment_proxy(base_url)
        return cls(
            ws_url=ws_url_from_base(base_url), headers=headers, keys=_key_ring(api_key), **options
        )

    @classmethod
    def for_client(
        cls,
        client: Any,
        *,
        project_id: Optional[str] = None,
        timeout: Optional[float] = None,
        **options: Any,
    ) -> StreamSettings:
        """Settings for a ``ClaudeClient`` / ``AsyncClaudeClient`` (duck-typed, no import).

        Reads ``client.base_url``, ``client._handshake_headers()`` (default headers
        and ``User-Agent``), ``client._key_for(project_id, required=False)``,
        ``client.timeout`` (overridden by a per-call ``timeout``),
        ``client.max_retries`` and ``client.max_response_bytes`` (when it has one),
        and the test hooks REST uses, ``client._clock`` and the client's ``sleep``
        (``client._batch_sleep``), unless ``options`` name them. ``options`` set the
        other fields.
        """
        _client_timing(client, options)
        options.setdefault("max_retries", client.max_retries)
        options.setdefault("max_response_bytes", client.max_response_bytes)
        options.setdefault("proxy", client._ws_proxy)
        options.setdefault("ssl_context", getattr(client, "_ws_tls", None))
        return cls(
            ws_url=ws_url_from_base(str(client.base_url)),
            headers=client._handshake_headers(),
            keys=_key_ring(client._key_for(project_id, required=False)),
            timeout=client.timeout if timeout is None else timeout,
            **options,
        )

    @property
    def api_key(self) -> Optional[str]:
        """The key itself (``None`` without one): only ever put into a request."""
        return self.keys.default_key() if self.keys is not None else None

    def with_timeout(self, timeout: Optional[float]) -> StreamSettings:
        """A copy with another overall ``timeout`` (a per-call override)."""
        return replace(self, timeout=timeout)

    def connect_options(self) -> dict[str, Any]:
        """``connect()`` keywords: the proxy decision is ours, never websockets' own
        reading of the environment (which differs from httpx2's, so REST and the socket
        took different routes). websockets < 15 has no proxy support at all. A
        ``wss://`` URL gets :attr:`ssl_context` (REST's trust decision) when known
        (websockets >= 14: its sync client called the keyword ``ssl_context`` before)."""
        major = _websockets_major()
        options: dict[str, Any] = {}
        if self.ssl_context is not None and self.ws_url.startswith("wss://") and major >= 14:
            options["ssl"] = self.ssl_context
        if major >= 15:
            return {**options, "proxy": self.proxy}
        if self.proxy is not None:
            raise APIConnectionError(
                "a proxy is configured but the installed websockets (< 15) cannot use one "
                "for the WebSocket: upgrade websockets to >= 15"
            )
        return options

    def pinned_key_headers(self) -> Optional[HandshakeHeaders]:
        """With a key provider: one connection's handshake headers, its key asked once
        (``None`` for a fixed key: :meth:`handshake_headers` serve every attempt)."""
        if self.keys is None or not self.keys.has_provider:
            return None
        return HandshakeHeaders(self.headers, self.keys.pinned())

    def handshake_headers(self) -> tuple[HandshakeHeaders, Optional[str]]:
        """(headers for ``additional_headers``, ``User-Agent`` value or ``None``)."""
        user_agent: Optional[str] = None
        for name, value in self.headers.items():
            if name.lower() == "user-agent":
                user_agent = value
        return HandshakeHeaders(self.headers, self.keys), user_agent
