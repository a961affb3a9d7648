"""Off is free: without ``opentelemetry`` nothing is imported and nothing is sent; with the
API but no SDK no span is made; the global providers are the default.

Each case runs in a fresh interpreter (the check for ``opentelemetry`` is made once per
process, and the global providers can be set only once). "Absent" is simulated by a
meta-path finder that refuses to import ``opentelemetry``: the interpreter then behaves as
in a virtualenv where ``opentelemetry-api`` is not installed.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from claude_client.testing import FakeService

HIDE_OPENTELEMETRY = """
import importlib.abc, sys

class HideOpenTelemetry(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, HideOpenTelemetry())
"""

# The fake runs in the test's process (FastAPI itself imports opentelemetry when it
# is installed): the subprocess holds only the clients.
CALLS = """
import asyncio
from claude_client import AsyncClaudeClient, ClaudeClient

kwargs = {"base_url": sys.argv[1], "api_key": sys.argv[2]}
with ClaudeClient(**kwargs) as client:
    client.complete("hello", model="haiku")
    "".join(client.stream("hello", model="haiku"))
    client.batch(["a", "b"])
    sync_otel = client._otel

async def main():
    async with AsyncClaudeClient(**kwargs) as client:
        await client.complete("hello", model="haiku")
        return client._otel

async_otel = asyncio.run(main())
"""


def _run(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_never_imports_opentelemetry() -> None:
    out = _run(
        """
        import sys
        import claude_client
        from claude_client import AsyncClaudeClient, ClaudeClient
        ClaudeClient(base_url="http://127.0.0.1:9", api_key="k").close()
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
        """
    )
    assert out.strip() == "[]"


def test_absent_opentelemetry_nothing_imported_nothing_sent(claude_fake: FakeService) -> None:
    out = _run(
        HIDE_OPENTELEMETRY
        + CALLS
        + """
import claude_client._telemetry as t
print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
print(sync_otel, async_otel, t.ACTIVE)
""",
        claude_fake.base_url,
        claude_fake.api_key,
    )
    imported, otel = out.strip().splitlines()
    assert imported == "[]"
    assert otel == "None None False"  # the clients dropped their telemetry at the first call
    assert len(claude_fake.requests) >= 5
    assert set(claude_fake.traceparents()) == {None}


def test_api_without_sdk_makes_no_span_and_sends_no_context(claude_fake: FakeService) -> None:
    out = _run(
        CALLS
        + """
from opentelemetry import trace
print(type(trace.get_tracer_provider()).__name__)
print(sync_otel is not None, async_otel is not None)
""",
        claude_fake.base_url,
        claude_fake.api_key,
    )
    provider, kept = out.strip().splitlines()
    assert provider == "ProxyTracerProvider"
    assert kept == "True True"  # an SDK configured later is picked up
    assert len(claude_fake.requests) >= 5
    assert set(claude_fake.traceparents()) == {None}


def test_global_providers_are_the_default(claude_fake: FakeService) -> None:
    out = _run(
        """
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from claude_client import ClaudeClient

        with ClaudeClient(base_url=sys.argv[1], api_key=sys.argv[2]) as client:
            client.health()  # made before the SDK is configured: untraced
            exporter = InMemorySpanExporter()
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(exporter))
            trace.set_tracer_provider(provider)
            client.complete("hello", model="haiku")
        [span] = exporter.get_finished_spans()
        ctx = span.get_span_context()
        print(span.name)
        print(f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}")
        """,
        claude_fake.base_url,
        claude_fake.api_key,
    )
    name, traceparent = out.strip().splitlines()
    assert name == "chat haiku"
    assert claude_fake.traceparents() == [None, traceparent]
