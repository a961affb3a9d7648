"""pytest fixtures for the fake service (registered through the ``pytest11`` entry point).

* ``claude_fake_server``: one fake per test session (started on first use).
* ``claude_fake``: that server, ``reset()`` before each test: the usual fixture.
* ``claude_client_kwargs``: ``{"base_url": ..., "api_key": ...}`` for ``ClaudeClient(**...)``.
* ``claude_fake_client``: a ``ClaudeClient`` on that fake, closed after the test::

      def test_summary(claude_fake_client, claude_fake):
          assert claude_fake_client.complete("hi").content == claude_fake.expected_answer("hi")

* ``claude_fake_async_client``: an ``AsyncClaudeClient`` on that fake, created in the
  test's event loop and closed after the test (needs ``pytest-asyncio``)::

      async def test_summary(claude_fake_async_client, claude_fake):
          answer = await claude_fake_async_client.complete("hi")
          assert answer.content == claude_fake.expected_answer("hi")

  (with ``asyncio_mode = "strict"``, mark the test ``@pytest.mark.asyncio``).

In a project without the entry point: ``pytest_plugins = ["claude_client.testing.pytest_plugin"]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from claude_client import AsyncClaudeClient, ClaudeClient

    from ._server import FakeService


def _serve() -> Any:
    # Imported on use: the plugin is loaded by every pytest run, with or without the
    # 'testing' extra; without it, using a fixture raises the extra's ImportError.
    from . import require_extra

    require_extra()
    from ._server import serve

    return serve()


@pytest.fixture(scope="session")
def claude_fake_server() -> Iterator[FakeService]:
    """The session's fake service (not reset between tests; prefer ``claude_fake``)."""
    with _serve() as fake:
        yield fake


@pytest.fixture
def claude_fake(claude_fake_server: FakeService) -> Iterator[FakeService]:
    """A running fake service in its initial state (reset before and after the test)."""
    claude_fake_server.reset()
    yield claude_fake_server
    claude_fake_server.reset()


@pytest.fixture
def claude_client_kwargs(claude_fake: FakeService) -> dict[str, Any]:
    """``{"base_url": ..., "api_key": ...}`` of ``claude_fake``, for ``ClaudeClient(**kwargs)``."""
    return claude_fake.client_kwargs()


@pytest.fixture
def claude_fake_client(claude_fake: FakeService) -> Iterator[ClaudeClient]:
    """A ``ClaudeClient`` talking to ``claude_fake`` (pro key, project "default")."""
    from claude_client import ClaudeClient

    with ClaudeClient(**claude_fake.client_kwargs()) as client:
        yield client


def _async_fixture(func: Callable[..., AsyncIterator[Any]]) -> Any:
    """pytest-asyncio's fixture decorator (it runs async fixtures in its strict mode too).

    Without pytest-asyncio the fixture fails the test with what to install, instead of
    handing it an un-awaited async generator.
    """
    try:
        import pytest_asyncio
    except ImportError:

        def needs_pytest_asyncio() -> None:
            pytest.fail(
                f"{func.__name__} is an async fixture: install pytest-asyncio to use it",
                pytrace=False,
            )

        needs_pytest_asyncio.__doc__ = func.__doc__
        return pytest.fixture(name=func.__name__)(needs_pytest_asyncio)
    return pytest_asyncio.fixture(func)


@_async_fixture
async def claude_fake_async_client(claude_fake: FakeService) -> AsyncIterator[AsyncClaudeClient]:
    """An ``AsyncClaudeClient`` talking to ``claude_fake`` (pro key, project "default").

    Created inside the test's event loop (a client keeps its connections on the loop it
    first runs in) and closed after the test. Needs pytest-asyncio.
    """
    from claude_client import AsyncClaudeClient

    async with AsyncClaudeClient(**claude_fake.client_kwargs()) as client:
        yield client
