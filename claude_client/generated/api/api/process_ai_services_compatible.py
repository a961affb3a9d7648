from http import HTTPStatus
from typing import Any

import httpx2

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.ai_service_response import AIServiceResponse
from ...models.http_validation_error import HTTPValidationError
from ...models.process_request import ProcessRequest
from ...types import Response


def _get_kwargs(
    *,
    body: ProcessRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/process",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx2.Response
) -> AIServiceResponse | HTTPValidationError | None:
    if response.status_code == 200:
        response_200 = AIServiceResponse.from_dict(response.json())

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
) -> Response[AIServiceResponse | HTTPValidationError]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ProcessRequest,
) -> Response[AIServiceResponse | HTTPValidationError]:
    """Process Ai Services Compatible

     ai-services compatible completion: provider/model_name are mapped to
    haiku/sonnet/opus; budget is checked against the body's project_id (403 when
    exceeded); streaming and async modes answer 501.

    Args:
        body (ProcessRequest): AI Services compatible request format.

            This mirrors the production ai-services API but only supports Claude Code.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AIServiceResponse | HTTPValidationError]
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
    body: ProcessRequest,
) -> AIServiceResponse | HTTPValidationError | None:
    """Process Ai Services Compatible

     ai-services compatible completion: provider/model_name are mapped to
    haiku/sonnet/opus; budget is checked against the body's project_id (403 when
    exceeded); streaming and async modes answer 501.

    Args:
        body (ProcessRequest): AI Services compatible request format.

            This mirrors the production ai-services API but only supports Claude Code.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AIServiceResponse | HTTPValidationError
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ProcessRequest,
) -> Response[AIServiceResponse | HTTPValidationError]:
    """Process Ai Services Compatible

     ai-services compatible completion: provider/model_name are mapped to
    haiku/sonnet/opus; budget is checked against the body's project_id (403 when
    exceeded); streaming and async modes answer 501.

    Args:
        body (ProcessRequest): AI Services compatible request format.

            This mirrors the production ai-services API but only supports Claude Code.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AIServiceResponse | HTTPValidationError]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ProcessRequest,
) -> AIServiceResponse | HTTPValidationError | None:
    """Process Ai Services Compatible

     ai-services compatible completion: provider/model_name are mapped to
    haiku/sonnet/opus; budget is checked against the body's project_id (403 when
    exceeded); streaming and async modes answer 501.

    Args:
        body (ProcessRequest): AI Services compatible request format.

            This mirrors the production ai-services API but only supports Claude Code.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx2.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AIServiceResponse | HTTPValidationError
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
