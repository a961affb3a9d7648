from http import HTTPStatus
from typing import Any

import httpx2

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.chat_completion_request import ChatCompletionRequest
from ...models.http_validation_error import HTTPValidationError
from ...types import Response


def _get_kwargs(
    *,
    body: ChatCompletionRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/chat/completions",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx2.Response
) -> Any | HTTPValidationError | None:
    if response.status_code == 200:
        response_200 = response.json()
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
) -> Response[Any | HTTPValidationError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ChatCompletionRequest,
) -> Response[Any | HTTPValidationError]:
    """Chat Completion

     Single chat completion.

    Returns the ChatCompletionResponse shape (id, model, content, usage, cost,
    project_id). Errors: 401/429 auth, 429 "Budget exceeded for project <id>",
    502/503/504/429/500 upstream failures (with Retry-After / X-Error-Category /
    X-Upstream-Status headers where applicable), 504 worker timeout.

    Args:
        body (ChatCompletionRequest): Request model for chat completions.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | HTTPValidationError]
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
    body: ChatCompletionRequest,
) -> Any | HTTPValidationError | None:
    """Chat Completion

     Single chat completion.

    Returns the ChatCompletionResponse shape (id, model, content, usage, cost,
    project_id). Errors: 401/429 auth, 429 "Budget exceeded for project <id>",
    502/503/504/429/500 upstream failures (with Retry-After / X-Error-Category /
    X-Upstream-Status headers where applicable), 504 worker timeout.

    Args:
        body (ChatCompletionRequest): Request model for chat completions.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | HTTPValidationError
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ChatCompletionRequest,
) -> Response[Any | HTTPValidationError]:
    """Chat Completion

     Single chat completion.

    Returns the ChatCompletionResponse shape (id, model, content, usage, cost,
    project_id). Errors: 401/429 auth, 429 "Budget exceeded for project <id>",
    502/503/504/429/500 upstream failures (with Retry-After / X-Error-Category /
    X-Upstream-Status headers where applicable), 504 worker timeout.

    Args:
        body (ChatCompletionRequest): Request model for chat completions.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ChatCompletionRequest,
) -> Any | HTTPValidationError | None:
    """Chat Completion

     Single chat completion.

    Returns the ChatCompletionResponse shape (id, model, content, usage, cost,
    project_id). Errors: 401/429 auth, 429 "Budget exceeded for project <id>",
    502/503/504/429/500 upstream failures (with Retry-After / X-Error-Category /
    X-Upstream-Status headers where applicable), 504 worker timeout.

    Args:
        body (ChatCompletionRequest): Request model for chat completions.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | HTTPValidationError
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
