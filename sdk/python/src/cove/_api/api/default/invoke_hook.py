from http import HTTPStatus
from io import BytesIO
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.invoke_hook_hook import InvokeHookHook
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    id: str,
    hook: InvokeHookHook,
    *,
    body: File | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/sandboxes/{id}/hooks/{hook}".format(
            id=quote(str(id), safe=""),
            hook=quote(str(hook), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | File:
    if response.status_code == 200:
        response_200 = File(payload=BytesIO(response.content))

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if response.status_code == 410:
        response_410 = Error.from_dict(response.json())

        return response_410

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    response_default = Error.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | File]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    hook: InvokeHookHook,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
) -> Response[Error | File]:
    """Run a lifecycle hook in the sandbox; the body is its payload (stdin), the answer its stdout.

    Args:
        id (str):
        hook (InvokeHookHook):
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        id=id,
        hook=hook,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    hook: InvokeHookHook,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
) -> Error | File | None:
    """Run a lifecycle hook in the sandbox; the body is its payload (stdin), the answer its stdout.

    Args:
        id (str):
        hook (InvokeHookHook):
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return sync_detailed(
        id=id,
        hook=hook,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    id: str,
    hook: InvokeHookHook,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
) -> Response[Error | File]:
    """Run a lifecycle hook in the sandbox; the body is its payload (stdin), the answer its stdout.

    Args:
        id (str):
        hook (InvokeHookHook):
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | File]
    """

    kwargs = _get_kwargs(
        id=id,
        hook=hook,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    hook: InvokeHookHook,
    *,
    client: AuthenticatedClient | Client,
    body: File | Unset = UNSET,
) -> Error | File | None:
    """Run a lifecycle hook in the sandbox; the body is its payload (stdin), the answer its stdout.

    Args:
        id (str):
        hook (InvokeHookHook):
        body (File | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | File
    """

    return (
        await asyncio_detailed(
            id=id,
            hook=hook,
            client=client,
            body=body,
        )
    ).parsed
