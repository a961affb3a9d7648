"""Hostile and broken servers on the WebSocket side (issue 11, rows 2, 9, 12, 14, 15).

* Row 2: an upgrade answered with a redirect is refused (status and ``Location`` named),
  never followed: the other origin never sees a connection, let alone the key.
* Row 9: no traceback rendered with frame locals (Sentry, rich, ``pytest --showlocals``)
  shows the key; ``vars()`` / pickle of a stream's settings do not expose it.
* Row 12: the frame limit is ``max_response_bytes`` (32 MiB by default, the REST body
  cap): a 2 MiB task result streams, a bigger frame is a clear error, and a chat stream
  never accumulates more text than the cap.
* Row 14: closing is bounded by the call's deadline even when the server never answers
  the close handshake.
* Row 15: leaving a ``for`` loop closes the stream (named streams too, sync and async),
  and a stream never closed never blocks interpreter exit (a subprocess with a limit).

Servers: the scripted ``websockets`` server of ``tests/streaming`` (``ScriptedServer``),
:class:`SilentCloser` below (a raw-socket WebSocket server that never answers a close
frame) and the fault matrix's ``RawServer`` (the redirect cases of the matrix, at the end).
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import contextlib
import hashlib
import json
import pickle
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import pytest
from reliability_kit import WATCH, assert_sdk_error

sys.path.insert(0, str(Path(__file__).parent.parent / "streaming"))

from stream_testkit import ScriptedServer, chat_script, task_result_body
from test_fault_matrix import Case, Expect, _check_fault, _mentions

from claude_client import (
    APIConnectionError,
    AsyncClaudeClient,
    ClaudeClient,
    ResponseValidationError,
    TimeoutError,
)
from claude_client._config import DEFAULT_MAX_RESPONSE_BYTES
from claude_client._streaming import AsyncChatStream, ChatStream, StreamSettings
from claude_client.testing import FakeService

KEY = "cc_" + "5eced" * 8  # what the session's secret watch recognises (cc_ + 40 hex)
MESSAGES = [{"role": "user", "content": "go"}]
ENDLESS = [item for i in range(600) for item in (("token", f"t{i} "), ("sleep", 0.05))]
MARGIN = 1.5  # seconds past a deadline a bounded close may take on a loaded 2-core box
MODES = ["sync", "async"]


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients read the key from the environment: no frame of the tests holds it."""
    WATCH.add_secret(KEY)
    monkeypatch.setenv("CLAUDE_API_KEY", KEY)


@pytest.fixture(scope="module")
def _servers() -> Iterator[tuple[ScriptedServer, ScriptedServer]]:
    origin, elsewhere = ScriptedServer(), ScriptedServer()
    yield origin, elsewhere
    origin.stop()
    elsewhere.stop()


@pytest.fixture
def origin(_servers: tuple[ScriptedServer, ScriptedServer]) -> Iterator[ScriptedServer]:
    server = _servers[0]
    server.reset()
    yield server
    server.wait_all_ended(2.0)
    server.reset()


@pytest.fixture
def elsewhere(_servers: tuple[ScriptedServer, ScriptedServer]) -> Iterator[ScriptedServer]:
    """A second origin (another port): what a redirect points to."""
    server = _servers[1]
    server.reset()
    yield server
    server.reset()


# --------------------------------------------------------------------------- helpers


def _collect(mode: str, base_url: str, kind: str, **client_options: Any) -> tuple[list[Any], Any]:
    """Run one facade stream (``chat`` or ``task``) to its end: (items, error or None)."""
    options: dict[str, Any] = {"timeout": 10, "max_retries": 0, **client_options}
    attrs = options.pop("attrs", {})

    def open_stream(client: Any) -> Any:
        for name, value in attrs.items():
            setattr(client, name, value)
        if kind == "chat":
            return client.stream("Tell me a story", model="haiku")
        return client.stream_task("Count the files", allow_tools=["Bash"], timeout=30)

    items: list[Any] = []
    if mode == "sync":
        with ClaudeClient(base_url=base_url, **options) as client:
            try:
                with open_stream(client) as stream:
                    items.extend(stream)
            except Exception as exc:
                return items, exc
        return items, None

    async def main() -> Optional[BaseException]:
        async with AsyncClaudeClient(base_url=base_url, **options) as client:
            try:
                async with open_stream(client) as stream:
                    async for item in stream:
                        items.append(item)
            except Exception as exc:
                return exc
        return None

    return items, asyncio.run(main())


