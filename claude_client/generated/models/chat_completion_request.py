from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.chat_completion_request_messages_type_1_item import (
        ChatCompletionRequestMessagesType1Item,
    )
    from ..models.chat_completion_request_tool_choice_type_1 import (
        ChatCompletionRequestToolChoiceType1,
    )
    from ..models.chat_completion_request_tools_type_0_item import (
        ChatCompletionRequestToolsType0Item,
    )
    from ..models.chat_message import ChatMessage


T = TypeVar("T", bound="ChatCompletionRequest")


@_attrs_define
class ChatCompletionRequest:
    """Request model for chat completions.

    Attributes:
        messages (list[ChatCompletionRequestMessagesType1Item] | list[ChatMessage]): Conversation messages
        model (None | str | Unset): Model to use (haiku, sonnet, opus). If not provided, auto-selected.
        timeout (float | Unset): Request timeout in seconds Default: 30.0.
        max_tokens (int | None | Unset): Estimated context size for auto-routing
        working_directory (None | str | Unset): Working directory for claude -p (loads CLAUDE.md and project rules)
        allowed_tools (list[str] | None | Unset): Tools to enable via --allowedTools (e.g. Read, Write, Bash,
            mcp__local-mcp)
        tools (list[ChatCompletionRequestToolsType0Item] | None | Unset): Tool definitions for SDK path (OpenAI format)
        tool_choice (ChatCompletionRequestToolChoiceType1 | None | str | Unset): Tool selection preference
    """

    messages: list[ChatCompletionRequestMessagesType1Item] | list[ChatMessage]
    model: None | str | Unset = UNSET
    timeout: float | Unset = 30.0
    max_tokens: int | None | Unset = UNSET
    working_directory: None | str | Unset = UNSET
    allowed_tools: list[str] | None | Unset = UNSET
    tools: list[ChatCompletionRequestToolsType0Item] | None | Unset = UNSET
    tool_choice: ChatCompletionRequestToolChoiceType1 | None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.chat_completion_request_tool_choice_type_1 import (
            ChatCompletionRequestToolChoiceType1,
        )

        messages: list[dict[str, Any]]
        if isinstance(self.messages, list):
            messages = []
            for messages_type_0_item_data in self.messages:
                messages_type_0_item = messages_type_0_item_data.to_dict()
                messages.append(messages_type_0_item)

        else:
            messages = []
            for messages_type_1_item_data in self.messages:
                messages_type_1_item = messages_type_1_item_data.to_dict()
                messages.append(messages_type_1_item)

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        timeout = self.timeout

        max_tokens: int | None | Unset
        if isinstance(self.max_tokens, Unset):
            max_tokens = UNSET
        else:
            max_tokens = self.max_tokens

        working_directory: None | str | Unset
        if isinstance(self.working_directory, Unset):
            working_directory = UNSET
        else:
            working_directory = self.working_directory

        allowed_tools: list[str] | None | Unset
        if isinstance(self.allowed_tools, Unset):
            allowed_tools = UNSET
        elif isinstance(self.allowed_tools, list):
            allowed_tools = self.allowed_tools

        else:
            allowed_tools = self.allowed_tools

        tools: list[dict[str, Any]] | None | Unset
        if isinstance(self.tools, Unset):
            tools = UNSET
        elif isinstance(self.tools, list):
            tools = []
            for tools_type_0_item_data in self.tools:
                tools_type_0_item = tools_type_0_item_data.to_dict()
                tools.append(tools_type_0_item)

        else:
            tools = self.tools

        tool_choice: dict[str, Any] | None | str | Unset
        if isinstance(self.tool_choice, Unset):
            tool_choice = UNSET
        elif isinstance(self.tool_choice, ChatCompletionRequestToolChoiceType1):
            tool_choice = self.tool_choice.to_dict()
        else:
            tool_choice = self.tool_choice

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "messages": messages,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model
        if timeout is not UNSET:
            field_dict["timeout"] = timeout
        if max_tokens is not UNSET:
            field_dict["max_tokens"] = max_tokens
        if working_directory is not UNSET:
            field_dict["working_directory"] = working_directory
        if allowed_tools is not UNSET:
            field_dict["allowed_tools"] = allowed_tools
        if tools is not UNSET:
            field_dict["tools"] = tools
        if tool_choice is not UNSET:
            field_dict["tool_choice"] = tool_choice

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.chat_completion_request_messages_type_1_item import (
            ChatCompletionRequestMessagesType1Item,
        )
        from ..models.chat_completion_request_tool_choice_type_1 import (
            ChatCompletionRequestToolChoiceType1,
        )
        from ..models.chat_completion_request_tools_type_0_item import (
            ChatCompletionRequestToolsType0Item,
        )
        from ..models.chat_message import ChatMessage

        d = dict(src_dict)

        def _parse_messages(
            data: object,
        ) -> list[ChatCompletionRequestMessagesType1Item] | list[ChatMessage]:
            try:
                if not isinstance(data, list):
                    raise TypeError()
                messages_type_0 = []
                _messages_type_0 = data
                for messages_type_0_item_data in _messages_type_0:
                    messages_type_0_item = ChatMessage.from_dict(
                        messages_type_0_item_data
                    )

                    messages_type_0.append(messages_type_0_item)

                return messages_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, list):
                raise TypeError()
            messages_type_1 = []
            _messages_type_1 = data
            for messages_type_1_item_data in _messages_type_1:
                messages_type_1_item = ChatCompletionRequestMessagesType1Item.from_dict(
                    messages_type_1_item_data
                )

                messages_type_1.append(messages_type_1_item)

            return messages_type_1

        messages = _parse_messages(d.pop("messages"))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

        timeout = d.pop("timeout", UNSET)

        def _parse_max_tokens(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_tokens = _parse_max_tokens(d.pop("max_tokens", UNSET))

        def _parse_working_directory(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        working_directory = _parse_working_directory(d.pop("working_directory", UNSET))

        def _parse_allowed_tools(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                allowed_tools_type_0 = cast(list[str], data)

                return allowed_tools_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        allowed_tools = _parse_allowed_tools(d.pop("allowed_tools", UNSET))

        def _parse_tools(
            data: object,
        ) -> list[ChatCompletionRequestToolsType0Item] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                tools_type_0 = []
                _tools_type_0 = data
                for tools_type_0_item_data in _tools_type_0:
                    tools_type_0_item = ChatCompletionRequestToolsType0Item.from_dict(
                        tools_type_0_item_data
                    )

                    tools_type_0.append(tools_type_0_item)

                return tools_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[ChatCompletionRequestToolsType0Item] | None | Unset, data)

        tools = _parse_tools(d.pop("tools", UNSET))

        def _parse_tool_choice(
            data: object,
        ) -> ChatCompletionRequestToolChoiceType1 | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                tool_choice_type_1 = ChatCompletionRequestToolChoiceType1.from_dict(
                    data
                )

                return tool_choice_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ChatCompletionRequestToolChoiceType1 | None | str | Unset, data)

        tool_choice = _parse_tool_choice(d.pop("tool_choice", UNSET))

        chat_completion_request = cls(
            messages=messages,
            model=model,
            timeout=timeout,
            max_tokens=max_tokens,
            working_directory=working_directory,
            allowed_tools=allowed_tools,
            tools=tools,
            tool_choice=tool_choice,
        )

        chat_completion_request.additional_properties = d
        return chat_completion_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
