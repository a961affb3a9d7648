"""The API key never shows: not in logs, reprs, exception messages, nor in what the
service receives outside the ``Authorization`` header.

Every reliability test runs with DEBUG logging on ``claude_client`` and root, each
record scanned (``reliability_kit.WATCH``); the matrix, fuzz and load tests also hand
their exceptions, results and streams to it. The last test of the reliability session
(moved there by the conftest) asserts the captured log is not empty and holds no key.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from reliability_kit import KEY_RE, WATCH, assert_sdk_error

from claude_client import (
    AsyncClaudeClient,
    AuthenticationError,
    ClaudeAPIError,
    ClaudeClient,
    InvalidInputError,
    PermissionError,
)
from claude_client._streaming import (
    AsyncChatStream,
    AsyncTaskStream,
    ChatStream,
    StreamSettings,
    TaskStream,
)
from claude_client._transport import current_options
from claude_client.testing import FakeService, Fault, new_key

# A key that does not look like the service's (cc_ + 40 hex): found by value, not pattern.
ODD_KEY = "sk-reliability-0123456789-SECRET-abcdef"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: Any = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _check_error(exc: BaseException, where: str) -> None:
    assert_sdk_error(exc)
    for link in _chain(exc):  # what a traceback prints: str of every link
        WATCH.check(link, where)


def _check_not_in(text: str, *keys: str) -> None:
    for key in keys:
        assert key not in text
    assert not KEY_RE.search(text), text


@pytest.fixture
def per_project_keys(fake: FakeService) -> dict[str, str]:
    keys = {"alpha": fake.add_key(project_id="alpha"), "beta": fake.add_key(project_id="beta")}
    WATCH.add_secret(*keys.values())
    return keys


def test_reprs_of_clients_settings_streams_and_results(
    fake: FakeService, per_project_keys: dict[str, str]
) -> None:
    WATCH.add_secret(ODD_KEY)
    with (
        ClaudeClient(base_url=fake.base_url, api_key=fake.api_key) as single,
        ClaudeClient(base_url=fake.base_url, api_key=per_project_keys, project_id="alpha") as multi,
        ClaudeClient(base_url=fake.base_url, api_key=ODD_KEY) as odd,
    ):
        for client in (single, multi, odd):
            WATCH.check(client)
            WATCH.check(client._keys)
            WATCH.check(client.generated)  # the generated client's attrs repr shows its token
            assert "authorization" not in {k.lower() for k in client._http.headers}
            _check_not_in(repr(client.__dict__), ODD_KEY)
        result = single.complete("hello there", model="haiku")
        WATCH.check(result)
        WATCH.check(result.usage)
        task = multi.agentic_task("count files", timeout=30, max_cost=0.5)
        WATCH.check(task)
        settings = StreamSettings.for_client(single, close_timeout=1.0)
        WATCH.check(settings)
        stream = ChatStream(settings, messages=[{"role": "user", "content": "a b"}])
        WATCH.check(stream)
        assert "".join(stream)
        WATCH.check(stream)
        task_stream = TaskStream(settings, description="count files", timeout=30, max_cost=0.5)
        WATCH.check(task_stream)
        items = list(task_stream)
        WATCH.check_all([task_stream, *items])
        assert current_options() is None  # no call options (with a key) linger in context


def test_async_reprs(fake: FakeService) -> None:
    async def main() -> None:
        async with AsyncClaudeClient(base_url=fake.base_url, api_key=fake.api_key) as client:
            WATCH.check(client)
            WATCH.check(client.generated)
            WATCH.check(await client.complete("hi there", model="haiku"))
            settings = StreamSettings.for_client(client, close_timeout=1.0)
            stream = AsyncChatStream(settings, messages=[{"role": "user", "content": "a b"}])
            async with stream:
                WATCH.check(stream)
                assert "".join([c async for c in stream])
            task = AsyncTaskStream(settings, description="count", timeout=30, max_cost=0.5)
            items = [i async for i in task]
            WATCH.check_all([task, *items])

    asyncio.run(main())


@pytest.mark.parametrize(
    "bad_key",
    [
        "cc_" + "ab" * 20 + " SECRET-TAIL",
        "SECRET\tTAB" + "cd" * 10,
        "SECRET\nLINE",
        " ",
    ],
    ids=["space", "tab", "newline", "blank"],
)
def test_malformed_keys_are_rejected_without_echoing_them(bad_key: str) -> None:
    for api_key in (bad_key, {"proj": bad_key}):
        with pytest.raises(InvalidInputError) as info:
            ClaudeClient(base_url="http://127.0.0.1:9", api_key=api_key)
        text = f"{info.value} {info.value!r} {info.value.args!r}"
        assert "SECRET" not in text and "ab" * 20 not in text, text
        assert_sdk_error(info.value)


def test_malformed_key_from_the_environment_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_API_KEY", "cc_SECRET value")
    with pytest.raises(InvalidInputError) as info:
        ClaudeClient(base_url="http://127.0.0.1:9")
    assert "SECRET" not in f"{info.value} {info.value!r}"
    assert info.value.param == "CLAUDE_API_KEY"


def test_error_messages_of_failed_calls(fake: FakeService) -> None:
    WATCH.add_secret(ODD_KEY)
    unknown = new_key()
    WATCH.add_secret(unknown)
    errors: list[tuple[str, BaseException]] = []

    def run(where: str, call: Any) -> None:
        try:
            call()
        except ClaudeAPIError as exc:
            errors.append((where, exc))
        else:
            raise AssertionError(f"{where}: expected an error")

    with ClaudeClient(base_url=fake.base_url, api_key=ODD_KEY, max_retries=0) as odd:
        run("401 odd key", lambda: odd.complete("hi", model="haiku"))
    with ClaudeClient(base_url=fake.base_url, api_key=unknown, max_retries=0) as client:
        run("401 unknown key", lambda: client.get_usage())
    with ClaudeClient(base_url=fake.base_url, api_key=fake.free_key, max_retries=0) as free:
        run("403 permission", lambda: free.agentic_task("x", allow_tools=["Bash"], timeout=30))
        fake.inject(Fault.HANG, path="/v1/usage")
        run("timeout", lambda: free.get_usage(timeout=0.3))
        settings = StreamSettings.for_client(free, idle_timeout=0.5, close_timeout=1.0)
        run(
            "task stream permission",
            lambda: list(TaskStream(settings, description="x", allow_tools=["Bash"], timeout=30)),
        )
        fake.inject(Fault.WS_SILENT, after=1)
        run(
            "chat stream idle timeout",
            lambda: "".join(ChatStream(settings, messages=[{"role": "user", "content": "a b"}])),
        )
        fake.drop_stream_after(1)
        run(
            "chat stream drop",
            lambda: "".join(ChatStream(settings, messages=[{"role": "user", "content": "a b"}])),
        )
    kinds = {type(exc) for _, exc in errors}
    assert AuthenticationError in kinds and PermissionError in kinds
    assert len(errors) == 7
    for where, exc in errors:
        _check_error(exc, where)


def test_the_fake_received_the_key_only_in_the_authorization_header(fake: FakeService) -> None:
    """Every route, the chat socket and the task socket (whose message must carry the
    key in ``api_key``: STREAMING.md); nowhere else: no URL, query, other header, body."""
    with ClaudeClient(
        base_url=fake.base_url, api_key=fake.api_key, default_headers={"X-Trace": "t1"}
    ) as client:
        client.complete("hello", model="haiku")
        client.batch(["a", "b"])
        client.get_usage("week")
        client.route("hello")
        client.process("hello")
        client.agentic_task("count files", timeout=30, max_cost=0.5)
        client.capabilities()
        client.health()
        client.ready()
        client.providers()
        client.provider_models("anthropic")
        settings = StreamSettings.for_client(client, close_timeout=1.0)
        "".join(ChatStream(settings, messages=[{"role": "user", "content": "a b"}]))
        list(TaskStream(settings, description="count files", timeout=30, max_cost=0.5))
    records = fake.requests
    paths = {r.path for r in records}
    assert len(paths) >= 12 and "/v1/stream" in paths
    suffix = fake.api_key[-4:]
    authorized = 0
    for rec in records:
        for name, value in rec.headers.items():
            if name == "authorization":
                assert value == "Bearer <redacted>", value
                authorized += 1
            else:
                assert "redacted" not in value and suffix not in value, (name, value)
        assert "redacted" not in rec.path + rec.query
        body = rec.body
        if rec.method == "WS" and isinstance(body, dict) and body.get("type") == "agentic_task":
            assert body.pop("api_key") == "cc_<redacted>"  # the protocol's own field
        assert "redacted" not in repr(body), (rec.method, rec.path, body)
        if rec.key_suffix is not None:
            assert rec.key_suffix == suffix
    # every REST request and the socket handshakes carried the header
    assert authorized == len(records)


def test_debug_log_to_stderr_with_claude_log_env(fake: FakeService) -> None:
    """``CLAUDE_LOG=debug`` (the SDK's own stderr handler) in a fresh process."""
    script = textwrap.dedent(
        f"""
        from claude_client import ClaudeClient
        from claude_client._streaming import ChatStream, StreamSettings
        c = ClaudeClient(base_url={fake.base_url!r}, max_retries=1)
        c.complete("hello", model="haiku")
        try:
            c.get_usage()
        except Exception as exc:
            print("ERROR", type(exc).__name__, exc)
        s = StreamSettings.for_client(c, close_timeout=1.0)
        print("".join(ChatStream(s, messages=[{{"role": "user", "content": "a b"}}])))
        c.close()
        """
    )
    fake.inject(Fault.ERROR, status=503, retry_after=0, times=1)  # one retry logged at INFO
    fake.inject(Fault.ERROR, status=401, detail="Invalid or revoked API key", path="/v1/usage")
    env = {**os.environ, "CLAUDE_LOG": "debug", "CLAUDE_API_KEY": fake.api_key}
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Retrying POST /v1/chat/completions" in proc.stderr
    assert "DEBUG claude_client" in proc.stderr and "ERROR AuthenticationError" in proc.stdout
    _check_not_in(proc.stderr + proc.stdout, fake.api_key)


def test_captured_log_is_not_empty_and_has_no_key() -> None:
    """The session's verdict (runs after every other reliability test)."""
    assert WATCH.records > 0, "no log record was captured: the log check would be vacuous"
    assert WATCH.sdk_debug_records > 0, "no DEBUG record from claude_client was captured"
    assert WATCH.objects_checked > 0
    assert len(WATCH.secrets) >= 3
    assert not WATCH.leaks, "\n".join(WATCH.leaks[:10])
