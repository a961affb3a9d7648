"""Running the fake: start/stop without leaks, the CLI, the pytest plugin, import isolation."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx2
from websockets.sync.client import connect

from claude_client.testing import serve

PY = sys.executable


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_serve_is_fast_and_leaves_no_threads_or_sockets() -> None:
    with serve():  # warm up imports and lazily created globals
        pass
    threads, fds = threading.active_count(), open_fds()
    before = set(threading.enumerate())
    started = time.monotonic()
    for _ in range(5):
        with serve() as fake:
            with httpx2.Client(base_url=fake.base_url, headers=fake.auth_headers()) as c:
                assert (
                    c.post(
                        "/v1/chat/completions",
                        json={"messages": [{"role": "user", "content": "x"}]},
                    ).status_code
                    == 200
                )
            with connect(fake.ws_url, open_timeout=5) as ws:
                ws.send(
                    '{"type": "chat", "model": "haiku", "messages": [{"role": "user", '
                    '"content": "x"}]}'
                )
                while '"done"' not in str(ws.recv(timeout=5)):
                    pass
    assert (time.monotonic() - started) / 5 < 1.0  # start + calls + stop
    deadline = time.monotonic() + 2
    while threading.active_count() > threads and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() == threads
    assert open_fds() <= fds
    assert not [t for t in set(threading.enumerate()) - before if t.name.startswith("claude-fake")]


def test_stopped_port_refuses_connections() -> None:
    with serve() as fake:
        url = fake.base_url
    try:
        httpx2.get(url + "/health", timeout=1)
    except httpx2.ConnectError:
        pass
    else:
        raise AssertionError("the port still answers after stop")


def test_fixed_port_key_and_rpm() -> None:
    key = "cc_" + "ab" * 20
    with serve(api_key=key, rpm=3) as first, serve(port=0) as second:
        assert first.port != second.port
        assert first.api_key == key and repr(first).startswith("<FakeService http://127.0.0.1:")
        assert key not in repr(first)
        codes = [
            httpx2.get(first.base_url + "/v1/usage", headers=first.auth_headers()).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        assert first.client_kwargs() == {"base_url": first.base_url, "api_key": key}
        assert first.ws_url == first.base_url.replace("http", "ws") + "/v1/stream"


def test_import_claude_client_does_not_import_the_fake() -> None:
    code = (
        "import sys, claude_client; "
        "bad = [m for m in ('fastapi', 'uvicorn', 'claude_client.testing') if m in sys.modules]; "
        "print(bad); assert not bad"
    )
    subprocess.run([PY, "-c", code], check=True, capture_output=True, timeout=60)


def test_missing_extra_gives_a_clear_error() -> None:
    code = textwrap.dedent("""
        import sys
        sys.modules["fastapi"] = None  # as if the 'testing' extra were not installed
        import claude_client.testing.pytest_plugin  # the plugin still loads
        try:
            from claude_client.testing import serve
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit("no ImportError")
    """)
    out = subprocess.run(
        [PY, "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert "'testing' extra" in out and "claude-code-client[testing]" in out


# Runs a command as if the 'testing' extra were not installed: a meta-path finder
# refuses fastapi and uvicorn (a raw ModuleNotFoundError, as pip would leave it).
WITHOUT_EXTRA = textwrap.dedent("""
    import runpy, sys

    class NoTestingExtra:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in ("fastapi", "uvicorn"):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoTestingExtra())
    sys.argv = ["python -m claude_client.testing", *sys.argv[1:]]
    runpy.run_module("claude_client.testing", run_name="__main__", alter_sys=True)
""")


def test_cli_without_the_extra_says_what_to_install() -> None:
    run = subprocess.run(
        [PY, "-c", WITHOUT_EXTRA, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        "error: claude_client.testing needs FastAPI and uvicorn: install the 'testing' extra,"
        " e.g. pip install 'claude-code-client[testing]'"
    ]
    assert run.stdout == ""


def test_cli_runs_standalone_and_prints_a_key() -> None:
    proc = subprocess.Popen(
        [PY, "-m", "claude_client.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(5)]
        text = "".join(lines)
        url = re.search(r"on (http://127\.0\.0\.1:\d+)", text)
        key = re.search(r"pro key:\s+(cc_[0-9a-f]{40})", text)
        assert url and key, text
        r = httpx2.get(
            url.group(1) + "/v1/usage", headers={"Authorization": f"Bearer {key.group(1)}"}
        )
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0


def test_pytest_plugin_fixture_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent("""
        import httpx2
        import pytest

        def test_user_code(claude_fake):
            r = httpx2.post(claude_fake.base_url + "/v1/chat/completions",
                           json={"messages": [{"role": "user", "content": "hi"}]},
                           headers=claude_fake.auth_headers())
            assert r.json()["content"] == claude_fake.expected_answer("hi")

        def test_state_is_reset_between_tests(claude_fake):
            assert claude_fake.requests == []

        def test_kwargs(claude_client_kwargs):
            assert set(claude_client_kwargs) == {"base_url", "api_key"}

        def test_client(claude_fake_client, claude_fake):
            assert claude_fake_client.complete("hi").content == claude_fake.expected_answer("hi")

        used = []

        @pytest.mark.asyncio  # pytest-asyncio's default strict mode: no config file here
        async def test_async_client(claude_fake_async_client, claude_fake):
            answer = await claude_fake_async_client.complete("hi")
            assert answer.content == claude_fake.expected_answer("hi")
            async for _ in claude_fake_async_client.stream("hi", model="haiku"):
                pass
            used.append(claude_fake_async_client)

        def test_async_client_was_closed_after_its_test():
            assert used and used[0].closed
    """)
    )
    result = subprocess.run(
        [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_asgi_app_works_in_process() -> None:
    from claude_client.testing import FakeControls, create_app

    controls = FakeControls()
    transport = httpx2.ASGITransport(app=create_app(controls))
    import asyncio

    async def call() -> httpx2.Response:
        async with httpx2.AsyncClient(transport=transport, base_url="http://fake") as c:
            return await c.post(
                "/v1/chat/completions",
                json={"messages": [{"role": "user", "content": "in process"}]},
                headers={"Authorization": f"Bearer {controls.api_key}"},
            )

    r = asyncio.run(call())
    assert r.json()["content"] == "Answer: in process"


def test_no_nagle_delay_between_headers_and_body() -> None:
    # uvicorn writes headers and body in two sends; without TCP_NODELAY each response
    # waited ~40 ms for the client's delayed ACK (benchmarks would measure that).
    with serve() as fake, httpx2.Client(base_url=fake.base_url) as c:
        c.get("/health")
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            c.get("/health")
            timings.append(time.perf_counter() - started)
    timings.sort()
    assert timings[len(timings) // 2] < 0.02
