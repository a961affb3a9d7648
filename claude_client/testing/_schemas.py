"""Pydantic models of the service's requests and responses.

They reproduce the component schemas of ``openapi.json`` field for field (titles,
descriptions, defaults, bounds), so the fake's own ``/openapi.json`` matches the
contract and FastAPI validates requests exactly as the service does (same 422s).

The two ``Message`` classes set ``__module__`` to the service's module paths so that
FastAPI/pydantic name them ``src__api__Message`` and
``src__compatibility_adapter__Message``, as in the service's document.
"""

from enum import StrEnum
from typing import Any, Optional, Union

from pydantic import BaseModel, Field

# No ``from __future__ import annotations`` here: the two Message classes live in
# pretend modules, so their annotations must be evaluated eagerly.


class Message(BaseModel):
    """Single message in a conversation."""

    __module__ = "src.api"

    role: str = Field(..., description="Role: 'user', 'assistant', 'system', or 'tool'")
    content: Optional[Union[str, list[dict[str, Any]]]] = Field(
        "", description="Message content (str or content blocks)"
    )
    tool_call_id: Optional[str] = Field(None, description="Tool call ID (for role=tool messages)")
    tool_calls: Optional[list[dict[str, Any]]] = Field(
        None, description="Tool calls (for assistant messages)"
    )


ApiMessage = Message


class MessageRole(StrEnum):
    """Message role types"""

    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class Message(BaseModel):  # type: ignore[no-redef]
    """Message format matching AI services"""

    __module__ = "src.compatibility_adapter"

    id: Optional[str] = None
    role: MessageRole
    content: Union[str, list[dict[str, Any]]] = ""
    created_at: Optional[str] = None
    metadata: Optional[dict[str, Any]] = None
    tool_call_id: Optional[str] = None
    tool_calls: Optional[list[dict[str, Any]]] = None


AdapterMessage = Message
del Message


class ChatCompletionRequest(BaseModel):
    """Request model for chat completions."""

    messages: Union[list[ApiMessage], list[dict[str, Any]]] = Field(
        ..., description="Conversation messages"
    )
    model: Optional[str] = Field(
        None, description="Model to use (haiku, sonnet, opus). If not provided, auto-selected."
    )
    timeout: float = Field(30.0, ge=1.0, le=300.0, description="Request timeout in seconds")
    max_tokens: Optional[int] = Field(None, description="Estimated context size for auto-routing")
    working_directory: Optional[str] = Field(
        None, description="Working directory for claude -p (loads CLAUDE.md and project rules)"
    )
    allowed_tools: Optional[list[str]] = Field(
        None,
        description="Tools to enable via --allowedTools (e.g. Read, Write, Bash, mcp__local-mcp)",
    )
    tools: Optional[list[dict[str, Any]]] = Field(
        None, description="Tool definitions for SDK path (OpenAI format)"
    )
    tool_choice: Optional[Union[str, dict[str, Any]]] = Field(
        None, description="Tool selection preference"
    )


class BatchPrompt(BaseModel):
    """Single prompt in a batch request."""

    prompt: str = Field(..., description="Prompt text")
    id: Optional[str] = Field(None, description="Optional identifier for this prompt")


class BatchRequest(BaseModel):
    """Request model for batch processing."""

    prompts: list[BatchPrompt] = Field(..., description="List of prompts to process")
    model: Optional[str] = Field(None, description="Model to use for all prompts")
    timeout: float = Field(30.0, ge=1.0, le=300.0, description="Per-prompt timeout in seconds")


class Usage(BaseModel):
    """Token usage statistics."""

    input_tokens: int
    output_tokens: int
    total_tokens: int


class BatchResult(BaseModel):
    """Result for a single batch item."""

    id: Optional[str] = Field(None, description="Prompt ID (if provided)")
    prompt: str
    status: str
    content: Optional[str] = None
    usage: Optional[Usage] = None
    cost: Optional[float] = None
    error: Optional[str] = None


class BatchResponse(BaseModel):
    """Response model for batch processing."""

    total: int
    completed: int
    failed: int
    results: list[BatchResult]
    total_cost: float
    total_tokens: int


class UsageByModel(BaseModel):
    """Usage stats for a single model."""

    tokens: int
    cost: float


class UsageResponse(BaseModel):
    """Response model for usage statistics."""

    project_id: str
    period: str
    total_tokens: int
    total_cost: float
    by_model: dict[str, UsageByModel]
    limit: Optional[int]
    remaining: Optional[int]


class RouteRequest(BaseModel):
    """Request model for model routing recommendation."""

    prompt: str = Field(..., description="Task description/prompt")
    context_size: int = Field(0, ge=0, description="Estimated context size in tokens")


class RouteResponse(BaseModel):
    """Response model for routing recommendation."""

    recommended_model: str
    reasoning: str
    budget_status: dict[str, Any]


