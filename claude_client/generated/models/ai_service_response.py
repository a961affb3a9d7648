from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.ai_service_response_content_blocks_type_0_item import (
        AIServiceResponseContentBlocksType0Item,
    )
    from ..models.ai_service_response_metadata import AIServiceResponseMetadata


T = TypeVar("T", bound="AIServiceResponse")


@_attrs_define
class AIServiceResponse:
    """AI Services compatible response format.

    Mirrors production ai-services response structure.

        Attributes:
            model (str): Model used
            metadata (AIServiceResponseMetadata): Response metadata
            content (str | Unset): Response content (text, backward compat) Default: ''.
            content_blocks (list[AIServiceResponseContentBlocksType0Item] | None | Unset): Structured content blocks
                (tool_use, text, etc.)
            provider (str | Unset): Provider name Default: 'claudecode'.
    """

    model: str
    metadata: AIServiceResponseMetadata
    content: str | Unset = ""
    content_blocks: list[AIServiceResponseContentBlocksType0Item] | None | Unset = UNSET
    provider: str | Unset = "claudecode"
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model

        metadata = self.metadata.to_dict()

        content = self.content

        content_blocks: list[dict[str, Any]] | None | Unset
        if isinstance(self.content_blocks, Unset):
            content_blocks = UNSET
        elif isinstance(self.content_blocks, list):
            content_blocks = []
            for content_blocks_type_0_item_data in self.content_blocks:
                content_blocks_type_0_item = content_blocks_type_0_item_data.to_dict()
                content_blocks.append(content_blocks_type_0_item)

        else:
            content_blocks = self.content_blocks

        provider = self.provider

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "metadata": metadata,
            }
        )
        if content is not UNSET:
            field_dict["content"] = content
        if content_blocks is not UNSET:
            field_dict["content_blocks"] = content_blocks
        if provider is not UNSET:
            field_dict["provider"] = provider

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.ai_service_response_content_blocks_type_0_item import (
            AIServiceResponseContentBlocksType0Item,
        )
        from ..models.ai_service_response_metadata import AIServiceResponseMetadata

        d = dict(src_dict)
        model = d.pop("model")

        metadata = AIServiceResponseMetadata.from_dict(d.pop("metadata"))

        content = d.pop("content", UNSET)

        def _parse_content_blocks(
            data: object,
        ) -> list[AIServiceResponseContentBlocksType0Item] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                content_blocks_type_0 = []
                _content_blocks_type_0 = data
                for content_blocks_type_0_item_data in _content_blocks_type_0:
                    content_blocks_type_0_item = (
                        AIServiceResponseContentBlocksType0Item.from_dict(
                            content_blocks_type_0_item_data
                        )
                    )

                    content_blocks_type_0.append(content_blocks_type_0_item)

                return content_blocks_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                list[AIServiceResponseContentBlocksType0Item] | None | Unset, data
            )

        content_blocks = _parse_content_blocks(d.pop("content_blocks", UNSET))

        provider = d.pop("provider", UNSET)

        ai_service_response = cls(
            model=model,
            metadata=metadata,
            content=content,
            content_blocks=content_blocks,
            provider=provider,
        )

        ai_service_response.additional_properties = d
        return ai_service_response

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
