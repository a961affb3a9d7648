"""Where the examples run: a real service from the environment, or the embedded fake.

With ``CLAUDE_API_URL`` and ``CLAUDE_API_KEY`` set, the examples talk to that service.
Otherwise they start the embedded fake (``claude_client.testing``, installed with the
``testing`` extra) on 127.0.0.1 for the duration of the example.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any, Optional


@contextlib.contextmanager
def service() -> Iterator[tuple[dict[str, Any], Optional[Any]]]:
    """Yields ``(client_kwargs, fake)``: ``fake`` is None against a real service."""
    if os.environ.get("CLAUDE_API_URL") and os.environ.get("CLAUDE_API_KEY"):
        print(f"Using the service at {os.environ['CLAUDE_API_URL']}\n")
        yield {}, None  # ClaudeClient() reads CLAUDE_API_URL / CLAUDE_API_KEY
        return
    from claude_client.testing import serve

    with serve() as fake:
        print(f"Using the embedded fake service at {fake.base_url}\n")
        yield fake.client_kwargs(), fake
