from http import HTTPStatus
from typing import Any

import httpx2

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.agentic_task_request import AgenticTaskRequest
from ...models.agentic_task_response import AgenticTaskResponse
from ...models.http_validation_error import HTTPValidationError
from ...types import Response


def _get_kwargs(
    *,
    body: AgenticTaskRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/task",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx2.Response
) -> AgenticTaskResponse | HTTPValidationError | None:
    if response.status_code == 200:
        response_200 = AgenticTaskResponse.from_dict(response.json())

        return response_200

    if response.status_code == 422:
        response_422 = HTTPValidationError.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx2.Response
) -> Response[AgenticTaskResponse | HTTPValidationError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: AgenticTaskRequest,
) -> Response[AgenticTaskResponse | HTTPValidationError]:
    """Execute Agentic Task

     Agentic task. 403 "Permission denied: <reason>" when the key's profile
    forbids a tool/agent/skill, timeout or max_cost; outcome statuses in a 200
    body: completed | failed | timeout | cost_exceeded; 500 "Task execution
    failed: <reason>" for executor errors.

    Args:
        body (AgenticTaskRequest): Request model for agentic task execution.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AgenticTaskResponse | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: AgenticTaskRequest,
) -> AgenticTaskResponse | HTTPValidationError | None:
    """Execute Agentic Task

     Agentic task. 403 "Permission denied: <reason>" when the key's profile
    forbids a tool/agent/skill, timeout or max_cost; outcome statuses in a 200
    body: completed | failed | timeout | cost_exceeded; 500 "Task execution
    failed: <reason>" for executor errors.

    Args:
        body (AgenticTaskRequest): Request model for agentic task execution.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AgenticTaskResponse | HTTPValidationError
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: AgenticTaskRequest,
) -> Response[AgenticTaskResponse | HTTPValidationError]:
    """Execute Agentic Task

     Agentic task. 403 "Permission denied: <reason>" when the key's profile
    forbids a tool/agent/skill, timeout or max_cost; outcome statuses in a 200
    body: completed | failed | timeout | cost_exceeded; 500 "Task execution
    failed: <reason>" for executor errors.

    Args:
        body (AgenticTaskRequest): Request model for agentic task execution.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AgenticTaskResponse | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: AgenticTaskRequest,
) -> AgenticTaskResponse | HTTPValidationError | None:
    """Execute Agentic Task

     Agentic task. 403 "Permission denied: <reason>" when the key's profile
    forbids a tool/agent/skill, timeout or max_cost; outcome statuses in a 200
    body: completed | failed | timeout | cost_exceeded; 500 "Task execution
    failed: <reason>" for executor errors.

    Args:
        body (AgenticTaskRequest): Request model for agentic task execution.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AgenticTaskResponse | HTTPValidationError
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
