"""claude_client: the Python SDK for the Claude Code API Service.

    from claude_client import ClaudeClient

    with ClaudeClient() as client:          # CLAUDE_API_URL / CLAUDE_API_KEY
        print(client.complete("Hello").content)

Every failure is a :class:`ClaudeAPIError` subclass; results are typed and also
behave as the plain dicts the service sends.
"""

from typing import TYPE_CHECKING, Any

from ._async.client import AsyncClaudeClient
from ._base import ProjectKeyWarning, unwrap
from ._config import VERSION, ModelId, ModelName, Period
from ._exceptions import (
    APIConnectionError,
    AuthenticationError,
    BudgetExceededError,
    ClaudeAPIError,
    ClientClosedError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PermissionError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    StreamInterruptedError,
    TaskFailedError,
    TimeoutError,
    ValidationError,
)
from ._models import (
    Agent,
    APIObject,
    Artifact,
    BatchResponse,
    BatchResult,
    Capabilities,
    HealthStatus,
    ModelUsage,
    ProcessResponse,
    Provider,
    ProviderModel,
    ProviderModels,
    ReadyStatus,
    Response,
    RouteRecommendation,
    ServiceHealth,
    Skill,
    TaskOutput,
    TaskResult,
    TaskUsage,
    Usage,
    UsageStats,
)
from ._response import RawResponse
from ._sync.client import ClaudeClient

if TYPE_CHECKING:
    from ._streaming import (
        AsyncChatStream,
        AsyncTaskStream,
        ChatStream,
        TaskEvent,
        TaskStream,
        ThinkingEvent,
    )

__version__ = VERSION

# Streaming types are imported on first use: `import claude_client` stays light.
_LAZY_STREAMING = (
    "AsyncChatStream",
    "AsyncTaskStream",
    "ChatStream",
    "TaskEvent",
    "TaskStream",
    "ThinkingEvent",
)


def __getattr__(name: str) -> Any:
    if name in _LAZY_STREAMING:
        from . import _streaming

        return getattr(_streaming, name)
    raise AttributeError(f"module 'claude_client' has no attribute {name!r}")


__all__ = [
    "APIConnectionError",
    "APIObject",
    "Agent",
    "Artifact",
    "AsyncChatStream",
    "AsyncClaudeClient",
    "AsyncTaskStream",
    "AuthenticationError",
    "BatchResponse",
    "BatchResult",
    "BudgetExceededError",
    "Capabilities",
    "ChatStream",
    "ClaudeAPIError",
    "ClaudeClient",
    "ClientClosedError",
    "HealthStatus",
    "InvalidInputError",
    "ModelId",
    "ModelName",
    "ModelUsage",
    "NotFoundError",
    "Period",
    "PermissionDeniedError",
    "PermissionError",
    "ProcessResponse",
    "ProjectKeyWarning",
    "Provider",
    "ProviderModel",
    "ProviderModels",
    "RateLimitError",
    "RawResponse",
    "ReadyStatus",
    "Response",
    "ResponseValidationError",
    "RouteRecommendation",
    "ServerError",
    "ServiceHealth",
    "Skill",
    "StreamInterruptedError",
    "TaskEvent",
    "TaskFailedError",
    "TaskOutput",
    "TaskResult",
    "TaskStream",
    "TaskUsage",
    "ThinkingEvent",
    "TimeoutError",
    "Usage",
    "UsageStats",
    "ValidationError",
    "__version__",
    "unwrap",
]
