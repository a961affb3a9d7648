"""What the fake's ASGI layers share: the ASGI types, the deliberate connection drops,
the request id, the recorded (redacted) headers and a sleep that ends at shutdown.

Used by ``_faults`` (the fault middleware), ``_ws`` (the WebSocket session) and ``_app``
(which stacks the layers); it imports none of them.
"""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._errors import ServiceCrash
from ._recording import KEY_RE, REQUEST_ID_ALIAS, redact

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class DropConnection(Exception):
    """Raised inside the app to make uvicorn close the TCP connection without a
    response (HTTP) or without a close frame (WebSocket: the client sees 1006)."""


class ShuttingDown(DropConnection):
    """The server is stopping while a request waits (HTTP: drop; WebSocket: close 1012)."""


class _QuietDrops(logging.Filter):
    """Keep uvicorn from logging a traceback for the drops we cause on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, (DropConnection, ServiceCrash))


_quiet = _QuietDrops()
logging.getLogger("uvicorn.error").addFilter(_quiet)


async def sleep_unless_shutdown(seconds: float, shutdown: asyncio.Event) -> None:
    """Sleep, but wake up when the server shuts down."""
    if seconds <= 0:
        return
    try:
        await asyncio.wait_for(shutdown.wait(), timeout=seconds)
    except TimeoutError:
        return
    raise ShuttingDown("server shutting down")


def recorded_headers(scope: Scope) -> dict[str, str]:
    """The request's headers as recorded: the bearer key and key-looking values redacted."""
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name == "authorization":
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} <redacted>".strip()
        elif KEY_RE.search(value):
            value = str(redact(value))
        out[name] = value
    return out


def sending_request_id(send: Send, request_id: str, alias: bool) -> Send:
    """``send`` that sets ``X-Request-ID`` (and its alias when ``alias``) to ``request_id``
    on the response's start."""
    names = {b"x-request-id", REQUEST_ID_ALIAS.encode()}
    added = [(b"x-request-id", request_id.encode("latin-1"))]
    if alias:
        added.append((REQUEST_ID_ALIAS.encode(), request_id.encode("latin-1")))

    async def send_with_id(message: Message) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message = {**message, "headers": [*kept, *added]}
        await send(message)

    return send_with_id


def request_id_of(scope: Scope) -> str:
    """The request's ``X-Request-ID`` verbatim, else a fresh uuid4 (kept in the scope, so
    the record and the response carry the same value)."""
    if "fake.request_id" not in scope:
        value = None
        for raw_name, raw_value in scope.get("headers", []):
            if raw_name.lower() == b"x-request-id":
                value = raw_value.decode("latin-1")
        scope["fake.request_id"] = value if value is not None else str(uuid.uuid4())
    return str(scope["fake.request_id"])
