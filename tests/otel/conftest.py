"""Fixtures of the OpenTelemetry tests: test-local SDK providers with in-memory exporters.

The client takes ``tracer_provider=`` / ``meter_provider=``, so no test sets the
process-wide global providers (which can be set only once); the tests that need the
globals run in a subprocess (``test_otel_absent.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("opentelemetry.sdk")
sys.path.insert(0, str(Path(__file__).parent))

from otel_kit import Telemetry


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    telemetry = Telemetry()
    yield telemetry
    telemetry.shutdown()
