"""The sync client is generated from the async one: same surface, same docs, never stale."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest

from claude_client import AsyncClaudeClient, ClaudeClient

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import unasync  # noqa: E402

# Only the async client has these (the sync twins are __enter__ / __exit__ / close).
ASYNC_ONLY = {"__aenter__", "__aexit__", "aclose"}
SYNC_ONLY = {"__enter__", "__exit__"}


def _public(cls: type) -> set[str]:
    names = {n for n in dir(cls) if not n.startswith("_")}
    return names | {
        n
        for n in ("__init__", "__enter__", "__exit__", "__aenter__", "__aexit__")
        if hasattr(cls, n)
    }


def test_both_clients_have_the_same_public_methods() -> None:
    assert _public(AsyncClaudeClient) - ASYNC_ONLY == _public(ClaudeClient) - SYNC_ONLY
    assert {"complete", "agentic_task", "stream", "stream_task", "batch", "call"} <= _public(
        ClaudeClient
    )


@pytest.mark.parametrize(
    "name", sorted(_public(AsyncClaudeClient) - ASYNC_ONLY | {"__aenter__", "__aexit__"})
)
def test_sync_method_is_the_async_one_unasynced(name: str) -> None:
    async_member = inspect.getattr_static(AsyncClaudeClient, name)
    sync_name = unasync.unasync_line(name)
    sync_member = inspect.getattr_static(ClaudeClient, sync_name)
    if isinstance(async_member, property):
        if async_member is sync_member:  # shared from ClientBase
            return
        assert isinstance(sync_member, property), name  # each client's own: compare getters
        async_member, sync_member = async_member.fget, sync_member.fget
    assert callable(async_member) and callable(sync_member)
    # Signature: the sync one is the async one with the substitutions applied.
    async_sig = str(inspect.signature(async_member))
    assert str(inspect.signature(sync_member)) == unasync.unasync_line(async_sig), name
    # A coroutine function becomes a plain one; a plain one stays plain.
    assert not inspect.iscoroutinefunction(sync_member)
    # The same docstring (the async one, unasynced), and a real one.
    async_doc = inspect.getdoc(async_member)
    sync_doc = inspect.getdoc(sync_member)
    if name not in ("__init__", "__aenter__", "__aexit__"):
        assert sync_doc and not sync_doc.startswith("See "), name
    assert sync_doc == (unasync.unasync_text(async_doc) if async_doc else async_doc), name


def test_class_docstrings_match() -> None:
    async_doc = inspect.getdoc(AsyncClaudeClient)
    assert async_doc is not None and len(async_doc) > 200
    assert inspect.getdoc(ClaudeClient) == unasync.unasync_text(async_doc)


def test_awaited_methods_are_coroutines_in_the_async_client() -> None:
    for name in ("complete", "agentic_task", "batch", "get_usage", "health", "close", "call"):
        assert inspect.iscoroutinefunction(getattr(AsyncClaudeClient, name)), name
    for name in ("stream", "stream_task"):  # nothing to await: iterate the returned stream
        assert not inspect.iscoroutinefunction(getattr(AsyncClaudeClient, name))


def test_generated_sync_file_is_up_to_date() -> None:
    for source, target in unasync.FILES:
        assert unasync.render(source, target) == target.read_text(), (
            f"{target} is stale or edited: run `make unasync`"
        )
        assert target.read_text().startswith("# Generated from claude_client/_async/client.py")


def test_substitutions() -> None:
    line = "    async def __aenter__(self) -> AsyncClaudeClient:  # httpx2.AsyncClient\n"
    assert (
        unasync.unasync_line(line) == "    def __enter__(self) -> ClaudeClient:  # httpx2.Client\n"
    )
    assert unasync.unasync_line("x = await self._http.aclose()") == "x = self._http.close()"
    assert unasync.unasync_line("async for c in s: await async_run_chunks(a)") == (
        "for c in s: run_chunks(a)"
    )
    # Whole identifiers only.
    assert unasync.unasync_line("MyAsyncClientish acloser") == "MyAsyncClientish acloser"
    text = "a = 1\naclose = close  # unasync: drop\nb = 2\n"
    assert unasync.unasync_text(text) == "a = 1\nb = 2\n"


def test_check_mode_fails_on_a_hand_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, target = unasync.FILES[0]
    edited = tmp_path / "client.py"
    edited.write_text(target.read_text() + "# a hand edit\n")
    # Rendered as if it lived where the real file does (ruff's settings apply).
    monkeypatch.setattr(unasync, "FILES", [(source, edited)])
    monkeypatch.setattr(unasync, "render", lambda s, t: target.read_text())
    assert unasync.main(["--check"]) == 1
    edited.write_text(target.read_text())
    assert unasync.main(["--check"]) == 0
