"""Minimal loopback servers for the benchmark floors.

Run as a subprocess (so the server never competes with the measured client for the GIL):

    python benchmarks/_servers.py http          # canned REST answers, instantly
    python benchmarks/_servers.py ws [N]        # /v1/stream: N token frames then done

Each prints ``PORT <n>`` on stdout once it listens on 127.0.0.1 and exits when its
stdin closes (i.e. when the parent goes away). Both are plain asyncio protocols with
pre-encoded answers: leaner than uvicorn, so the floor is the client's own cost and a
slow server cannot dilute the SDK-vs-raw ratios towards 1.0.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import sys
import threading

CHAT_BODY = json.dumps(
    {
        "id": "chatcmpl-bench-0001",
        "model": "haiku",
        "content": "Hello from the benchmark floor server.",
        "usage": {"input_tokens": 5, "output_tokens": 7, "total_tokens": 12},
        "cost": 1.0e-05,
        "project_id": "default",
    },
    separators=(",", ":"),
).encode()

ROUTE_BODY = json.dumps(
    {"recommended_model": "haiku", "reasoning": "benchmark", "budget_status": {}},
    separators=(",", ":"),
).encode()

HEALTH_BODY = b'{"status":"healthy","services":{}}'
NOT_FOUND_BODY = b'{"detail":"Not Found"}'


def _response(status: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "x-request-id: 00000000-0000-4000-8000-000000000000\r\n"
        "\r\n"
    ).encode() + body


RESPONSES = {
    (b"POST", b"/v1/chat/completions"): _response("200 OK", CHAT_BODY),
    (b"POST", b"/v1/route"): _response("200 OK", ROUTE_BODY),
    (b"GET", b"/health"): _response("200 OK", HEALTH_BODY),
}
NOT_FOUND = _response("404 Not Found", NOT_FOUND_BODY)


class HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive, Content-Length bodies only (what httpx sends here)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end]
            length = 0
            close = False
            lines = head.split(b"\r\n")
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            total = end + 4 + length
            if len(self.buf) < total:
                return
            self.buf = self.buf[total:]
            method, path, _ = lines[0].split(b" ", 2)
            path = path.split(b"?", 1)[0]
            self.transport.write(RESPONSES.get((method, path), NOT_FOUND))
            if close:
                self.transport.close()
                return


# --------------------------------------------------------------------------- WebSocket

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One unmasked, unfragmented server frame."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return header + payload


def chat_answer(n_tokens: int) -> bytes:
    """The whole answer to one chat message, pre-encoded: N small token frames + done."""
    frames = [
        ws_frame(json.dumps({"type": "token", "content": f"w{i} "}).encode())
        for i in range(n_tokens)
    ]
    done = {
        "type": "done",
        "usage": {"input_tokens": 3, "output_tokens": n_tokens, "total_tokens": n_tokens + 3},
        "cost": round(n_tokens * 1.25e-6, 6),
        "model": "haiku",
    }
    frames.append(ws_frame(json.dumps(done).encode()))
    return b"".join(frames)


class WSProtocol(asyncio.Protocol):
    """Just enough RFC 6455 for STREAMING.md's chat: handshake, text, ping, close."""

    def __init__(self, answer: bytes) -> None:
        self.answer = answer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buf = b""
        self.upgraded = False

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buf = self.buf[:end], self.buf[end + 4 :]
            lines = head.split(b"\r\n")
            path = lines[0].split(b" ")[1].split(b"?", 1)[0]
            key = b""
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"sec-websocket-key":
                    key = value.strip()
            if path != b"/v1/stream" or not key:
                self.transport.write(NOT_FOUND)
                self.transport.close()
                return
            accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
            self.transport.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            self.upgraded = True
        while self._one_frame():
            pass

    def _one_frame(self) -> bool:
        buf = self.buf
        if len(buf) < 2:
            return False
        opcode = buf[0] & 0x0F
        masked = buf[1] & 0x80
        n = buf[1] & 0x7F
        pos = 2
        if n == 126:
            if len(buf) < 4:
                return False
            (n,) = struct.unpack_from("!H", buf, 2)
            pos = 4
        elif n == 127:
            if len(buf) < 10:
                return False
            (n,) = struct.unpack_from("!Q", buf, 2)
            pos = 10
        mask = b""
        if masked:
            mask = buf[pos : pos + 4]
            pos += 4
        if len(buf) < pos + n:
            return False
        payload = buf[pos : pos + n]
        self.buf = buf[pos + n :]
        if masked:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if opcode == 0x8:  # close: echo the code, then drop the TCP connection
            self.transport.write(ws_frame(payload[:2], 0x8))
            self.transport.close()
            return False
        if opcode == 0x9:  # ping
            self.transport.write(ws_frame(payload, 0xA))
        elif opcode == 0x1:
            try:
                msg = json.loads(payload)
            except ValueError:
                msg = None
            if isinstance(msg, dict) and msg.get("type") == "chat":
                self.transport.write(self.answer)
            else:
                err = {"type": "error", "error": "Unknown message type: bench"}
                self.transport.write(ws_frame(json.dumps(err).encode()))
        return True


async def _serve(kind: str, n_tokens: int) -> None:
    loop = asyncio.get_running_loop()
    if kind == "http":
        server = await loop.create_server(HTTPProtocol, "127.0.0.1", 0, backlog=512)
    elif kind == "ws":
        answer = chat_answer(n_tokens)
        server = await loop.create_server(lambda: WSProtocol(answer), "127.0.0.1", 0)
    else:
        raise SystemExit(f"unknown server kind {kind!r}")
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    stop = asyncio.Event()
    # The parent closes our stdin (or dies): stop then, never linger.
    threading.Thread(
        target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stop.set)), daemon=True
    ).start()
    async with server:
        await stop.wait()


if __name__ == "__main__":
    _kind = sys.argv[1] if len(sys.argv) > 1 else "http"
    _n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    asyncio.run(_serve(_kind, _n))
