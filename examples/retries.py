"""Retries: what the client retries, what it does not, and how long a call may take.

    python retries.py

Against the embedded fake, the example makes the service fail on purpose: two 503s
(retried, honouring Retry-After), a 429 budget error (not retried: waiting does not
help), and a slow answer that runs into the call's deadline. The ``claude_client``
logger shows each retry (never the API key).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from typing import Any

from claude_client import APITimeoutError, BudgetExceededError, ClaudeClient, ServerError


def service() -> contextlib.AbstractContextManager[Any]:
    """The service in CLAUDE_API_URL / CLAUDE_API_KEY, else the embedded fake (yields it)."""
    if os.environ.get("CLAUDE_API_URL") and os.environ.get("CLAUDE_API_KEY"):
        return contextlib.nullcontext()  # ClaudeClient() reads both variables
    from claude_client.testing import serve  # pip install 'claude-code-client[testing]'

    return serve()  # on 127.0.0.1, a free port, stopped at the end of the `with`


CHAT = "/v1/chat/completions"


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="  log: %(name)s %(message)s")
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    with (
        service() as fake,
        ClaudeClient(**fake.client_kwargs() if fake else {}, max_retries=2) as client,
    ):
        if fake is None:
            print("These demonstrations need the embedded fake (they inject failures).")
            print("Configured: max_retries=2, timeout bounds each whole call.")
            client.complete("ping", model="haiku")
            return 0

        print("1. two 503 overloaded answers, then success")
        fake.fail_next(2, status=503, retry_after=0.2, path=CHAT)
        started = time.monotonic()
        answer = client.complete("Hello after a bad moment", model="haiku")
        print(
            f"   -> {answer.content!r} after {len(fake.requests_to(CHAT))} attempts,"
            f" {time.monotonic() - started:.2f} s\n"
        )

        print("2. more failures than retries")
        fake.clear_requests()
        fake.fail_next(5, status=502, category="upstream_error", path=CHAT)
        try:
            client.complete("This will not work", model="haiku")
        except ServerError as exc:
            print(
                f"   -> ServerError {exc.status_code} ({exc.error_category}) after"
                f" {len(fake.requests_to(CHAT))} attempts\n"
            )
        fake.clear_faults()

        print("3. budget exceeded: 429 too, but never retried")
        fake.clear_requests()
        fake.set_budget("default", 0)
        try:
            client.complete("Spend more", model="haiku")
        except BudgetExceededError as exc:
            print(
                f"   -> BudgetExceededError: {exc.message}"
                f" ({len(fake.requests_to(CHAT))} attempt)\n"
            )
        fake.set_budget("default", None)

        print("4. one deadline for the whole call, retries included")
        fake.latency(3)
        started = time.monotonic()
        try:
            client.complete("Take your time", model="haiku", timeout=1)
        except APITimeoutError as exc:
            print(f"   -> APITimeoutError after {time.monotonic() - started:.1f} s: {exc.message}")
        fake.latency(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
