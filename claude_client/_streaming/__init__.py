"""Streaming over the service's WebSocket ``/v1/stream`` (``shared/contract/STREAMING.md``).

The stream objects are built from plain :class:`StreamSettings`, not from a
client, so ``ClaudeClient.stream()`` / ``stream_task()`` (and the async ones) only
build settings and a stream. ``websockets`` is imported when a stream first
connects, never by ``import claude_client``.

Wiring into the clients (``ClaudeClient``; the async one is the same with
``AsyncChatStream`` / ``AsyncTaskStream`` and an ``async`` resolver)::

    def stream(self, prompt, model="auto", *, messages=None, project_id=None, timeout=None):
        msgs = messages if messages is not None else [{"role": "user", "content": prompt}]
        return ChatStream(
            StreamSettings.for_client(self, project_id=project_id, timeout=timeout),
            messages=msgs, model=model, project_id=project_id or self.project_id,
            resolve_model=lambda t: self.route(
                prompt, project_id=project_id, timeout=t
            ).recommended_model,
        )

    def stream_task(self, description, *, allow_tools=(), allow_agents=(), allow_skills=(),
                    timeout=None, max_cost=None, project_id=None):
        return TaskStream(
            StreamSettings.for_client(self, project_id=project_id),
            description=description, allow_tools=allow_tools, allow_agents=allow_agents,
            allow_skills=allow_skills, timeout=timeout, max_cost=max_cost,
        )

Nothing connects until the first item is requested, so ``client.stream(...)`` needs
no ``await`` on the async client either.
"""

from ._async import AsyncChatStream, AsyncTaskStream
from ._core import StreamNotFinishedError, TaskEvent, ThinkingEvent
from ._settings import StreamSettings, ws_url_from_base
from ._sync import ChatStream, TaskStream

__all__ = [
    "AsyncChatStream",
    "AsyncTaskStream",
    "ChatStream",
    "StreamNotFinishedError",
    "StreamSettings",
    "TaskEvent",
    "TaskStream",
    "ThinkingEvent",
    "ws_url_from_base",
]
