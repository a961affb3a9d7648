"""The ``claude_client`` logger and ``CLAUDE_LOG``.

Records carry method, path, status, attempt, delay, elapsed time and
``X-Request-ID``; never a header value, so the API key cannot reach a log.
``CLAUDE_LOG=debug`` (or ``info``, ``warning``) attaches a stderr handler once.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["logger", "setup_from_env"]

logger = logging.getLogger("claude_client")

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
_configured = False


def setup_from_env() -> None:
    """Honour ``CLAUDE_LOG`` (once per process): a stderr handler at that level."""
    global _configured
    if _configured:
        return
    _configured = True
    level = _LEVELS.get(os.environ.get("CLAUDE_LOG", "").strip().lower())
    if level is None:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
