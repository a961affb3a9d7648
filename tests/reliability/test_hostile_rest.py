"""Hostile and broken servers, REST side (issue 11, rows 1 3 4 5 6 7 8 10 13).

Each test runs the SDK against a real server on 127.0.0.1: :class:`ScriptServer`
(HTTP/1.1 over a raw socket, scripted per request, keep-alive, recording each
request's head and the client port it came from), the fake service, or a small
recording proxy. Fork tests use a real ``os.fork()``. Rows 2, 9, 11, 12, 14 and 15
(the WebSocket and batch side) are tested elsewhere.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import gc
import gzip
import json
import os
import socket
import threading
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, Optional

import httpx2
import pytest
from reliability_kit import WATCH, assert_sdk_error

import claude_client
from claude_client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClaudeClient,
    ClaudeClient,
    ClientClosedError,
    InvalidInputError,
    NotFoundError,
    ResponseValidationError,
    ServerError,
    _config,
)
from claude_client.testing import FakeService, Fault

MARGIN = 3.0  # seconds past a deadline a call may take on a loaded 2-core box
MiB = 1024 * 1024
CHAT_OK = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "claude-3-5-haiku-20241022",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    "project_id": "default",
}

HEALTH = {"status": "healthy", "version": "1.0.0", "services": {}}

Handler = Callable[[socket.socket, "Request"], bool]


class Request:
    """One request as the server read it."""

    def __init__(self, head: bytes, body: bytes, port: int) -> None:
        self.head = head
        self.body = body
        self.port = port  # the client's port: one per TCP connection
        self.line = head.split(b"\r\n", 1)[0].decode("latin-1")
        self.headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (
                line.decode("latin-1").partition(":") for line in head.split(b"\r\n")[1:]
            )
        }


def response(status: str, body: bytes = b"", headers: str = "", *, length: bool = True) -> bytes:
    extra = f"content-length: {len(body)}\r\n" if length else ""
    return f"HTTP/1.1 {status}\r\n{headers}{extra}\r\n".encode() + body


def json_response(data: Any, status: str = "200 OK") -> bytes:
    return response(status, json.dumps(data).encode(), "content-type: application/json\r\n")


class ScriptServer:
    """HTTP/1.1 on 127.0.0.1 (port 0): ``handler(conn, request)`` answers each request
    and returns whether the connection stays open for the next one. Records every
    request; ``closed`` counts connections the client closed."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.closed = 0
        self.arrived = threading.Event()
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn, _ = self._sock.accept()
            except builtins.TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._conns.append(conn)
                self._threads.append(thread)
            thread.start()

    def _read_request(self, conn: socket.socket, buf: bytearray) -> Optional[Request]:
        while b"\r\n\r\n" not in buf:
            chunk = self._recv(conn)
            if not chunk:
                return None
            buf += chunk
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        buf[:] = rest
        request = Request(head, b"", conn.getpeername()[1])
        length = int(request.headers.get("content-length", "0") or 0)
        while len(buf) < length:
            chunk = self._recv(conn)
            if not chunk:
                return None
            buf += chunk
        request.body = bytes(buf[:length])
        del buf[:length]
        return request

    def _recv(self, conn: socket.socket) -> bytes:
        conn.settimeout(0.05)
        while not self.stop_event.is_set():
            try:
                return conn.recv(65536)
            except builtins.TimeoutError:
                continue
            except OSError:
                return b""
        return b""

    def _serve(self, conn: socket.socket) -> None:
        buf = bytearray()
        try:
            while not self.stop_event.is_set():
                request = self._read_request(conn, buf)
                if request is None:
                    if not self.stop_event.is_set():
                        with self._lock:
                            self.closed += 1
                    return
                with self._lock:
                    self.requests.append(request)
                self.arrived.set()
                if not self.handler(conn, request):
                    self.stop_event.wait()
                    return
        except OSError:
            return
        finally:
            conn.close()

    def stop(self) -> None:
        self.stop_event.set()
        self._sock.close()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(5)

    def __enter__(self) -> ScriptServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def send(data: bytes, *, keep_alive: bool = True) -> Handler:
    def handler(conn: socket.socket, request: Request) -> bool:
        conn.sendall(data)
        return keep_alive

    return handler


