"""Contains all the data models used in inputs/outputs"""

from .agent_list_item import AgentListItem
from .agentic_task_request import AgenticTaskRequest
from .agentic_task_response import AgenticTaskResponse
from .agentic_task_response_result import AgenticTaskResponseResult
from .agentic_task_response_usage import AgenticTaskResponseUsage
from .ai_service_response import AIServiceResponse
from .ai_service_response_content_blocks_type_0_item import (
    AIServiceResponseContentBlocksType0Item,
)
from .ai_service_response_metadata import AIServiceResponseMetadata
from .artifact import Artifact
from .batch_prompt import BatchPrompt
from .batch_request import BatchRequest
from .batch_response import BatchResponse
from .batch_result import BatchResult
from .capabilities_response import CapabilitiesResponse
from .chat_completion_request import ChatCompletionRequest
from .chat_completion_request_messages_type_1_item import (
    ChatCompletionRequestMessagesType1Item,
)
from .chat_completion_request_tool_choice_type_1 import (
    ChatCompletionRequestToolChoiceType1,
)
from .chat_completion_request_tools_type_0_item import (
    ChatCompletionRequestToolsType0Item,
)
from .chat_message import ChatMessage
from .chat_message_content_type_1_item import ChatMessageContentType1Item
from .chat_message_tool_calls_type_0_item import ChatMessageToolCallsType0Item
from .execution_log_entry import ExecutionLogEntry
from .execution_log_entry_details import ExecutionLogEntryDetails
from .health_response import HealthResponse
from .health_response_services import HealthResponseServices
from .http_validation_error import HTTPValidationError
from .message_role import MessageRole
from .process_message import ProcessMessage
from .process_message_content_type_1_item import ProcessMessageContentType1Item
from .process_message_metadata_type_0 import ProcessMessageMetadataType0
from .process_message_tool_calls_type_0_item import ProcessMessageToolCallsType0Item
from .process_request import ProcessRequest
from .process_request_additional_params_type_0 import (
    ProcessRequestAdditionalParamsType0,
)
from .process_request_media_content_type_0_item import (
    ProcessRequestMediaContentType0Item,
)
from .process_request_memory_type_0 import ProcessRequestMemoryType0
from .process_request_output_schema_type_0 import ProcessRequestOutputSchemaType0
from .process_request_tool_choice_type_1 import ProcessRequestToolChoiceType1
from .process_request_tools_type_0_item import ProcessRequestToolsType0Item
from .ready_response import ReadyResponse
from .route_request import RouteRequest
from .route_response import RouteResponse
from .route_response_budget_status import RouteResponseBudgetStatus
from .service_health import ServiceHealth
from .service_health_detail_type_0 import ServiceHealthDetailType0
from .skill_list_item import SkillListItem
from .usage import Usage
from .usage_by_model import UsageByModel
from .usage_response import UsageResponse
from .usage_response_by_model import UsageResponseByModel
from .validation_error import ValidationError
from .validation_error_context import ValidationErrorContext

__all__ = (
    "AIServiceResponse",
    "AIServiceResponseContentBlocksType0Item",
    "AIServiceResponseMetadata",
    "AgentListItem",
    "AgenticTaskRequest",
    "AgenticTaskResponse",
    "AgenticTaskResponseResult",
    "AgenticTaskResponseUsage",
    "Artifact",
    "BatchPrompt",
    "BatchRequest",
    "BatchResponse",
    "BatchResult",
    "CapabilitiesResponse",
    "ChatCompletionRequest",
    "ChatCompletionRequestMessagesType1Item",
    "ChatCompletionRequestToolChoiceType1",
    "ChatCompletionRequestToolsType0Item",
    "ChatMessage",
    "ChatMessageContentType1Item",
    "ChatMessageToolCallsType0Item",
    "ExecutionLogEntry",
    "ExecutionLogEntryDetails",
    "HTTPValidationError",
    "HealthResponse",
    "HealthResponseServices",
    "MessageRole",
    "ProcessMessage",
    "ProcessMessageContentType1Item",
    "ProcessMessageMetadataType0",
    "ProcessMessageToolCallsType0Item",
    "ProcessRequest",
    "ProcessRequestAdditionalParamsType0",
    "ProcessRequestMediaContentType0Item",
    "ProcessRequestMemoryType0",
    "ProcessRequestOutputSchemaType0",
    "ProcessRequestToolChoiceType1",
    "ProcessRequestToolsType0Item",
    "ReadyResponse",
    "RouteRequest",
    "RouteResponse",
    "RouteResponseBudgetStatus",
    "ServiceHealth",
    "ServiceHealthDetailType0",
    "SkillListItem",
    "Usage",
    "UsageByModel",
    "UsageResponse",
    "UsageResponseByModel",
    "ValidationError",
    "ValidationErrorContext",
)
