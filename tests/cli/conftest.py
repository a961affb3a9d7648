"""Fixtures of the tests/cli suite: the embedded fake, and `run` for the real command."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Callable, Optional

import pytest

pytest.importorskip("fastapi")

sys.path.insert(0, str(Path(__file__).parent))

from cli_kit import COMMAND, RUN_TIMEOUT, Result, cli_env

from claude_client.testing import FakeService, serve


@pytest.fixture(scope="session")
def cli_fake() -> Iterator[FakeService]:
    # Batches send one request per prompt: lift the service's 100 requests/minute.
    with serve(rpm=1_000_000) as fake:
        yield fake


@pytest.fixture
def fake(cli_fake: FakeService) -> Iterator[FakeService]:
    cli_fake.reset()
    cli_fake.set_token_delay(0)
    yield cli_fake
    cli_fake.reset()


@pytest.fixture
def run(fake: FakeService) -> Callable[..., Result]:
    """``run("health", "--json", env=..., input=...)``: the command's status and output."""

    def go(
        *args: str,
        input: Optional[str] = None,
        env: Optional[dict[str, str]] = None,
        timeout: float = RUN_TIMEOUT,
    ) -> Result:
        proc = subprocess.run(
            [*COMMAND, *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=env if env is not None else cli_env(fake),
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return go