def silent(conn: socket.socket, request: Request) -> bool:
    return True  # never answers; keeps reading, so a client closing the socket is seen


def run(mode: str, make: Callable[[Any], Any], **client_kwargs: Any) -> Any:
    """Call ``make(client)`` on a sync client, or await it on an async one."""
    if mode == "sync":
        with ClaudeClient(**client_kwargs) as client:
            return make(client)

    async def main() -> Any:
        async with AsyncClaudeClient(**client_kwargs) as client:
            return await make(client)

    return asyncio.run(main())


def outcome(mode: str, make: Callable[[Any], Any], **client_kwargs: Any) -> BaseException:
    try:
        run(mode, make, **client_kwargs)
    except Exception as exc:
        assert_sdk_error(exc)
        WATCH.check(exc)
        return exc
    raise AssertionError("the call succeeded")


@pytest.fixture
def key(fake: FakeService) -> str:
    return fake.api_key


MODES = ["sync", "async"]


# --------------------------------------------------------------------------- row 1


@pytest.mark.parametrize(
    "status",
    ["301 Moved Permanently", "302 Found", "307 Temporary Redirect", "308 Permanent Redirect"],
)
@pytest.mark.parametrize("mode", MODES)
def test_followed_redirect_to_another_origin_never_carries_the_key(
    mode: str, status: str, key: str
) -> None:
    with ScriptServer(send(json_response(CHAT_OK))) as elsewhere:
        target = f"{elsewhere.url}/v1/chat/completions"
        redirect = response(status, headers=f"location: {target}\r\n")
        with ScriptServer(send(redirect)) as origin:

            def call(client: Any) -> Any:
                return client.complete("hi", model="haiku")

            if mode == "sync":
                with httpx2.Client(follow_redirects=True) as http:
                    result = run(mode, call, base_url=origin.url, api_key=key, http_client=http)
            else:

                async def main() -> Any:
                    http = httpx2.AsyncClient(follow_redirects=True)
                    async with (
                        http,
                        AsyncClaudeClient(
                            base_url=origin.url, api_key=key, http_client=http
                        ) as client,
                    ):
                        return await call(client)

                result = asyncio.run(main())
            assert result.content == "hi"  # the other origin's answer, as httpx followed
            assert origin.requests[0].headers["authorization"] == f"Bearer {key}"
            assert elsewhere.requests, "the redirect was not followed"
            for request in elsewhere.requests:
                assert "authorization" not in request.headers
                assert key.encode() not in request.head + request.body


@pytest.mark.parametrize("mode", MODES)
def test_absolute_url_to_another_origin_gets_no_key(mode: str, key: str) -> None:
    with ScriptServer(send(json_response(HEALTH))) as other:
        if mode == "sync":
            with ClaudeClient(base_url="http://127.0.0.1:9", api_key=key) as client:
                client.generated.get_httpx_client().get(f"{other.url}/health")
        else:

            async def main() -> None:
                async with AsyncClaudeClient(base_url="http://127.0.0.1:9", api_key=key) as c:
                    await c.generated.get_async_httpx_client().get(f"{other.url}/health")

            asyncio.run(main())
        assert "authorization" not in other.requests[0].headers


@pytest.mark.parametrize("mode", MODES)
def test_unfollowed_redirect_names_status_and_location(mode: str, key: str) -> None:
    location = "https://somewhere.else.invalid/v1/usage"
    with ScriptServer(
        send(response("307 Temporary Redirect", headers=f"location: {location}\r\n"))
    ) as srv:
        exc = outcome(mode, lambda c: c.get_usage(), base_url=srv.url, api_key=key)
    assert isinstance(exc, ResponseValidationError) and exc.status_code == 307
    assert location in str(exc) and "307" in str(exc)
    assert len(srv.requests) == 1


