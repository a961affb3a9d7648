"""A user's httpx client is wrapped, never patched (issue 12): sync and async."""

from __future__ import annotations

import httpx2
import pytest

import claude_client as cc

from .conftest import BASE, CHAT_BODY, HEALTH_BODY, KEY


def _handler(seen: list[httpx2.Request]) -> httpx2.MockTransport:
    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.url.path == "/health":
            return httpx2.Response(200, json=HEALTH_BODY)
        return httpx2.Response(200, json=CHAT_BODY)

    return httpx2.MockTransport(handle)


def test_sync_user_client_is_used_as_is_and_left_unchanged() -> None:
    seen: list[httpx2.Request] = []
    hooked: list[str] = []
    transport = _handler(seen)
    http = httpx2.Client(
        transport=transport,
        headers={"X-Mine": "1"},
        event_hooks={"request": [lambda r: hooked.append(r.url.path)]},
    )
    before = (http.base_url, dict(http.headers), http._transport)
    hooked_before = list(http.event_hooks["request"])
    client = cc.ClaudeClient(BASE, api_key=KEY, http_client=http)
    assert client.complete("Hi").content == "Hello there"
    # Sent through the user's client (its transport and hooks), with our auth and headers.
    assert hooked == ["/v1/chat/completions"]
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert seen[0].headers["x-mine"] == "1"
    assert seen[0].headers["user-agent"].startswith("claude-code-client/")
    # Nothing of the user's client was replaced.
    assert (http.base_url, dict(http.headers), http._transport) == before
    assert http.event_hooks["request"] == hooked_before
    client.close()
    with pytest.raises(cc.ClientClosedError):  # the SDK client refuses once closed
        client.health()
    # The user's client stays theirs: open, and still working for their own requests.
    assert not http.is_closed
    assert http.get(f"{BASE}/health").status_code == 200
    assert len(seen) == 2
    http.close()


async def test_async_user_client_is_used_as_is_and_left_unchanged() -> None:
    seen: list[httpx2.Request] = []
    hooked: list[str] = []

    async def hook(request: httpx2.Request) -> None:
        hooked.append(request.url.path)

    http = httpx2.AsyncClient(transport=_handler(seen), event_hooks={"request": [hook]})
    before = (http.base_url, dict(http.headers), http._transport)
    async with cc.AsyncClaudeClient(BASE, api_key=KEY, http_client=http) as client:
        assert (await client.health()).status == "healthy"
    assert hooked == ["/health"]
    assert (http.base_url, dict(http.headers), http._transport) == before
    assert http.event_hooks["request"] == [hook]
    with pytest.raises(cc.ClientClosedError):
        await client.health()
    assert not http.is_closed
    assert (await http.get(f"{BASE}/health")).status_code == 200
    assert len(seen) == 2
    await http.aclose()


def test_http_client_and_transport_together_are_refused() -> None:
    with httpx2.Client() as http, pytest.raises(cc.InvalidInputError) as info:
        cc.ClaudeClient(BASE, api_key=KEY, http_client=http, transport=httpx2.HTTPTransport())
    assert info.value.param == "transport"


# --------------------------------------------------------------------------- httpx -> httpx2


def _old_httpx_type(name: str) -> type:
    """A stand-in for a class of the old ``httpx`` package: only its module name counts."""
    return type(name, (), {"__module__": "httpx._client"})  # httpx2-codemod: keep


@pytest.mark.parametrize(
    ("client_cls", "expected"),
    [(cc.ClaudeClient, "httpx2.Client"), (cc.AsyncClaudeClient, "httpx2.AsyncClient")],
)
@pytest.mark.parametrize("name", ["Client", "AsyncClient"])
def test_old_httpx_client_is_refused_with_the_migration(
    client_cls: type, expected: str, name: str
) -> None:
    old = _old_httpx_type(name)()
    with pytest.raises(cc.InvalidInputError) as info:
        client_cls(BASE, api_key=KEY, http_client=old)
    assert info.value.param == "http_client"
    message = str(info.value)
    assert message.startswith("http_client: ")
    assert f"pass an {expected}" in message
    assert "replace `import httpx` with `import httpx2`" in message  # httpx2-codemod: keep


def test_real_old_httpx_client_and_transport_are_refused() -> None:
    old_httpx = pytest.importorskip("httpx")  # httpx2-codemod: keep (dev extra: benchmarks)
    with old_httpx.Client() as old, pytest.raises(cc.InvalidInputError) as info:
        cc.ClaudeClient(BASE, api_key=KEY, http_client=old)
    assert info.value.param == "http_client" and "old `httpx` package" in str(info.value)
    with pytest.raises(cc.InvalidInputError) as info:
        cc.ClaudeClient(BASE, api_key=KEY, transport=old_httpx.HTTPTransport())
    assert info.value.param == "transport" and "`import httpx2`" in str(info.value)


def test_other_http_client_types_name_httpx2() -> None:
    with pytest.raises(cc.InvalidInputError) as info:
        cc.ClaudeClient(BASE, api_key=KEY, http_client=object())  # type: ignore[arg-type]
    assert str(info.value) == "http_client: must be an httpx2.Client, not object"
    wrong_kind = httpx2.AsyncClient()  # never opened: nothing to close
    with pytest.raises(cc.InvalidInputError) as info:
        cc.ClaudeClient(BASE, api_key=KEY, http_client=wrong_kind)  # type: ignore[arg-type]
    assert "must be an httpx2.Client, not AsyncClient" in str(info.value)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_httpx2_client_is_accepted(kind: str) -> None:
    seen: list[httpx2.Request] = []
    if kind == "sync":
        with (
            httpx2.Client(transport=_handler(seen)) as http,
            cc.ClaudeClient(BASE, api_key=KEY, http_client=http) as client,
        ):
            assert client.complete("Hi").content == "Hello there"
    else:
        async with (
            httpx2.AsyncClient(transport=_handler(seen)) as http,
            cc.AsyncClaudeClient(BASE, api_key=KEY, http_client=http) as client,
        ):
            assert (await client.complete("Hi")).content == "Hello there"
    assert [r.url.path for r in seen] == ["/v1/chat/completions"]
