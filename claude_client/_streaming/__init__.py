"""Streaming over the service's WebSocket ``/v1/stream`` (``shared/contract/STREAMING.md``).

The stream objects are built from plain :class:`StreamSettings`, not from a
client, so ``ClaudeClient.stream()`` / ``stream_task()`` (and the async ones) only
build settings and a stream. ``websockets`` is imported when a stream first
connects, never by ``import claude_client``.
"""

from ._async import AsyncChatStream, AsyncTaskStream
from ._core import StreamSettings, ThinkingEvent, ws_url_from_base
from ._sync import ChatStream, TaskStream

__all__ = [
    "AsyncChatStream",
    "AsyncTaskStream",
    "ChatStream",
    "StreamSettings",
    "TaskStream",
    "ThinkingEvent",
    "ws_url_from_base",
]
