from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.route_response_budget_status import RouteResponseBudgetStatus


T = TypeVar("T", bound="RouteResponse")


@_attrs_define
class RouteResponse:
    """Response model for routing recommendation.

    Attributes:
        recommended_model (str):
        reasoning (str):
        budget_status (RouteResponseBudgetStatus):
    """

    recommended_model: str
    reasoning: str
    budget_status: RouteResponseBudgetStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        recommended_model = self.recommended_model

        reasoning = self.reasoning

        budget_status = self.budget_status.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "recommended_model": recommended_model,
                "reasoning": reasoning,
                "budget_status": budget_status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.route_response_budget_status import RouteResponseBudgetStatus

        d = dict(src_dict)
        recommended_model = d.pop("recommended_model")

        reasoning = d.pop("reasoning")

        budget_status = RouteResponseBudgetStatus.from_dict(d.pop("budget_status"))

        route_response = cls(
            recommended_model=recommended_model,
            reasoning=reasoning,
            budget_status=budget_status,
        )

        route_response.additional_properties = d
        return route_response

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
