"""What the fake service records of each request, with every API key redacted
(``FakeControls.requests``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

KEY_RE = re.compile(r"cc_[0-9a-f]{40}")
REDACTED = "<redacted>"
#: ``X-Forgg-CCA-Request-Id``: newer builds send it with the ``X-Request-ID`` value.
REQUEST_ID_ALIAS = "x-forgg-cca-request-id"


@dataclass
class RecordedRequest:
    """What arrived. The API key never appears: ``Authorization`` reads ``Bearer
    <redacted>`` and key-looking strings (``cc_`` + 40 hex) anywhere else read
    ``cc_<redacted>``. So that redaction cannot hide a leak, ``key_found_in`` lists where
    else a key-looking string was seen (``"query"``, ``"header x-name"``, ``"body"``):
    it should be empty for REST calls (the WebSocket ``agentic_task`` message carries
    ``api_key`` by protocol). ``key_suffix`` is the last 4 characters of the bearer key,
    ``project_id`` that key's project when it is known. WebSocket messages are recorded
    with ``method="WS"`` and the frame as ``body``; ``status`` is the HTTP status sent
    (None when no response started)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    status: Optional[int] = None
    request_id: Optional[str] = None
    key_suffix: Optional[str] = None
    project_id: Optional[str] = None
    time: float = 0.0
    key_found_in: tuple[str, ...] = ()

    def header(self, name: str) -> Optional[str]:
        return self.headers.get(name.lower())

    @property
    def traceparent(self) -> Optional[str]:
        """The W3C ``traceparent`` header that arrived (``None``: none was sent). For a
        WebSocket message, the one of the socket's handshake."""
        return self.headers.get("traceparent")

    @property
    def tracestate(self) -> Optional[str]:
        """The W3C ``tracestate`` header that arrived, if any."""
        return self.headers.get("tracestate")


def redact(value: Any) -> Any:
    """Copy of a JSON value with every API-key-looking string replaced."""
    try:
        return _redact(value)
    except RecursionError:
        return "<too deeply nested to record>"


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return KEY_RE.sub("cc_" + REDACTED, value)
    if isinstance(value, Mapping):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


class RecordingControls:
    """The controls of recorded requests: ``requests``, ``requests_to``,
    ``traceparents``, ``set_recording``, ``clear_requests``."""

    _lock: threading.RLock

    def _init_recording(self) -> None:
        self._requests: list[RecordedRequest] = []
        self._recording = True

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request that arrived (REST and WebSocket messages), oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str, method: Optional[str] = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if r.path == path and (method is None or r.method == method.upper())
        ]

    def traceparents(self, path: Optional[str] = None) -> list[Optional[str]]:
        """The ``traceparent`` each recorded request arrived with (``None`` where none
        was sent), oldest first; only those to ``path`` when given. WebSocket messages
        (``method="WS"``) carry their handshake's."""
        return [r.traceparent for r in self.requests if path is None or r.path == path]

    def set_recording(self, enabled: bool) -> None:
        """Record requests (default) or not (long benchmark runs: no growing list)."""
        with self._lock:
            self._recording = enabled

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, rec: RecordedRequest) -> None:
        with self._lock:
            if self._recording:
                self._requests.append(rec)
