"""Fixtures of the reliability suite: its own fake service, log capture, hypothesis profiles.

* ``fake``: one fake service for the whole reliability session (``serve(rpm=...)`` with a
  limit high enough for the load tests), reset before each test.
* Every reliability test runs with DEBUG logging on the ``claude_client`` logger and the
  root logger, each record scanned for API keys by ``reliability_kit.WATCH``;
  ``test_reliability_secrets.py::test_captured_log_is_not_empty_and_has_no_key`` runs
  after every other reliability test and checks the session's verdict.
* Hypothesis: profile ``reliability-ci`` (25 examples per fuzz test, derandomized, no
  deadline) unless ``CLAUDE_FUZZ=deep`` (``make fuzz``) selects ``reliability-deep``.
  Applied to the fuzz tests only, never loaded globally.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from reliability_kit import WATCH, WatchHandler

from claude_client.testing import FakeService, serve

HERE = Path(__file__).parent
FINAL_TEST = "test_captured_log_is_not_empty_and_has_no_key"
LOAD_RPM = 1_000_000


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeService]:
    with serve(rpm=LOAD_RPM) as fake:
        WATCH.add_secret(fake.api_key, fake.free_key, fake.enterprise_key)
        yield fake


@pytest.fixture
def fake(fake_server: FakeService) -> Iterator[FakeService]:
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture(autouse=True)
def _debug_log_watch() -> Iterator[None]:
    """DEBUG logging on ``claude_client`` and root for every reliability test."""
    sdk = logging.getLogger("claude_client")
    root = logging.getLogger()
    sdk_handler, root_handler = WatchHandler(skip_sdk=False), WatchHandler(skip_sdk=True)
    old = sdk.level, root.level
    sdk.addHandler(sdk_handler)
    root.addHandler(root_handler)
    sdk.setLevel(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        sdk.removeHandler(sdk_handler)
        root.removeHandler(root_handler)
        sdk.setLevel(old[0])
        root.setLevel(old[1])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the final secrets verdict after every other reliability test."""
    ours = [i for i, item in enumerate(items) if HERE in Path(str(item.path)).parents]
    final = [i for i in ours if items[i].name == FINAL_TEST]
    if not final or len(ours) < 2:
        return
    item = items.pop(final[0])
    last = max(i for i in ours if i != final[0])
    last = last - 1 if last > final[0] else last
    items.insert(last + 1, item)