class ProcessRequest(BaseModel):
    """AI Services compatible request format.

    This mirrors the production ai-services API but only supports Claude Code.
    """

    provider: str = Field(
        ..., description="AI provider (only 'anthropic' and 'claudecode' supported)"
    )
    model_name: str = Field(..., description="Model name (maps to haiku/sonnet/opus)")
    messages: Optional[list[AdapterMessage]] = Field(None, description="Full conversation history")
    system_message: Optional[str] = Field(None, description="System prompt")
    user_message: Optional[str] = Field(None, description="User input")
    content: Optional[Any] = Field(
        None, description="Multimodal content (text only for Claude Code)"
    )
    max_tokens: Optional[int] = Field(1000, description="Maximum tokens to generate")
    temperature: Optional[float] = Field(0.7, description="Sampling temperature")
    async_processing: bool = Field(False, description="Use async task queue")
    additional_params: Optional[dict[str, Any]] = Field(
        None, description="Additional parameters (stream, etc.)"
    )
    tools: Optional[list[dict[str, Any]]] = Field(
        None, description="Tool definitions for tool calling"
    )
    tool_choice: Optional[Union[str, dict[str, Any]]] = Field(
        None, description="Tool selection preference"
    )
    output_schema: Optional[dict[str, Any]] = Field(
        None, description="Structured outputs (not supported)"
    )
    media_content: Optional[list[dict[str, Any]]] = Field(
        None, description="Multimodal content (not supported)"
    )
    memory: Optional[dict[str, Any]] = Field(None, description="Memory management (not supported)")
    use_cli: Optional[bool] = Field(
        None,
        description=(
            "Use Claude CLI instead of SDK. If omitted, uses server default "
            "(CLAUDE_API_DEFAULT_USE_CLI). True forces CLI (needed for tools, agents, skills, "
            "MCP, working directory context); False forces direct Anthropic SDK."
        ),
    )
    project_id: Optional[str] = Field(
        "default", description="Project identifier for budget tracking"
    )


class AIServiceResponse(BaseModel):
    """AI Services compatible response format.

    Mirrors production ai-services response structure.
    """

    content: str = Field("", description="Response content (text, backward compat)")
    content_blocks: Optional[list[dict[str, Any]]] = Field(
        None, description="Structured content blocks (tool_use, text, etc.)"
    )
    model: str = Field(..., description="Model used")
    provider: str = Field("claudecode", description="Provider name")
    metadata: dict[str, Any] = Field(..., description="Response metadata")


class AgenticTaskRequest(BaseModel):
    """Request model for agentic task execution."""

    description: str = Field(..., description="Natural language task description")
    allow_tools: list[str] = Field(
        default_factory=list, description="Allowed tools (Read, Grep, Bash, etc.)"
    )
    allow_agents: list[str] = Field(default_factory=list, description="Allowed agents to spawn")
    allow_skills: list[str] = Field(default_factory=list, description="Allowed skills to invoke")
    working_directory: str = Field("/project", description="Working directory for task")
    timeout: int = Field(300, description="Timeout in seconds (max 600)")
    max_cost: float = Field(1.0, description="Maximum cost in USD")
    model: Optional[str] = Field(
        None, description="Model to use (haiku/sonnet/opus), auto-selected if None"
    )
    project_id: str = Field("default", description="Project ID for budget tracking")
    api_key: str = Field("default", description="API key for audit logging")


class ExecutionLogEntry(BaseModel):
    """Single entry in execution log."""

    step: int
    timestamp: str
    action: str
    details: dict[str, Any]


class Artifact(BaseModel):
    """Generated artifact from task execution."""

    type: str
    path: str
    size_bytes: int
    created_at: str


class AgenticTaskResponse(BaseModel):
    """Response model for agentic task execution."""

    task_id: str
    status: str
    result: dict[str, Any]
    execution_log: list[ExecutionLogEntry]
    artifacts: list[Artifact]
    usage: dict[str, Any]


class AgentListItem(BaseModel):
    """Information about an available agent."""

    name: str
    description: str
    tools: list[str]
    model: str


class SkillListItem(BaseModel):
    """Information about an available skill."""

    name: str
    description: str
    command: str


class CapabilitiesResponse(BaseModel):
    """Response listing available agents and skills."""

    agents: list[AgentListItem]
    skills: list[SkillListItem]
    agents_count: int
    skills_count: int


class ServiceHealth(BaseModel):
    status: str
    detail: Optional[dict[str, Any]] = None


class HealthResponse(BaseModel):
    status: str
    version: str
    uptime_seconds: Optional[float] = None
    services: dict[str, ServiceHealth]


class ReadyResponse(BaseModel):
    ready: bool
    reason: Optional[str] = None
