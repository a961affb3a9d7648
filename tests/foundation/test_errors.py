"""The hierarchy drawn in ``_exceptions``' docstring, and ``_errors``' own decisions.

The drawing at the top of ``claude_client/_exceptions.py`` is documentation users
read; this keeps it true: every class of the hierarchy appears once, under its
real parent.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

import claude_client
from claude_client import (
    APIConnectionError,
    AsyncClaudeClient,
    ClaudeAPIError,
    ClientClosedError,
    ResponseValidationError,
    _exceptions,
)
from claude_client._errors import error_from_generated


def _drawn_tree() -> dict[str, list[str]]:
    """{class name: [parent, second parents drawn as ``+ Name``]} from the drawing."""
    doc = _exceptions.__doc__ or ""
    block = doc.split("::", 1)[1].split("\n\n", 2)[1]
    parents: dict[str, list[str]] = {}
    stack: list[str] = []
    for line in block.splitlines():
        match = re.match(r"^(\s*)((?:[│ ]   )*)(?:[├└]── )?(\w+)", line)
        assert match, line
        depth = len(match.group(2)) // 4 + (1 if "──" in line else 0)
        name = match.group(3)
        del stack[depth:]
        if stack:
            extra = re.findall(r"\+ (\w+)", line)
            parents[name] = [stack[-1], *(n for n in extra if n in _exceptions.__all__)]
        stack.append(name)
    return parents


def test_the_drawn_tree_is_the_class_tree() -> None:
    drawn = _drawn_tree()
    classes = {
        name: obj
        for name in _exceptions.__all__
        if isinstance(obj := getattr(_exceptions, name), type) and obj.__name__ == name
    }
    assert set(drawn) | {"ClaudeAPIError"} == set(classes)
    for name, parents in drawn.items():
        bases = [b.__name__ for b in classes[name].__bases__ if issubclass(b, ClaudeAPIError)]
        assert bases == parents, name
    # Every exported error class is one of them (aliases aside).
    for name in claude_client.__all__:
        obj = getattr(claude_client, name)
        if isinstance(obj, type) and issubclass(obj, ClaudeAPIError):
            assert obj.__name__ in classes


def _raised_by_asyncio() -> RuntimeError:
    loop = asyncio.new_event_loop()
    loop.close()
    try:
        loop.call_soon(print)
    except RuntimeError as exc:
        return exc
    raise AssertionError("a closed loop accepted a callback")


def test_an_event_loop_error_is_told_apart_by_where_it_was_raised() -> None:
    err = error_from_generated("chat", _raised_by_asyncio(), closed=False, client="AsyncX")
    assert type(err) is APIConnectionError
    assert "create one client per event loop" in err.message


def test_a_runtime_error_that_only_mentions_a_loop_is_not_one() -> None:
    try:
        raise RuntimeError("the retry loop of my own code failed")
    except RuntimeError as exc:
        err = error_from_generated("chat", exc, closed=False, client="AsyncX")
    assert type(err) is APIConnectionError
    assert "event loop" not in err.message
    assert "the request failed (RuntimeError" in err.message


def test_parser_errors_and_a_closed_client() -> None:
    parsed = error_from_generated("chat", KeyError("choices"), closed=False, client="X")
    assert type(parsed) is ResponseValidationError
    closed = error_from_generated("chat", RuntimeError("x"), closed=True, client="X")
    assert type(closed) is ClientClosedError


def test_an_async_client_reused_on_a_second_event_loop_says_so(claude_fake: Any) -> None:
    """The real case the event-loop signal exists for, end to end."""
    pytest.importorskip("fastapi")
    client = AsyncClaudeClient(**claude_fake.client_kwargs(), max_retries=0)

    async def ask() -> Any:
        return await client.complete("hi", model="haiku")

    asyncio.run(ask())
    with pytest.raises(APIConnectionError) as info:
        asyncio.run(ask())  # its pooled connection belongs to the first, closed loop
    assert "create one client per event loop" in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_a_refused_socket_at_the_default_base_url_says_how_to_point_elsewhere() -> None:
    from claude_client._errors import error_from_ws_connect

    refused = ConnectionRefusedError(111, "Connection refused")
    default = error_from_ws_connect(refused, "ws://localhost:8006/v1/stream").error
    assert type(default) is APIConnectionError
    assert default.method == "GET" and default.url == "ws://localhost:8006/v1/stream"
    assert "is the service running? The default is http://localhost:8006" in str(default)
    chosen = error_from_ws_connect(refused, "ws://127.0.0.1:9/v1/stream?x=1").error
    assert chosen.url == "ws://127.0.0.1:9/v1/stream"  # no query in errors
    assert "is the service running" not in str(chosen)