def _rendered_with_locals(exc: BaseException) -> str:
    """The traceback as Sentry / rich / ``pytest --showlocals`` show it: every frame's locals."""
    te = traceback.TracebackException.from_exception(exc, capture_locals=True)
    return "".join(te.format())


class SilentCloser:
    """A raw-socket WebSocket server on 127.0.0.1 that never answers a close frame.

    It completes the upgrade, reads the client's request frame, sends ``frames`` (JSON
    text frames), then reads and discards everything, keeping the TCP connection open
    until :meth:`stop`: a client waiting for the closing handshake waits in vain.
    """

    GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self, frames: list[dict[str, Any]]) -> None:
        self.frames = frames
        self.requests: list[Any] = []
        self.close_frame = threading.Event()  # the client sent one
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except builtins.TimeoutError:  # not claude_client's TimeoutError
                continue
            except OSError:
                return
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _read(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            try:
                chunk = conn.recv(n - len(data))
            except builtins.TimeoutError:  # not claude_client's TimeoutError
                if self._stop.is_set():
                    raise EOFError from None
                continue
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _read_frame(self, conn: socket.socket) -> tuple[int, bytes]:
        head = self._read(conn, 2)
        opcode, length = head[0] & 0x0F, head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(conn, 2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(conn, 8))[0]
        mask = self._read(conn, 4) if head[1] & 0x80 else b"\0\0\0\0"
        payload = self._read(conn, length)
        return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    @staticmethod
    def _frame(text: str) -> bytes:
        data = text.encode()
        if len(data) < 126:
            return bytes([0x81, len(data)]) + data
        return bytes([0x81, 126]) + struct.pack("!H", len(data)) + data

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        with contextlib.suppress(EOFError, OSError):
            request = b""
            while b"\r\n\r\n" not in request:
                request += self._read(conn, 1)
            key = next(
                line.split(b":", 1)[1].strip()
                for line in request.split(b"\r\n")
                if line.lower().startswith(b"sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1(key + self.GUID).digest())
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            _, payload = self._read_frame(conn)
            self.requests.append(json.loads(payload))
            for frame in self.frames:
                conn.sendall(self._frame(json.dumps(frame)))
            while True:  # ignore everything, the close frame included
                opcode, _ = self._read_frame(conn)
                if opcode == 0x8:
                    self.close_frame.set()

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()
        for thread in [self._thread, *self._threads]:
            thread.join(5)


# --------------------------------------------------------------------------- row 2: redirects


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("kind", ["chat", "task"])
@pytest.mark.parametrize("mode", MODES)
def test_a_redirected_upgrade_is_an_error_and_the_other_origin_sees_nothing(
    origin: ScriptedServer, elsewhere: ScriptedServer, mode: str, kind: str, status: int
) -> None:
    elsewhere.script = [("frame", task_result_body())] if kind == "task" else chat_script(["x"])
    origin.refuse = [status]
    origin.refuse_headers = {"Location": elsewhere.url}
    items, error = _collect(mode, origin.base_url, kind, max_retries=2)
    assert items == []
    assert isinstance(error, APIConnectionError), repr(error)
    assert_sdk_error(error)
    assert error.status_code == status
    assert f"HTTP {status}" in str(error) and elsewhere.url in str(error)
    assert "redirects are not followed" in str(error)
    WATCH.check(error)
    assert origin.upgrade_attempts == 1  # not retried either: a redirect will not go away
    assert elsewhere.upgrade_attempts == 0 and elsewhere.connections == []


@pytest.mark.parametrize("mode", MODES)
def test_a_same_origin_redirect_is_refused_too(origin: ScriptedServer, mode: str) -> None:
    origin.refuse = [302]
    origin.refuse_headers = {"Location": "/v2/stream"}
    _, error = _collect(mode, origin.base_url, "task")
    assert isinstance(error, APIConnectionError) and error.status_code == 302
    assert "'/v2/stream'" in str(error)
    assert origin.upgrade_attempts == 1 and origin.requests == []


# --------------------------------------------------------------------------- row 9: locals


LOCALS_FAULTS = ["refused-401", "refused-503-retried", "redirect", "drop", "error-frame"]


# CPython 3.13 before the fix of python/cpython#125723 (backported to 3.13 in June 2025,
# PR #135453; first in 3.13.6) can segfault reading f_locals of a generator's frame that
# outlived its generator: rendering these tracebacks with locals reaches websockets'
# Protocol.parse generator and crashed the whole pytest run on 3.13.0 (not always).
CPYTHON_125723 = (3, 13) <= sys.version_info[:3] < (3, 13, 6)


@pytest.mark.skipif(
    CPYTHON_125723,
    reason="CPython 3.13 < 3.13.6 segfaults reading a dead generator frame's f_locals"
    " (python/cpython#125723)",
)
@pytest.mark.parametrize(
    ("kind", "fault"),
    [("chat", "idle-timeout"), *((kind, f) for kind in ("chat", "task") for f in LOCALS_FAULTS)],
)
@pytest.mark.parametrize("mode", MODES)
def test_no_traceback_rendered_with_locals_shows_the_key(
    origin: ScriptedServer, elsewhere: ScriptedServer, mode: str, kind: str, fault: str
) -> None:
    options: dict[str, Any] = {}
    if fault == "refused-401":
        origin.refuse = [401]
    elif fault == "refused-503-retried":
        origin.refuse = [503, 503]
        options = {"max_retries": 1}
    elif fault == "redirect":
        origin.refuse, origin.refuse_headers = [307], {"Location": elsewhere.url}
    elif fault == "drop":
        origin.script = [("frame", {"type": "thinking", "content": "..."}), ("drop",)]
    elif fault == "idle-timeout":
        origin.script = [("token", "a"), ("silent",)]
        options = {"timeout": 0.5}
    else:
        origin.script = [("frame", {"type": "error", "error": "Permission denied: nope"})]
    _, error = _collect(mode, origin.base_url, kind, **options)
    assert error is not None
    assert_sdk_error(error)
    rendered = _rendered_with_locals(error)
    assert KEY not in rendered, WATCH.redact(rendered)[-3000:]
    assert "Bearer cc_" not in rendered
    assert "Traceback" in rendered and "=" in rendered  # locals were rendered at all


def test_stream_settings_hold_the_key_only_in_the_redacting_key_ring(
    origin: ScriptedServer,
) -> None:
    with ClaudeClient(base_url=origin.base_url) as client:
        streams = [client.stream("x", model="haiku"), client.stream_task("x")]
    async_client = AsyncClaudeClient(base_url=origin.base_url)
    streams += [async_client.stream("x", model="haiku"), async_client.stream_task("x")]
    asyncio.run(async_client.aclose())
    for stream in streams:
        settings = stream._settings
        for name, value in [*vars(settings).items(), *vars(stream).items()]:
            assert KEY not in repr(value), name
            assert not isinstance(value, str) or KEY not in value, name
        assert KEY not in repr(dict(settings.headers))
        with pytest.raises(TypeError, match="API keys"):
            pickle.dumps(settings)
        with pytest.raises(TypeError, match="API keys"):
            pickle.dumps(settings.keys)
        assert settings.api_key == KEY  # still there for the request that needs it
    assert origin.connections == []


# --------------------------------------------------------------------------- row 12: sizes


def test_the_default_frame_limit_is_the_rest_body_cap() -> None:
    assert DEFAULT_MAX_RESPONSE_BYTES == 32 * 1024 * 1024
    settings = StreamSettings(ws_url="ws://h/v1/stream")
    assert settings.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES
    with pytest.raises(ValueError, match="max_response_bytes"):
        StreamSettings(ws_url="ws://h/v1/stream", max_response_bytes=0)


@pytest.mark.parametrize("mode", MODES)
def test_stream_task_accepts_a_2_mib_result_as_rest_does(origin: ScriptedServer, mode: str) -> None:
    big = "x" * (2 * 1024 * 1024)
    result = task_result_body()
    result["result"]["full_output"] = big
    origin.script = [("frame", {"type": "thinking", "content": "..."}), ("frame", result)]
    items, error = _collect(mode, origin.base_url, "task")
    assert error is None, repr(error)
    assert items[-1]["result"]["full_output"] == big


@pytest.mark.parametrize("kind", ["chat", "task"])
@pytest.mark.parametrize("mode", MODES)
def test_a_frame_over_the_clients_cap_is_a_clear_error(
    origin: ScriptedServer, mode: str, kind: str
) -> None:
    if kind == "chat":
        origin.script = [("token", "a"), ("token", "y" * 9000), ("frame", {"type": "done"})]
    else:
        result = task_result_body()
        result["result"]["full_output"] = "y" * 9000
        origin.script = [("frame", result)]
    # the client's max_response_bytes (the REST body cap) is the stream's frame limit
    _, error = _collect(mode, origin.base_url, kind, attrs={"max_response_bytes": 8192})
    assert isinstance(error, ResponseValidationError), repr(error)
    assert "larger than max_response_bytes (8,192 bytes)" in str(error)
    assert "1006" not in str(error)
    assert_sdk_error(error)


@pytest.mark.parametrize("mode", MODES)
def test_a_chat_stream_never_keeps_more_text_than_the_cap(
    origin: ScriptedServer, mode: str
) -> None:
    origin.script = [("token", "z" * 1000) for _ in range(50)] + [("frame", {"type": "done"})]
    items, error = _collect(mode, origin.base_url, "chat", attrs={"max_response_bytes": 10_000})
    assert isinstance(error, ResponseValidationError), repr(error)
    assert "grew past max_response_bytes (10,000 characters kept)" in str(error)
    assert sum(map(len, items)) <= 10_000
    assert origin.wait_all_ended(5.0)  # and the socket was closed


# --------------------------------------------------------------------------- row 14: closing


@pytest.fixture
def silent_closer() -> Iterator[SilentCloser]:
    server = SilentCloser([{"type": "token", "content": "a"}])
    yield server
    server.stop()


@pytest.mark.parametrize("mode", MODES)
def test_a_timed_out_stream_does_not_wait_for_a_close_the_server_never_sends(
    silent_closer: SilentCloser, mode: str
) -> None:
    settings = StreamSettings.from_client(
        base_url=silent_closer.base_url,
        api_key=KEY,
        timeout=1.0,
        idle_timeout=None,
        close_timeout=5.0,
    )
    started = time.monotonic()
    items, error = _drive(mode, settings)
    elapsed = time.monotonic() - started
    assert isinstance(error, TimeoutError) and "within its timeout of 1 s" in str(error)
    assert items == ["a"]
    assert elapsed < 1.0 + MARGIN, f"{elapsed:.2f} s for a 1 s deadline"
    assert silent_closer.close_frame.wait(5)  # it did say goodbye, it just did not wait


@pytest.mark.parametrize("mode", MODES)
def test_the_facade_stream_ends_within_its_deadline_when_the_close_is_ignored(
    silent_closer: SilentCloser, mode: str
) -> None:
    started = time.monotonic()
    _, error = _collect(mode, silent_closer.base_url, "chat", timeout=1.0)
    elapsed = time.monotonic() - started
    assert isinstance(error, TimeoutError), repr(error)
    assert elapsed < 1.0 + MARGIN, f"{elapsed:.2f} s for a 1 s deadline"


@pytest.mark.parametrize("mode", MODES)
def test_closing_after_done_never_outlasts_the_deadline(mode: str) -> None:
    server = SilentCloser([{"type": "token", "content": "a"}, {"type": "done", "usage": {}}])
    try:
        settings = StreamSettings.from_client(
            base_url=server.base_url, api_key=KEY, timeout=1.5, close_timeout=10.0
        )
        started = time.monotonic()
        items, error = _drive(mode, settings)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert error is None and items == ["a"]
    assert elapsed < 1.5 + MARGIN, f"{elapsed:.2f} s for a 1.5 s deadline"


def _drive(mode: str, settings: StreamSettings) -> tuple[list[Any], Optional[BaseException]]:
    items: list[Any] = []
    if mode == "sync":
        try:
            with ChatStream(settings, messages=MESSAGES, model="haiku") as stream:
                items.extend(stream)
        except Exception as exc:
            return items, exc
        return items, None

    async def main() -> Optional[BaseException]:
        try:
            async with AsyncChatStream(settings, messages=MESSAGES, model="haiku") as stream:
                async for chunk in stream:
                    items.append(chunk)
        except Exception as exc:
            return exc
        return None

    return items, asyncio.run(main())


# --------------------------------------------------------------------------- row 15: leaving


def test_break_closes_a_named_sync_stream(origin: ScriptedServer) -> None:
    origin.script = ENDLESS
    with ClaudeClient(base_url=origin.base_url, timeout=30) as client:
        stream = client.stream("go", model="haiku")
        for _chunk in stream:
            break
        assert origin.wait_all_ended(5.0), "the socket stayed open after break"
        assert not stream.finished
        assert list(stream) == []  # left early: closed, nothing more comes
        with pytest.raises(StopIteration):
            next(stream)


def test_break_closes_a_named_sync_task_stream(origin: ScriptedServer) -> None:
    origin.script = [("frame", {"type": "thinking", "content": "..."}), ("silent",)]
    with ClaudeClient(base_url=origin.base_url, timeout=30) as client:
        stream = client.stream_task("go")
        for _event in stream:
            break
        assert origin.wait_all_ended(5.0), "the socket stayed open after break"


def test_an_exception_in_the_loop_body_closes_a_named_stream(origin: ScriptedServer) -> None:
    origin.script = ENDLESS
    with ClaudeClient(base_url=origin.base_url, timeout=30) as client:
        stream = client.stream("go", model="haiku")
        with pytest.raises(KeyError):
            for _chunk in stream:
                raise KeyError("boom")
        assert origin.wait_all_ended(5.0), "the socket stayed open after the exception"


async def _ended(server: ScriptedServer, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.connections and all(c.ended_at is not None for c in server.connections):
            return True
        await asyncio.sleep(0.02)
    return False


@pytest.mark.parametrize("kind", ["chat", "task"])
async def test_break_closes_a_named_async_stream(origin: ScriptedServer, kind: str) -> None:
    thinking = ("frame", {"type": "thinking", "content": "."})
    origin.script = ENDLESS if kind == "chat" else [thinking, ("silent",)]
    async with AsyncClaudeClient(base_url=origin.base_url, timeout=30) as client:
        stream = client.stream("go", model="haiku") if kind == "chat" else client.stream_task("go")
        async for _item in stream:
            break
        assert await _ended(origin), "the socket stayed open after break"
        assert [item async for item in stream] == []


def test_next_then_for_still_continues_and_break_then_closes(origin: ScriptedServer) -> None:
    origin.script = ENDLESS
    with ClaudeClient(base_url=origin.base_url, timeout=30) as client:
        stream = client.stream("go", model="haiku")
        assert next(stream) == "t0 "
        for chunk in stream:
            assert chunk == "t1 "  # the loop continues where next() left off
            break
        assert origin.wait_all_ended(5.0)


CHILD = """
import sys, threading
from claude_client import ClaudeClient
client = ClaudeClient(base_url=sys.argv[1], api_key=sys.argv[2], timeout=60)
stream = client.stream("go", model="haiku")
how = sys.argv[3]
if how == "break":
    for chunk in stream:
        break
elif how == "next":
    next(stream)
elif how == "iter-next":
    it = iter(stream)
    next(it)
elif how == "daemon-thread":
    started = threading.Event()
    def consume():
        for chunk in stream:
            started.set()
    threading.Thread(target=consume, daemon=True).start()
    started.wait(10)
print("last line", flush=True)
"""


@pytest.mark.parametrize("how", ["break", "next", "iter-next", "daemon-thread"])
def test_a_stream_never_closed_never_blocks_interpreter_exit(
    origin: ScriptedServer, how: str
) -> None:
    origin.script = ENDLESS
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(CHILD), origin.base_url, KEY, how],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the process hung at exit (printed {exc.stdout!r})")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "last line\n"
    assert KEY not in done.stderr
    assert time.monotonic() - started < 30
    assert origin.wait_all_ended(5.0)


# --------------------------------------------------------------------------- fault matrix

REDIRECT_TO = "http://127.0.0.1:9/v1/stream"  # another origin (the discard port)


def _redirect(status: int) -> bytes:
    return (
        f"HTTP/1.1 {status} Moved\r\nLocation: {REDIRECT_TO}\r\nContent-Length: 0\r\n\r\n".encode()
    )


def _redirect_expect(status: int) -> Expect:
    return Expect(
        APIConnectionError, 1, status=status, delays=(), check=_mentions(f"'{REDIRECT_TO}'")
    )


WS_CASES = [
    Case(
        f"ws_upgrade_redirect_{status}_other_origin",
        lambda fake: None,
        raw=_redirect(status),
        kinds={"stream": _redirect_expect(status), "task_stream": _redirect_expect(status)},
    )
    for status in (301, 302, 303, 307, 308)
]


def _ws_params() -> list[Any]:
    return [
        pytest.param(mode, kind, case, expect, id=f"{mode}-{kind}-{case.name}")
        for mode in MODES
        for case in WS_CASES
        for kind, expect in case.kinds.items()
    ]


@pytest.mark.parametrize(("mode", "kind", "case", "expect"), _ws_params())
def test_ws_fault(
    fake: FakeService,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    kind: str,
    case: Case,
    expect: Expect,
) -> None:
    """The fault matrix's checks (``test_fault_matrix._check_fault``) for these cases."""
    from reliability_kit import RawServer

    monkeypatch.delenv("CLAUDE_API_KEY", raising=False)
    assert case.raw is not None
    with RawServer(case.raw) as raw:
        _check_fault(fake, mode, kind, case, expect, raw)
