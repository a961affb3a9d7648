"""``python -m claude_client.testing --port 8006``: run the fake service standalone."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any, Optional

from . import MISSING_EXTRA, extra_installed
from ._accounts import DEFAULT_RPM
from ._pool import DEFAULT_MAX_WORKERS


def main(argv: Optional[list[str]] = None) -> int:
    """Run the fake until Ctrl-C / SIGTERM; exit status 2 without the ``testing`` extra."""
    parser = argparse.ArgumentParser(
        prog="python -m claude_client.testing",
        description="Run the fake Claude Code API Service on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8006, help="TCP port (0 = any free port)")
    parser.add_argument(
        "--rpm",
        type=int,
        default=DEFAULT_RPM,
        help="requests per minute of the built-in keys (default 100)",
    )
    parser.add_argument("--api-key", default=None, help="use this value for the pro key")
    parser.add_argument(
        "--max-workers",
        type=int,
        default=DEFAULT_MAX_WORKERS,
        help="worker pool size: model runs at once, queue 10x (default 5, as the service)",
    )
    args = parser.parse_args(argv)
    if not extra_installed():  # one line saying what to install, not a traceback
        print(f"error: {MISSING_EXTRA}", file=sys.stderr)
        return 2
    from ._server import serve

    stop = threading.Event()

    def on_signal(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if args.max_workers < 1:
        parser.error("--max-workers must be >= 1")
    with serve(
        port=args.port, rpm=args.rpm, api_key=args.api_key, max_workers=args.max_workers
    ) as fake:
        print(f"Fake Claude Code API Service on {fake.base_url} (WebSocket {fake.ws_url})")
        print(f"  pro key:        {fake.api_key}   (project 'default')")
        print(f"  free key:       {fake.free_key}   (project 'free-project')")
        print(f"  enterprise key: {fake.enterprise_key}   (project 'enterprise-project')")
        print(f"  worker pool:    {args.max_workers} workers, queue {10 * args.max_workers}")
        print(f"export CLAUDE_API_URL={fake.base_url} CLAUDE_API_KEY={fake.api_key}")
        print("Ctrl-C to stop.", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
