"""Shared helpers of the reliability suite (imported by its conftest and test modules).

* :data:`WATCH`: the session's secret watch. Every log record of a reliability test
  (``claude_client`` logger and root logger, DEBUG) is scanned for API keys; tests also
  hand it exceptions, results and streams whose ``repr`` / ``str`` must not show a key.
* :class:`Sleeps`: records the backoff delays a client asks for and sleeps only a
  little, so retry schedules are asserted without waiting them out.
* :class:`CountingTransport` / :class:`AsyncCountingTransport`: inner httpx transports
  that count the attempts the SDK's retry transport really sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpx2
from hypothesis import HealthCheck, settings

KEY_RE = re.compile(r"cc_[0-9a-f]{40}")
_FORMATTER = logging.Formatter("%(name)s %(levelname)s %(message)s")
_RECORD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}


class SecretWatch:
    """Collects evidence that no API key leaks (logs, reprs, messages)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.secrets: set[str] = set()
        self.records = 0
        self.sdk_debug_records = 0
        self.objects_checked = 0
        self.leaks: list[str] = []

    def add_secret(self, *keys: str) -> None:
        with self._lock:
            self.secrets.update(k for k in keys if k)

    def leaked_in(self, text: str) -> bool:
        if KEY_RE.search(text):
            return True
        with self._lock:
            secrets = list(self.secrets)
        return any(s in text for s in secrets)

    def scan_record(self, record: logging.LogRecord) -> None:
        try:
            text = _FORMATTER.format(record)
        except Exception as exc:  # a broken record is itself worth seeing
            text = f"<unformattable record {record.name}: {exc!r}>"
        extras = [f"{k}={v!r}" for k, v in record.__dict__.items() if k not in _RECORD_ATTRS]
        blob = "\n".join([text, *extras])
        with self._lock:
            self.records += 1
            if record.name.startswith("claude_client") and record.levelno == logging.DEBUG:
                self.sdk_debug_records += 1
        if self.leaked_in(blob):
            with self._lock:
                self.leaks.append(f"log record {record.name}: {self.redact(blob)[:300]}")

    def check(self, obj: Any, where: str = "") -> None:
        """``repr``/``str`` of ``obj`` (and for exceptions: message, args, and the
        ``repr``/``str`` of their cause chain's SDK exceptions) must show no key."""
        texts = [repr(obj), str(obj)]
        if isinstance(obj, BaseException):
            texts.extend(repr(a) for a in obj.args)
            texts.append(str(getattr(obj, "message", "")))
        with self._lock:
            self.objects_checked += 1
        for text in texts:
            if self.leaked_in(text):
                msg = f"{where or type(obj).__name__}: {self.redact(text)[:300]}"
                with self._lock:
                    self.leaks.append(msg)
                raise AssertionError(f"API key visible in {msg}")

    def redact(self, text: str) -> str:
        """``text`` fit for a failure message: every known key replaced."""
        with self._lock:
            secrets = sorted(self.secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, "<KEY>")
        return redact(text)

    def check_all(self, objs: Iterable[Any], where: str = "") -> None:
        for obj in objs:
            self.check(obj, where)


def redact(text: str) -> str:
    return KEY_RE.sub("cc_<KEY>", text)


WATCH = SecretWatch()


class WatchHandler(logging.Handler):
    """Hands every record to :data:`WATCH`. ``skip_sdk`` avoids counting the SDK's
    records twice (once on the ``claude_client`` logger, once on root)."""

    def __init__(self, *, skip_sdk: bool) -> None:
        super().__init__(level=logging.DEBUG)
        self.skip_sdk = skip_sdk

    def emit(self, record: logging.LogRecord) -> None:
        if self.skip_sdk and record.name.startswith("claude_client"):
            return
        WATCH.scan_record(record)


class Sleeps:
    """A client's ``sleep``: records each requested delay, sleeps at most ``cap`` s."""

    def __init__(self, cap: float = 0.01) -> None:
        self.delays: list[float] = []
        self.cap = cap

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        time.sleep(min(seconds, self.cap))

    async def async_sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(min(seconds, self.cap))


class CountingTransport(httpx2.HTTPTransport):
    """``httpx2.HTTPTransport`` that counts the requests it is asked to send."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent += 1
        return super().handle_request(request)


class AsyncCountingTransport(httpx2.AsyncHTTPTransport):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent += 1
        return await super().handle_async_request(request)


FORBIDDEN_MODULES = ("httpx", "httpcore", "websockets", "json", "h11", "anyio")


def assert_sdk_error(exc: BaseException) -> None:
    """``exc`` is one of ours, not a bare library or builtin error."""
    from claude_client import ClaudeAPIError

    mod = type(exc).__module__.split(".")[0]
    assert mod not in FORBIDDEN_MODULES, f"bare {type(exc).__module__}.{type(exc).__name__}: {exc}"
    assert isinstance(exc, ClaudeAPIError), f"not a ClaudeAPIError: {type(exc).__name__}: {exc}"
    assert type(exc).__module__.startswith("claude_client"), type(exc).__module__


# Hypothesis profiles of the fuzz tests (applied per test, never loaded globally).
settings.register_profile(
    "reliability-ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "reliability-deep",
    max_examples=1000,
    deadline=None,
    derandomize=False,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FUZZ_PROFILE = "reliability-deep" if os.environ.get("CLAUDE_FUZZ") == "deep" else "reliability-ci"


class RawServer:
    """A TCP server on 127.0.0.1 for what the fake cannot do: it reads each request
    (up to the blank line), sends ``reply`` (possibly nothing: a server that accepts
    and never answers; or headers and half a body), then ``trickle`` one byte every
    ``interval`` s, then holds the connection open and silent until :meth:`stop`.
    ``requests`` counts the requests that arrived."""

    def __init__(self, reply: bytes = b"", trickle: bytes = b"", interval: float = 0.05) -> None:
        self.reply = reply
        self.trickle = trickle
        self.interval = interval
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.base_url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, name="raw-server", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._conns.append(conn)
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        data = b""
        while b"\r\n\r\n" not in data and not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            data += chunk
        if b"\r\n\r\n" not in data:
            return
        with self._lock:
            self.requests += 1
        if self.reply:
            with contextlib.suppress(OSError):
                conn.sendall(self.reply)
        for i in range(len(self.trickle)):
            if self._stop.wait(self.interval):
                return
            try:
                conn.sendall(self.trickle[i : i + 1])
            except OSError:
                return
        self._stop.wait()

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(5)
        with self._lock:
            conns, threads = list(self._conns), list(self._threads)
        for conn in conns:
            conn.close()
        for thread in threads:
            thread.join(5)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