# --------------------------------------------------------------------------- row 3


TRICKLE_BODY = b'{"status": "healthy", "pad": "' + b"x" * 100_000


def trickle(conn: socket.socket, request: Request) -> bool:
    """Headers at once, then the body one byte every 50 ms (each read well in time)."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(TRICKLE_BODY) + 2}\r\n\r\n".encode()
    )
    for i in range(len(TRICKLE_BODY)):
        time.sleep(0.05)
        try:
            conn.sendall(TRICKLE_BODY[i : i + 1])
        except OSError:
            return False
    return False


ROUTES: dict[str, tuple[Callable[[Any], Any], float]] = {
    # name: (call, the deadline it runs under)
    "health": (lambda c: c.health(timeout=1.5), 1.5),
    "ready": (lambda c: c.ready(timeout=1.5), 1.5),
    "get_usage": (lambda c: c.get_usage(timeout=1.5), 1.5),
    "route": (lambda c: c.route("hi", timeout=1.5), 1.5),
    "capabilities": (lambda c: c.capabilities(timeout=1.5), 1.5),
    "providers": (lambda c: c.providers(timeout=1.5), 1.5),
    "provider_models": (lambda c: c.provider_models("anthropic", timeout=1.5), 1.5),
    "process": (lambda c: c.process("hi", timeout=1.5), 1.5),
    "complete": (lambda c: c.complete("hi", model="haiku", timeout=1), 2.1),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("mode", MODES)
def test_trickling_body_cannot_stretch_the_call(mode: str, route: str, key: str) -> None:
    call, deadline = ROUTES[route]
    with ScriptServer(trickle) as srv:
        started = time.monotonic()
        exc = outcome(mode, call, base_url=srv.url, api_key=key, max_retries=0)
        elapsed = time.monotonic() - started
    assert isinstance(exc, APITimeoutError), repr(exc)
    assert elapsed < deadline + MARGIN, elapsed


@pytest.mark.parametrize("mode", MODES)
def test_trickling_body_cannot_stretch_the_routing_call_of_an_auto_stream(
    mode: str, key: str
) -> None:
    """``stream(model="auto")`` asks ``POST /v1/route`` first: REST, same deadline."""
    with ScriptServer(trickle) as srv:
        started = time.monotonic()
        if mode == "sync":

            def call(client: Any) -> Any:
                with client.stream("hi", timeout=1.5) as stream:
                    return "".join(stream)

        else:

            async def call(client: Any) -> Any:
                async with client.stream("hi", timeout=1.5) as stream:
                    return "".join([c async for c in stream])

        exc = outcome(mode, call, base_url=srv.url, api_key=key, max_retries=0)
        elapsed = time.monotonic() - started
    assert isinstance(exc, APITimeoutError), repr(exc)
    assert elapsed < 1.5 + MARGIN, elapsed
    assert [r.line.split()[1] for r in srv.requests] == ["/v1/route"]


def test_trickling_headers_cannot_stretch_the_call(key: str) -> None:
    def slow_headers(conn: socket.socket, request: Request) -> bool:
        for byte in b"HTTP/1.1 200 OK\r\nx-pad: " + b"y" * 10_000:
            time.sleep(0.05)
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return False
        return False

    with ScriptServer(slow_headers) as srv:
        started = time.monotonic()
        exc = outcome("sync", lambda c: c.health(timeout=1.5), base_url=srv.url, api_key=key)
        assert isinstance(exc, APITimeoutError)
        assert time.monotonic() - started < 1.5 + MARGIN


# --------------------------------------------------------------------------- row 4 and 6


def _gzip_zeros(size: int) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """~200 KiB of gzip that inflates to 200 MiB."""
    return _gzip_zeros(200 * MiB)


def _peak(call: Callable[[], BaseException]) -> tuple[BaseException, int]:
    gc.collect()
    tracemalloc.start()
    try:
        exc = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return exc, peak


@pytest.mark.parametrize("mode", MODES)
def test_decompression_bomb_stops_at_the_default_cap(mode: str, key: str, bomb: bytes) -> None:
    headers = "content-type: application/json\r\ncontent-encoding: gzip\r\n"
    with ScriptServer(send(response("200 OK", bomb, headers))) as srv:
        exc, peak = _peak(
            lambda: outcome(mode, lambda c: c.health(), base_url=srv.url, api_key=key)
        )
    assert isinstance(exc, ResponseValidationError), repr(exc)
    assert "max_response_bytes" in str(exc) and exc.status_code == 200
    assert peak < _config.DEFAULT_MAX_RESPONSE_BYTES + 8 * MiB, peak / MiB
    assert len(srv.requests) == 1  # not retried


@pytest.mark.parametrize("mode", MODES)
def test_endless_body_stops_at_a_configured_cap(mode: str, key: str) -> None:
    def endless(conn: socket.socket, request: Request) -> bool:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
        with contextlib.suppress(OSError):
            while not srv.stop_event.is_set():
                conn.sendall(chunk)
        return False

    with ScriptServer(endless) as srv:
        started = time.monotonic()
        exc, peak = _peak(
            lambda: outcome(
                mode,
                lambda c: c.get_usage(),
                base_url=srv.url,
                api_key=key,
                timeout=30,
                max_response_bytes=4 * MiB,
            )
        )
        elapsed = time.monotonic() - started
    assert isinstance(exc, ResponseValidationError) and "max_response_bytes=4194304" in str(exc)
    assert peak < 4 * MiB + 4 * MiB, peak / MiB
    assert elapsed < 30, "stopped by the cap, not by the deadline"


@pytest.mark.parametrize("mode", MODES)
def test_huge_error_body_costs_about_its_size_and_keeps_a_short_excerpt(
    mode: str, key: str
) -> None:
    body = b"<html>" + b"oops " * (6 * MiB // 5) + b"</html>"
    with ScriptServer(
        send(response("500 Internal Server Error", body, "content-type: text/html\r\n"))
    ) as srv:
        exc, peak = _peak(
            lambda: outcome(
                mode, lambda c: c.get_usage(), base_url=srv.url, api_key=key, max_retries=0
            )
        )
    assert isinstance(exc, ServerError) and exc.status_code == 500
    assert len(str(exc)) < 1000 and "oops" in str(exc)
    assert isinstance(exc.body, str) and len(exc.body) < 1000
    # the body itself (6 MiB) plus the reading; before: decoding and splitting it whole
    assert peak < 3 * len(body), peak / MiB


@pytest.mark.parametrize("mode", MODES)
def test_error_body_over_the_cap_keeps_its_status_class(mode: str, key: str) -> None:
    body = json.dumps({"detail": "x" * (2 * MiB)}).encode()
    with ScriptServer(
        send(response("502 Bad Gateway", body, "content-type: application/json\r\n"))
    ) as srv:
        exc = outcome(
            mode,
            lambda c: c.get_usage(),
            base_url=srv.url,
            api_key=key,
            max_retries=0,
            max_response_bytes=MiB,
        )
    assert isinstance(exc, ServerError) and exc.status_code == 502
    assert "not read whole" in str(exc) and len(str(exc)) < 2000


@pytest.mark.parametrize("mode", MODES)
def test_huge_detail_is_truncated_in_the_message_and_whole_in_body(mode: str, key: str) -> None:
    detail = "Budget exceeded " + "z" * 500_000
    with ScriptServer(send(json_response({"detail": detail}, "403 Forbidden"))) as srv:
        exc = outcome(mode, lambda c: c.get_usage(), base_url=srv.url, api_key=key)
    assert isinstance(exc, claude_client.BudgetExceededError)
    assert len(str(exc)) < 3000 and "more characters in .body" in str(exc)
    assert exc.body == {"detail": detail}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "gzip, deflate"])
@pytest.mark.parametrize("mode", MODES)
def test_bad_content_encoding_is_a_response_validation_error(
    mode: str, encoding: str, key: str
) -> None:
    if encoding == "br" and "br" not in httpx2.Client().headers["accept-encoding"]:
        pytest.skip("brotli is not installed: httpx treats br as identity")
    headers = f"content-type: application/json\r\ncontent-encoding: {encoding}\r\n"
    with ScriptServer(
        send(response("200 OK", b"\x1f\x8b garbage, not compressed", headers))
    ) as srv:
        exc = outcome(mode, lambda c: c.health(), base_url=srv.url, api_key=key)
    assert isinstance(exc, ResponseValidationError) and exc.status_code == 200
    assert not isinstance(exc.__cause__, httpx2.DecodingError) or exc.__suppress_context__


@pytest.mark.parametrize("mode", MODES)
def test_bad_content_encoding_on_an_error_status_keeps_the_status_class(
    mode: str, key: str
) -> None:
    headers = "content-type: application/json\r\ncontent-encoding: gzip\r\n"
    with ScriptServer(
        send(response("404 Not Found", b"\x1f\x8b garbage, not compressed", headers))
    ) as srv:
        exc = outcome(mode, lambda c: c.health(), base_url=srv.url, api_key=key)
    assert isinstance(exc, NotFoundError) and isinstance(exc, APIStatusError)
    assert exc.status_code == 404 and "not decodable" in str(exc)


def test_gzip_within_the_cap_still_decodes(key: str) -> None:
    data = json.dumps({**HEALTH, "pad": "p" * 300_000}).encode()
    headers = "content-type: application/json\r\ncontent-encoding: gzip\r\n"
    with ScriptServer(send(response("200 OK", gzip.compress(data), headers))) as srv:
        health = run("sync", lambda c: c.health(), base_url=srv.url, api_key=key)
    assert health["status"] == "healthy" and len(health["pad"]) == 300_000


def test_max_response_bytes_is_checked_at_construction() -> None:
    for bad in (0, 10, -1, 1.5, "32M", True):
        with pytest.raises(InvalidInputError) as info:
            ClaudeClient(base_url="http://127.0.0.1:9", max_response_bytes=bad)
        assert info.value.param == "max_response_bytes"
    client = ClaudeClient(base_url="http://127.0.0.1:9", max_response_bytes=MiB)
    assert client.max_response_bytes == MiB
    client.close()
    assert ClaudeClient(base_url="http://127.0.0.1:9").max_response_bytes == 32 * MiB


# --------------------------------------------------------------------------- row 5


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("mode", MODES)
def test_client_used_after_fork_never_shares_the_parents_connection(mode: str, key: str) -> None:
    def health(conn: socket.socket, request: Request) -> bool:
        conn.sendall(json_response({**HEALTH, "version": str(request.port)}))
        return True

    with ScriptServer(health) as srv:
        if mode == "sync":
            client: Any = ClaudeClient(base_url=srv.url, api_key=key, max_retries=0)
            first = client.health()
        else:
            client = AsyncClaudeClient(base_url=srv.url, api_key=key, max_retries=0)
            first = asyncio.run(client.health())
        parent_port = srv.requests[0].port
        assert first["version"] == str(parent_port)

        pid = os.fork()
        if pid == 0:  # the child: the answer it gets must be to its own request
            code = 1
            try:
                answer = client.health() if mode == "sync" else asyncio.run(client.health())
                code = 0 if answer["version"] != str(parent_port) else 2
            except claude_client.ClaudeAPIError:
                code = 0 if mode == "async" else 3  # async may refuse with a clear error
            except BaseException:
                code = 4
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        # The parent's connection is still its own.
        again = client.health() if mode == "sync" else None
        if mode == "sync":
            assert again["version"] == str(parent_port)
            client.close()
        child = [r for r in srv.requests[1:] if r.port == parent_port and mode == "async"]
        assert not child
        ports = [r.port for r in srv.requests]
        assert ports.count(parent_port) == (2 if mode == "sync" else 1), ports


# --------------------------------------------------------------------------- row 8


PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    return monkeypatch


class RecordingProxy(ScriptServer):
    """A proxy that forwards nothing: it records what came and refuses with 403."""

    def __init__(self) -> None:
        super().__init__(send(response("403 Forbidden", b"no"), keep_alive=False))

    def saw(self) -> list[str]:
        return [r.line for r in self.requests]


def _rest_and_socket(mode: str, **kwargs: Any) -> None:
    """One REST call and one stream; failures are expected (the proxy refuses)."""

    def call(client: Any) -> Any:
        if mode == "sync":
            with contextlib.suppress(claude_client.ClaudeAPIError):
                client.health(timeout=5)
            with (
                contextlib.suppress(claude_client.ClaudeAPIError),
                client.stream("hi", model="haiku", timeout=5) as stream,
            ):
                "".join(stream)
            return None

        async def both() -> None:
            with contextlib.suppress(claude_client.ClaudeAPIError):
                await client.health(timeout=5)
            with contextlib.suppress(claude_client.ClaudeAPIError):
                async with client.stream("hi", model="haiku", timeout=5) as stream:
                    "".join([c async for c in stream])

        return both()

    run(mode, call, max_retries=0, **kwargs)


@pytest.mark.parametrize("mode", MODES)
def test_environment_proxy_applies_to_rest_and_the_socket(
    mode: str, fake: FakeService, clean_proxy_env: pytest.MonkeyPatch
) -> None:
    with RecordingProxy() as proxy:
        clean_proxy_env.setenv("HTTP_PROXY", proxy.url)
        clean_proxy_env.setenv("HTTPS_PROXY", proxy.url)
        _rest_and_socket(mode, base_url=fake.base_url, api_key=fake.api_key)
        host = fake.base_url.split("//")[1]
        assert f"GET {fake.base_url}/health HTTP/1.1" in proxy.saw()
        assert f"CONNECT {host} HTTP/1.1" in proxy.saw()
    assert not fake.requests  # nothing went direct


@pytest.mark.parametrize("mode", MODES)
def test_no_proxy_sends_both_direct(
    mode: str, fake: FakeService, clean_proxy_env: pytest.MonkeyPatch
) -> None:
    with RecordingProxy() as proxy:
        clean_proxy_env.setenv("HTTP_PROXY", proxy.url)
        clean_proxy_env.setenv("HTTPS_PROXY", proxy.url)
        clean_proxy_env.setenv("NO_PROXY", "example.com,127.0.0.1")
        _rest_and_socket(mode, base_url=fake.base_url, api_key=fake.api_key)
        assert proxy.saw() == []
    paths = [r.path for r in fake.requests]
    assert "/health" in paths and "/v1/stream" in paths


@pytest.mark.parametrize("mode", MODES)
def test_explicit_proxy_applies_to_both_and_false_to_neither(
    mode: str, fake: FakeService, clean_proxy_env: pytest.MonkeyPatch
) -> None:
    with RecordingProxy() as proxy, RecordingProxy() as env_proxy:
        clean_proxy_env.setenv("HTTP_PROXY", env_proxy.url)
        clean_proxy_env.setenv("HTTPS_PROXY", env_proxy.url)
        _rest_and_socket(mode, base_url=fake.base_url, api_key=fake.api_key, proxy=proxy.url)
        assert len(proxy.saw()) == 2 and env_proxy.saw() == []
        _rest_and_socket(mode, base_url=fake.base_url, api_key=fake.api_key, proxy=False)
        assert len(proxy.saw()) == 2 and env_proxy.saw() == []
    assert {"/health", "/v1/stream"} <= {r.path for r in fake.requests}


@pytest.mark.parametrize("mode", MODES)
def test_socket_follows_the_proxy_of_the_users_http_client(
    mode: str, fake: FakeService, clean_proxy_env: pytest.MonkeyPatch
) -> None:
    with RecordingProxy() as proxy:
        url = proxy.url.replace("http://", "http://user:p%40ss@")
        http: Any = httpx2.Client(proxy=url) if mode == "sync" else httpx2.AsyncClient(proxy=url)
        _rest_and_socket(mode, base_url=fake.base_url, api_key=fake.api_key, http_client=http)
        assert len(proxy.saw()) == 2, proxy.saw()
        for request in proxy.requests:  # the proxy credentials went along, both times
            assert request.headers["proxy-authorization"] == "Basic dXNlcjpwQHNz"
    assert not fake.requests


def test_proxy_option_is_checked(clean_proxy_env: pytest.MonkeyPatch) -> None:
    for bad in ("proxy.example:3128", 3128, True):
        with pytest.raises(InvalidInputError) as info:
            ClaudeClient(base_url="http://127.0.0.1:9", proxy=bad)
        assert info.value.param == "proxy"
    with pytest.raises(InvalidInputError, match="http_client"):
        ClaudeClient(base_url="http://127.0.0.1:9", proxy="http://p:1", http_client=httpx2.Client())


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({"HTTP_PROXY": "http://p:1"}, "http://svc.example:8006"),
        ({"HTTP_PROXY": "http://p:1"}, "https://svc.example"),
        ({"HTTPS_PROXY": "p:2"}, "https://svc.example"),
        ({"ALL_PROXY": "http://p:3"}, "http://svc.example"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "svc.example"}, "http://svc.example"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "svc.example"}, "http://a.svc.example"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": ".svc.example"}, "http://svc.example"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": ".svc.example"}, "http://a.svc.example"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "localhost"}, "http://localhost:8006"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "127.0.0.1"}, "http://127.0.0.1:8006"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "*"}, "http://svc.example"),
        ({"HTTP_PROXY": "http://p:1", "NO_PROXY": "other.example"}, "http://svc.example"),
    ],
)
def test_environment_proxy_chooses_as_httpx_does(
    env: dict[str, str], url: str, clean_proxy_env: pytest.MonkeyPatch
) -> None:
    from claude_client._base import proxy_of_transport as _proxy_of_transport

    for name, value in env.items():
        clean_proxy_env.setenv(name, value)
    with httpx2.Client() as http:
        httpx_choice = _proxy_of_transport(http._transport_for_url(httpx2.URL(url)))
    ours = _config.environment_proxy(url)
    assert (ours is None) == (httpx_choice is None), (ours, httpx_choice)
    if ours is not None:
        assert httpx2.URL(ours).host == httpx2.URL(httpx_choice or "").host


# --------------------------------------------------------------------------- row 10


def test_close_from_another_thread_ends_a_blocked_call_without_resending(key: str) -> None:
    with ScriptServer(silent) as srv:
        client = ClaudeClient(base_url=srv.url, api_key=key, timeout=60, max_retries=2)
        result: dict[str, Any] = {}

        def call() -> None:
            try:
                result["value"] = client.complete("hi", model="haiku")
            except BaseException as exc:
                result["error"] = exc

        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        assert srv.arrived.wait(10)
        closed_at = time.monotonic()
        client.close()
        thread.join(MARGIN + 5)
        assert not thread.is_alive(), "the call is still blocked after close()"
        assert time.monotonic() - closed_at < MARGIN
        exc = result.get("error")
        assert isinstance(exc, (ClientClosedError, APIConnectionError)), result
        assert_sdk_error(exc)
        time.sleep(0.2)  # let a (wrong) re-send reach the server
        assert len(srv.requests) == 1, "re-sent after close()"
        deadline = time.monotonic() + 5
        while srv.closed < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert srv.closed == 1, "the client's socket stayed open"


def test_nothing_is_sent_after_close(key: str) -> None:
    with ScriptServer(send(json_response(HEALTH))) as srv:
        client = ClaudeClient(base_url=srv.url, api_key=key)
        client.health()
        client.close()
        with pytest.raises(ClientClosedError):
            client.health()
        assert len(srv.requests) == 1
        # With the user's own httpx client: the SDK client refuses, the user's client is
        # theirs (left open and unchanged: no hook or transport of ours in it).
        with httpx2.Client() as http:
            hooks_before = {k: list(v) for k, v in http.event_hooks.items()}
            adopted = ClaudeClient(base_url=srv.url, api_key=key, http_client=http)
            adopted.close()
            with pytest.raises(ClientClosedError):
                adopted.health()
            assert len(srv.requests) == 1
            assert not http.is_closed
            assert {k: list(v) for k, v in http.event_hooks.items()} == hooks_before


def test_close_ends_open_sync_streams(fake: FakeService) -> None:
    fake.inject(Fault.WS_SILENT, after=1)
    client = ClaudeClient(base_url=fake.base_url, api_key=fake.api_key)
    stream = client.stream("one two three", model="haiku", timeout=60, idle_timeout=60)
    first = next(stream)
    assert first
    outcome_: dict[str, Any] = {}

    def rest() -> None:
        try:
            outcome_["rest"] = list(stream)
        except BaseException as exc:
            outcome_["error"] = exc

    thread = threading.Thread(target=rest, daemon=True)
    thread.start()
    time.sleep(0.1)
    client.close()
    thread.join(MARGIN + 5)
    assert not thread.is_alive(), "the stream is still open after client.close()"
    assert "rest" in outcome_ or isinstance(outcome_.get("error"), claude_client.ClaudeAPIError)
    assert "closed" in repr(stream) or stream.finished


def test_close_ends_open_async_streams(fake: FakeService) -> None:
    fake.inject(Fault.WS_SILENT, after=1)

    async def main() -> Any:
        client = AsyncClaudeClient(base_url=fake.base_url, api_key=fake.api_key)
        stream = client.stream("one two three", model="haiku", timeout=60, idle_timeout=60)
        assert await stream.__anext__()

        async def rest() -> Any:
            return [c async for c in stream]

        task = asyncio.create_task(rest())
        await asyncio.sleep(0.1)
        await client.close()
        with contextlib.suppress(claude_client.ClaudeAPIError):
            await asyncio.wait_for(task, MARGIN + 5)
        return stream

    stream = asyncio.run(main())
    assert "closed" in repr(stream) or stream.finished


# --------------------------------------------------------------------------- row 13


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"X-Team": "é"}, "X-Team"),
        ({"X-Team": "a\x00b"}, "X-Team"),
        ({"X-Team": "a\r\nInjected: 1"}, "X-Team"),
        ({"X-Team": "a\nb"}, "X-Team"),
        ({"X-Té": "v"}, "X-T"),
        ({"X Team": "v"}, "X Team"),
        ({"X-Team\n": "v"}, "X-Team"),
        ({"": "v"}, "''"),
    ],
)
@pytest.mark.parametrize("cls", [ClaudeClient, AsyncClaudeClient])
def test_bad_default_headers_fail_at_construction(
    cls: Any, headers: dict[str, str], named: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        cls(base_url="http://127.0.0.1:9", default_headers=headers)
    assert info.value.param == "default_headers"
    assert named in str(info.value)
    for value in headers.values():
        if len(value) > 1:
            assert value not in str(info.value)  # values are never echoed


def test_good_default_headers_are_sent(key: str) -> None:
    with ScriptServer(send(json_response(HEALTH))) as srv:
        run(
            "sync",
            lambda c: c.health(),
            base_url=srv.url,
            api_key=key,
            default_headers={"X-Team": "a b\tc!~"},
        )
    assert srv.requests[0].headers["x-team"] == "a b\tc!~"


def test_a_bad_per_call_header_fails_before_sending(key: str) -> None:
    with ScriptServer(send(json_response(HEALTH))) as srv:
        with (
            ClaudeClient(base_url=srv.url, api_key=key) as client,
            pytest.raises(InvalidInputError) as info,
        ):
            client.get_usage(extra_headers={"X-Trace": "\x00"})
        assert info.value.param == "extra_headers"
        assert not srv.requests
