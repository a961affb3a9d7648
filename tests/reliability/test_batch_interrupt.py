"""Issue 11 row 11: Ctrl-C and cancellation end ``batch()`` at once; pending chunks stay unsent.

A stdlib HTTP server on 127.0.0.1 answers ``/health`` (5 workers, idle) and holds every
``POST /v1/batch`` until the test ends, as a service busy with long runs would. The sync
case runs ``batch()`` in a child process and sends it a real SIGINT once two chunks are
out; the async case cancels the task. Both must end within about a second and the server
must never see a third chunk.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from claude_client import AsyncClaudeClient

ROOT = Path(__file__).resolve().parents[2]
KEY = "cc_" + "5e" * 20
HEALTH = {
    "status": "ok",
    "version": "0.1.0",
    "uptime_seconds": 1.0,
    "services": {
        "worker_pool": {
            "status": "ok",
            "detail": {
                "status": "ok",
                "active_workers": 0,
                "max_workers": 5,
                "queued_tasks": 0,
                "max_queue": 50,
            },
        }
    },
}
PROMPTS = 40  # 8 chunks of 5; two go out before the run time is known
ENDS_WITHIN = 1.5  # "about a second"; generous for a loaded 2-core box


class HoldingServer:
    """Answers /health; holds each POST /v1/batch until ``release`` (counted in ``batches``)."""

    def __init__(self) -> None:
        self.batches = 0
        self.arrived = threading.Condition()
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._json(HEALTH)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with owner.arrived:
                    owner.batches += 1
                    owner.arrived.notify_all()
                owner.release.wait(60)
                self._json({"detail": "released at teardown"}, 500)

            def _json(self, body: object, status: int = 200) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def wait_for_batches(self, n: int, timeout: float = 30.0) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: self.batches >= n, timeout), self.batches

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[HoldingServer]:
    s = HoldingServer()
    yield s
    s.close()


CHILD = textwrap.dedent(
    """
    import sys, time
    from claude_client import ClaudeClient

    client = ClaudeClient(sys.argv[1], api_key=sys.argv[2], timeout=120)
    print("ready", flush=True)
    try:
        client.batch([f"prompt {i}" for i in range(int(sys.argv[3]))], chunk_size=5)
    except KeyboardInterrupt:
        print("interrupted", time.monotonic(), flush=True)
        sys.exit(3)
    print("finished", flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_ends_a_sync_batch_at_once_and_sends_nothing_more(
    server: HoldingServer, tmp_path: Path
) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CLAUDE_LOG", None)
    child = subprocess.Popen(
        [sys.executable, str(script), server.url, KEY, str(PROMPTS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        server.wait_for_batches(2)
        sent_at = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
        exited = time.monotonic() - sent_at
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 3, (out, err)
    words = out.split()
    assert words[0] == "interrupted", out
    assert float(words[1]) - sent_at < ENDS_WITHIN  # batch() raised at once ...
    assert exited < ENDS_WITHIN + 3.0  # ... and the process was not held up by its threads
    assert server.batches == 2  # the pending chunks were never sent


async def test_cancelling_an_async_batch_ends_it_at_once(server: HoldingServer) -> None:
    async with AsyncClaudeClient(server.url, api_key=KEY, timeout=120) as client:
        task = asyncio.create_task(
            client.batch([f"prompt {i}" for i in range(PROMPTS)], chunk_size=5)
        )
        await asyncio.to_thread(server.wait_for_batches, 2)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, ENDS_WITHIN + 3.0)
        assert time.monotonic() - started < ENDS_WITHIN
        # Give a stray send every chance to happen before counting.
        for _ in range(5):
            await asyncio.sleep(0.05)
        assert server.batches == 2
