"""The fake's injected REST faults (``FakeControls.inject``): the fault middleware, the
responses it answers with, and the connections it closes without a response.

:class:`FaultMiddleware` is the outermost layer of the app (inside the stall gate): it
records every HTTP request, applies the first matching injection, and closes the
connection after a crash 500 as the service's uvicorn does.
"""

import asyncio
import json
import socket
import struct
import time
from collections.abc import Callable, Mapping
from typing import Any, Optional

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from ._asgi import (
    DropConnection,
    Message,
    Receive,
    Scope,
    Send,
    recorded_headers,
    request_id_of,
    sending_request_id,
)
from ._errors import CLI_BREAKER_OPEN, SDK_BREAKER_OPEN, ServiceCrash, categorized
from ._injections import CATEGORY_FOR_STATUS, NGINX_502, Fault, Injection
from ._pool import PoolOverloaded
from ._recording import KEY_RE, RecordedRequest, redact
from ._state import FakeControls

# Paths of the fake's own tooling, never subject to faults.
TOOLING_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


def _key_places(scope: Scope, query: str, body: bytes) -> tuple[str, ...]:
    """Where, besides the Authorization header, a key-looking string was sent."""
    places: list[str] = []
    if KEY_RE.search(query):
        places.append("query")
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        if name != "authorization" and KEY_RE.search(raw_value.decode("latin-1")):
            places.append(f"header {name}")
    if KEY_RE.search(body.decode("utf-8", errors="replace")):
        places.append("body")
    return tuple(places)


def _auth_key(scope: Scope) -> Optional[str]:
    for raw_name, raw_value in scope.get("headers", []):
        if raw_name.lower() == b"authorization":
            value: str = bytes(raw_value).decode("latin-1")
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token:
                return token.strip()
    return None


def _json_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _retry_after(value: Optional[Any]) -> dict[str, str]:
    return {} if value is None else {"Retry-After": str(value)}


def fault_error_response(inj: Injection, default_status: int) -> Response:
    """The response of an ERROR-like injection (also used to refuse a WS upgrade)."""
    status = inj.status or default_status
    headers = dict(inj.headers)
    category = inj.category if inj.category is not None else CATEGORY_FOR_STATUS.get(status)
    if inj.fault is not Fault.ERROR and inj.fault is not Fault.WS_REFUSE:
        category = inj.category
    if category:
        headers["X-Error-Category"] = category
    if inj.retry_after is not None:
        headers["Retry-After"] = str(inj.retry_after)
    if inj.upstream_status is not None:
        headers["X-Upstream-Status"] = str(inj.upstream_status)
    body = inj.body
    if body is None:
        detail = inj.detail or _default_detail(status, category)
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    if isinstance(body, (Mapping, list)):
        return JSONResponse(body, status_code=status, headers=headers)
    raw = body.encode() if isinstance(body, str) else body
    return Response(raw, status_code=status, headers=headers, media_type=inj.content_type)


def _default_detail(status: int, category: Optional[str]) -> str:
    if category:
        return f"Claude API error ({category}): injected by the fake service"
    return f"HTTP {status}: injected by the fake service"


