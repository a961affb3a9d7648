"""The fake service's ASGI application: every route of ``openapi.json`` plus ``/v1/stream``.

``create_app(controls)`` builds a FastAPI app whose behaviour follows
``shared/contract/BEHAVIOUR.md`` and ``STREAMING.md``; ``controls`` (a
:class:`~claude_client.testing._state.FakeControls`) holds its state and the injected
faults. This module only stacks the layers: the REST routes are in ``_rest`` (the task
runner in ``_tasks``, the worker pool in ``_pool``), the WebSocket route and the stall
gate in ``_ws``, the injected REST faults in ``_faults``, what they share in ``_asgi``.

Layers, outermost first: ``_ws.StallMiddleware`` (waits while a socket chat's model
stalls the service), ``_faults.FaultMiddleware`` (the fake's own: records requests,
applies injected REST faults, closes the connection after a crash 500); then, as the
service's Starlette stack: Starlette's ``ServerErrorMiddleware`` (crash -> plain-text
500 without ``X-Request-ID`` or CORS headers), :class:`_CorsMiddleware` (answers
preflights before auth and routing), :class:`_RequestIdMiddleware` (``X-Request-ID``
and ``X-Forgg-CCA-Request-Id`` on every response the app produces), the routes.
"""

import asyncio
from typing import Optional

from fastapi import FastAPI
from fastapi.responses import Response

from ._asgi import ASGIApp, Message, Receive, Scope, Send, request_id_of, sending_request_id
from ._faults import FaultMiddleware
from ._rest import SERVICE_NAME, VERSION, router
from ._state import FakeControls
from ._ws import StallGate, StallMiddleware, add_stream_route

CORS_METHODS = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"


def create_app(controls: FakeControls, shutdown: Optional[asyncio.Event] = None) -> ASGIApp:
    """The fake service as an ASGI app (FastAPI wrapped in the fault middleware).

    ``shutdown`` is set by ``serve()`` when the server stops: hanging requests end and
    open sockets close with 1012. Without it (e.g. under ``httpx2.ASGITransport``) an
    event is created on first use."""
    app = FastAPI(
        title=SERVICE_NAME,
        description="API wrapper around Claude Code CLI for rapid prototyping",
        version=VERSION,
    )
    app.state.controls = controls
    holder: dict[str, asyncio.Event] = {}
    if shutdown is not None:
        holder["event"] = shutdown

    def shutdown_event() -> asyncio.Event:
        if "event" not in holder:
            holder["event"] = asyncio.Event()
        return holder["event"]

    stall = StallGate()
    app.include_router(router)
    app.add_middleware(_RequestIdMiddleware, controls=controls)
    app.add_middleware(_CorsMiddleware)

    add_stream_route(app, controls, shutdown_event, stall)
    return StallMiddleware(FaultMiddleware(app, controls, shutdown_event), stall)


class _RequestIdMiddleware:
    """``X-Request-ID`` (and ``X-Forgg-CCA-Request-Id`` unless turned off) on every
    response the app produces; inside the CORS and crash layers, as in the service."""

    def __init__(self, app: ASGIApp, controls: FakeControls) -> None:
        self.app = app
        self.controls = controls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        alias = bool(self.controls._flags()["request_id_alias"])
        await self.app(scope, receive, sending_request_id(send, request_id, alias))


class _CorsMiddleware:
    """CORS as the service configures it (any origin, credentials allowed; §1): a
    preflight is answered here, before auth and routing; other responses to a request
    with ``Origin`` get the origin echoed and ``Access-Control-Allow-Credentials``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        origin = headers.get(b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            out = [
                (b"access-control-allow-origin", origin),
                (b"access-control-allow-credentials", b"true"),
                (b"access-control-allow-methods", CORS_METHODS.encode()),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
            ]
            requested = headers.get(b"access-control-request-headers")
            if requested is not None:
                out.append((b"access-control-allow-headers", requested))
            response = Response(b"OK", status_code=200, media_type="text/plain")
            response.raw_headers = [*response.raw_headers, *out]
            await response(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if not k.lower().startswith(b"access-control-allow-")
                ]
                kept.append((b"access-control-allow-origin", origin))
                kept.append((b"access-control-allow-credentials", b"true"))
                message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, send_with_cors)
