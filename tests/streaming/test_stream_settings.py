"""URL derivation, settings, and the lazy import of websockets."""

from __future__ import annotations

import subprocess
import sys

import pytest

from claude_client._streaming import StreamSettings, ws_url_from_base


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://localhost:8006", "ws://localhost:8006/v1/stream"),
        ("http://localhost:8006/", "ws://localhost:8006/v1/stream"),
        ("https://api.example.com", "wss://api.example.com/v1/stream"),
        ("HTTPS://api.example.com:8443/claude/", "wss://api.example.com:8443/claude/v1/stream"),
        ("http://10.0.0.1/a/b", "ws://10.0.0.1/a/b/v1/stream"),
        ("http://[::1]:8006", "ws://[::1]:8006/v1/stream"),
        ("ws://host:1", "ws://host:1/v1/stream"),
        # Credentials, query and fragment never reach the socket URL.
        (
            "https://user:cc_secret@api.example.com/x?key=cc_secret#f",
            "wss://api.example.com/x/v1/stream",
        ),
    ],
)
def test_ws_url_from_base(base: str, expected: str) -> None:
    assert ws_url_from_base(base) == expected


@pytest.mark.parametrize("base", ["ftp://host", "localhost:8006", "http://", ""])
def test_ws_url_rejects_what_is_not_an_http_url(base: str) -> None:
    with pytest.raises(ValueError):
        ws_url_from_base(base)


def test_from_client_builds_headers() -> None:
    s = StreamSettings.from_client(
        base_url="https://api.example.com",
        api_key="cc_k",
        default_headers={"authorization": "Bearer old", "X-Team": "a"},
        timeout=30,
    )
    assert s.ws_url == "wss://api.example.com/v1/stream"
    assert dict(s.headers) == {"X-Team": "a"}
    assert dict(s.handshake_headers()[0]) == {"X-Team": "a", "Authorization": "Bearer cc_k"}
    assert s.api_key == "cc_k"
    assert s.timeout == 30
    assert s.with_timeout(5).timeout == 5
    assert s.with_timeout(5).headers == s.headers


def test_from_client_without_key() -> None:
    s = StreamSettings.from_client(base_url="http://h", api_key=None)
    assert dict(s.headers) == {}
    assert s.api_key is None


def test_user_agent_goes_to_its_own_header() -> None:
    s = StreamSettings(ws_url="ws://h/v1/stream", headers={"User-Agent": "ua/1", "X-A": "b"})
    extra, user_agent = s.handshake_headers()
    assert (list(extra.items()), user_agent) == ([("X-A", "b")], "ua/1")


@pytest.mark.parametrize(
    "bad",
    [{"max_retries": -1}, {"timeout": 0}, {"idle_timeout": -1}, {"connect_timeout": 0}],
)
def test_settings_reject_nonsense(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        StreamSettings(ws_url="ws://h/v1/stream", **bad)  # type: ignore[arg-type]


def test_no_timeouts_at_all_is_allowed() -> None:
    s = StreamSettings(ws_url="ws://h/v1/stream", timeout=None, idle_timeout=None)
    assert s.timeout is None and s.idle_timeout is None


def test_importing_the_package_does_not_import_websockets() -> None:
    code = (
        "import sys, claude_client, claude_client._streaming; "
        "print(any(m.split('.')[0] == 'websockets' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "messages",
    [[], "hello", [{"role": "user"}], [{"role": "user", "content": 3}], ["hi"]],
    ids=["empty", "str", "no-content", "content-not-str", "not-a-mapping"],
)
def test_bad_chat_input_is_caught_before_connecting(messages: object) -> None:
    from claude_client import InvalidInputError
    from claude_client._streaming import AsyncChatStream, ChatStream

    settings = StreamSettings(ws_url="ws://127.0.0.1:9/v1/stream")
    for cls in (ChatStream, AsyncChatStream):
        with pytest.raises(InvalidInputError) as info:
            cls(settings, messages=messages)  # type: ignore[arg-type]
        assert info.value.param == "messages"


def test_a_message_without_role_is_sent_as_user() -> None:
    from claude_client._streaming._core import ChatProtocol

    protocol = ChatProtocol(model="haiku", messages=[{"content": "hi"}], project_id=None)
    assert protocol.request(None)["messages"] == [{"role": "user", "content": "hi"}]


def test_infinite_timeout_means_no_deadline() -> None:
    s = StreamSettings(ws_url="ws://h/v1/stream", timeout=float("inf"))
    assert s.timeout is None


@pytest.mark.parametrize("client_name", ["ClaudeClient", "AsyncClaudeClient"])
def test_for_client_reads_what_the_facade_exposes(client_name: str) -> None:
    import claude_client

    cls = getattr(claude_client, client_name)
    client = cls(
        base_url="https://svc.example.com/claude",
        api_key="cc_for_client_key",
        timeout=42,
        max_retries=4,
        default_headers={"X-Team": "blue"},
    )
    s = StreamSettings.for_client(client, idle_timeout=5)
    assert s.ws_url == "wss://svc.example.com/claude/v1/stream"
    assert "Authorization" not in s.headers
    assert s.handshake_headers()[0]["Authorization"] == "Bearer cc_for_client_key"
    assert s.headers["X-Team"] == "blue"
    assert "User-Agent" in s.headers
    assert s.api_key == "cc_for_client_key"
    assert (s.timeout, s.max_retries, s.idle_timeout) == (42, 4, 5)
    assert StreamSettings.for_client(client, timeout=3).timeout == 3
    assert "cc_for_client_key" not in repr(s)


# --------------------------------------------------------------------------- TLS trust


@pytest.mark.parametrize("client_name", ["ClaudeClient", "AsyncClaudeClient"])
def test_wss_trusts_what_rest_trusts_by_default(client_name: str) -> None:
    import claude_client

    client = getattr(claude_client, client_name)(base_url="https://svc.example.com", api_key="k")
    s = StreamSettings.for_client(client)
    # The very context of the SDK's own httpx2 pool (httpx2's default trust).
    rest_pool = client._http._transport._inner._pool
    assert s.ssl_context is rest_pool._ssl_context
    assert s.connect_options()["ssl"] is s.ssl_context
    assert "ssl_context" not in repr(s)


@pytest.mark.parametrize("client_name", ["ClaudeClient", "AsyncClaudeClient"])
def test_wss_uses_the_users_verify_context(client_name: str) -> None:
    import ssl

    import httpx2

    import claude_client

    ctx = ssl.create_default_context()
    http = (httpx2.Client if client_name == "ClaudeClient" else httpx2.AsyncClient)(verify=ctx)
    client = getattr(claude_client, client_name)(
        base_url="https://svc.example.com", api_key="k", http_client=http
    )
    s = StreamSettings.for_client(client)
    assert s.ssl_context is ctx
    assert s.connect_options()["ssl"] is ctx


def test_plain_ws_and_unknown_transports_get_no_ssl_option() -> None:
    import httpx2

    import claude_client

    plain = claude_client.ClaudeClient(base_url="http://svc.example.com", api_key="k")
    assert "ssl" not in StreamSettings.for_client(plain).connect_options()
    mocked = claude_client.ClaudeClient(
        base_url="https://svc.example.com",
        api_key="k",
        transport=httpx2.MockTransport(lambda r: httpx2.Response(200)),
    )
    s = StreamSettings.for_client(mocked)
    assert s.ssl_context is None and "ssl" not in s.connect_options()  # websockets' default
