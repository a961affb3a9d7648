from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.agentic_task_response_result import AgenticTaskResponseResult
    from ..models.agentic_task_response_usage import AgenticTaskResponseUsage
    from ..models.artifact import Artifact
    from ..models.execution_log_entry import ExecutionLogEntry


T = TypeVar("T", bound="AgenticTaskResponse")


@_attrs_define
class AgenticTaskResponse:
    """Response model for agentic task execution.

    Attributes:
        task_id (str):
        status (str):
        result (AgenticTaskResponseResult):
        execution_log (list[ExecutionLogEntry]):
        artifacts (list[Artifact]):
        usage (AgenticTaskResponseUsage):
    """

    task_id: str
    status: str
    result: AgenticTaskResponseResult
    execution_log: list[ExecutionLogEntry]
    artifacts: list[Artifact]
    usage: AgenticTaskResponseUsage
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        task_id = self.task_id

        status = self.status

        result = self.result.to_dict()

        execution_log = []
        for execution_log_item_data in self.execution_log:
            execution_log_item = execution_log_item_data.to_dict()
            execution_log.append(execution_log_item)

        artifacts = []
        for artifacts_item_data in self.artifacts:
            artifacts_item = artifacts_item_data.to_dict()
            artifacts.append(artifacts_item)

        usage = self.usage.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "task_id": task_id,
                "status": status,
                "result": result,
                "execution_log": execution_log,
                "artifacts": artifacts,
                "usage": usage,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.agentic_task_response_result import AgenticTaskResponseResult
        from ..models.agentic_task_response_usage import AgenticTaskResponseUsage
        from ..models.artifact import Artifact
        from ..models.execution_log_entry import ExecutionLogEntry

        d = dict(src_dict)
        task_id = d.pop("task_id")

        status = d.pop("status")

        result = AgenticTaskResponseResult.from_dict(d.pop("result"))

        execution_log = []
        _execution_log = d.pop("execution_log")
        for execution_log_item_data in _execution_log:
            execution_log_item = ExecutionLogEntry.from_dict(execution_log_item_data)

            execution_log.append(execution_log_item)

        artifacts = []
        _artifacts = d.pop("artifacts")
        for artifacts_item_data in _artifacts:
            artifacts_item = Artifact.from_dict(artifacts_item_data)

            artifacts.append(artifacts_item)

        usage = AgenticTaskResponseUsage.from_dict(d.pop("usage"))

        agentic_task_response = cls(
            task_id=task_id,
            status=status,
            result=result,
            execution_log=execution_log,
            artifacts=artifacts,
            usage=usage,
        )

        agentic_task_response.additional_properties = d
        return agentic_task_response

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