class FaultMiddleware:
    """Records each request, applies injected REST faults, and closes the connection
    after a crash 500 (the service's uvicorn does)."""

    def __init__(
        self, app: FastAPI, controls: FakeControls, shutdown: Callable[[], asyncio.Event]
    ) -> None:
        self.app = app
        self.controls = controls
        self.shutdown = shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        request_id = request_id_of(scope)
        key = _auth_key(scope)
        info = self.controls.key_info(key) if key else None
        try:
            parsed: Any = json.loads(body) if body else None
        except (ValueError, RecursionError):
            parsed = body.decode("utf-8", errors="replace")
        query = scope.get("query_string", b"").decode("latin-1")
        record = RecordedRequest(
            method=method,
            path=path,
            query=str(redact(query)),
            headers=recorded_headers(scope),
            body=redact(parsed),
            request_id=request_id,
            key_suffix=key[-4:] if key else None,
            project_id=info.project_id if info else None,
            time=time.time(),
            key_found_in=_key_places(scope, query, body),
        )
        self.controls._record(record)

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        alias = bool(self.controls._flags()["request_id_alias"])
        # Injected responses carry the request id like the app's own answers.
        send_with_id = sending_request_id(send_recorded, request_id, alias)

        inj = None if path in TOOLING_PATHS else self.controls._take_fault(False, method, path)
        if inj is not None:
            await self._apply(inj, scope, replay, receive, send_with_id)
            return
        try:
            await self.app(scope, replay, send_recorded)
        except ServiceCrash:
            # ServerErrorMiddleware has sent the plain-text 500; then the connection goes.
            transport = getattr(getattr(receive, "__self__", None), "transport", None)
            if transport is not None:
                transport.close()

    async def _apply(
        self, inj: Injection, scope: Scope, replay: Receive, receive: Receive, send: Send
    ) -> None:
        fault = inj.fault
        if fault is Fault.HANG:
            await self._hang(receive)
            return
        if fault is Fault.DISCONNECT:
            await _close_without_response(receive)
            return
        if fault is Fault.TCP_RESET:
            await _close_without_response(receive, rst=True)
            return
        if fault in (Fault.RESET, Fault.TRUNCATED_JSON, Fault.WRONG_SHAPE):
            status, headers, body = await self._capture(scope, replay)
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            if fault is Fault.RESET:
                headers.append((b"content-length", str(len(body)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[: len(body) // 2],
                        "more_body": True,
                    }
                )
                raise DropConnection("reset mid-response")
            if fault is Fault.TRUNCATED_JSON:
                body = body[: max(1, len(body) // 2)]
            else:
                try:
                    value = json.loads(body)
                except ValueError:
                    value = {}
                if isinstance(value, dict):
                    for name in inj.drop:
                        value.pop(name, None)
                    value.update(inj.replace)
                body = _json_dumps(value)
            headers.append((b"content-length", str(len(body)).encode()))
            await send(
                {"type": "http.response.start", "status": inj.status or status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body})
            return
        response: Response
        if fault is Fault.HTML:
            page = inj.body if inj.body is not None else NGINX_502
            raw = page.encode() if isinstance(page, str) else page
            if not isinstance(raw, bytes):
                raw = _json_dumps(raw)
            response = Response(
                raw, status_code=inj.status or 502, media_type="text/html", headers=inj.headers
            )
        elif fault is Fault.NOT_AUTHENTICATED_401:
            response = JSONResponse(
                {"detail": "Not authenticated"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        elif fault is Fault.NOT_AUTHENTICATED_403:
            response = JSONResponse({"detail": "Not authenticated"}, status_code=403)
        elif fault is Fault.POOL_OVERLOADED:
            # As a full pool answers: every worker busy, the queue full.
            stats = self.controls.pool_stats()
            detail = inj.detail or PoolOverloaded(stats.max_workers, stats.max_queue).detail
            response = categorized(503, detail, None, **_retry_after(inj.retry_after))
        elif fault in (Fault.CLI_BREAKER_OPEN, Fault.UPSTREAM_BREAKER_OPEN):
            detail = CLI_BREAKER_OPEN if fault is Fault.CLI_BREAKER_OPEN else SDK_BREAKER_OPEN
            retry_after = inj.retry_after if inj.retry_after is not None else 30
            response = categorized(503, detail, None, **_retry_after(retry_after))
        else:
            response = fault_error_response(inj, 503)
        await response(scope, replay, send)

    async def _capture(
        self, scope: Scope, replay: Receive
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        return status, headers, b"".join(parts)

    async def _hang(self, receive: Receive) -> None:
        """Wait for the client to go away or the server to stop; never answer."""
        disconnected = asyncio.ensure_future(_wait_disconnect(receive))
        stopping = asyncio.ensure_future(self.shutdown().wait())
        try:
            await asyncio.wait({disconnected, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            disconnected.cancel()
            stopping.cancel()
        await _close_without_response(receive)


async def _close_without_response(receive: Receive, *, rst: bool = False) -> None:
    """Close the TCP connection without sending anything.

    ASGI has no message for this; under uvicorn, ``receive`` is a bound method of the
    request cycle, which holds the transport. Elsewhere, fall back to DropConnection
    (uvicorn would then answer 500)."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise DropConnection("close without response")
    if rst:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER on with a 0 s timeout: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()
    # Let the server see the connection as lost, so it does not send its own 500.
    for _ in range(3):
        await asyncio.sleep(0)


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
