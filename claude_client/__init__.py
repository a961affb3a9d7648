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
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BudgetExceededError,
    ClaudeAPIError,
    ClientClosedError,
    HTTPBudgetExceededError,
    HTTPTimeoutError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
    StreamInterruptedError,
    TaskFailedError,
    ValidationError,
)

# The 0.x names of APITimeoutError / PermissionDeniedError, kept importable for old
# code but left out of __all__: `import *` must not shadow the builtins.
from ._exceptions import PermissionError as PermissionError
from ._exceptions import TimeoutError as TimeoutError
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
        StreamNotFinishedError,
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
    "StreamNotFinishedError",
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
    "APIStatusError",
    "APITimeoutError",
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
    "HTTPBudgetExceededError",
    "HTTPTimeoutError",
    "HealthStatus",
    "InvalidInputError",
    "ModelId",
    "ModelName",
    "ModelUsage",
    "NotFoundError",
    "Period",
    "PermissionDeniedError",
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
    "StreamNotFinishedError",
    "TaskEvent",
    "TaskFailedError",
    "TaskOutput",
    "TaskResult",
    "TaskStream",
    "TaskUsage",
    "ThinkingEvent",
    "Usage",
    "UsageStats",
    "ValidationError",
    "__version__",
    "unwrap",
]
