"""Fixtures of the fake service's own tests.

The fake comes from the package's pytest plugin (``claude_fake``: one server per session,
reset before each test), so these tests also exercise the plugin.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from claude_client.testing import FakeService


@pytest.fixture
def http(claude_fake: FakeService) -> Iterator[httpx2.Client]:
    """A raw httpx client on the fake, authenticated with the pro key."""
    with httpx2.Client(
        base_url=claude_fake.base_url, headers=claude_fake.auth_headers(), timeout=10
    ) as client:
        yield client


@pytest.fixture
def anon(claude_fake: FakeService) -> Iterator[httpx2.Client]:
    """A raw httpx client on the fake without credentials."""
    with httpx2.Client(base_url=claude_fake.base_url, timeout=10) as client:
        yield client
