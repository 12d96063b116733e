from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.file_info import FileInfo
from ...types import UNSET, File, Response, Unset


def _get_kwargs(
    id: str,
    *,
    body: File,
    mode: str | Unset = "644",
    parents: bool | Unset = False,
    path: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    params: dict[str, Any] = {}

    params["mode"] = mode

    params["parents"] = parents

    params["path"] = path

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/sandboxes/{id}/files".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | FileInfo:
    if response.status_code == 200:
        response_200 = FileInfo.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if response.status_code == 410:
        response_410 = Error.from_dict(response.json())

        return response_410

    if response.status_code == 507:
        response_507 = Error.from_dict(response.json())

        return response_507

    response_default = Error.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | FileInfo]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    mode: str | Unset = "644",
    parents: bool | Unset = False,
    path: str,
) -> Response[Error | FileInfo]:
    """Upload a file (streamed, replaced atomically).

    Args:
        id (str):
        mode (str | Unset):  Default: '644'.
        parents (bool | Unset):  Default: False.
        path (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | FileInfo]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
        mode=mode,
        parents=parents,
        path=path,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    mode: str | Unset = "644",
    parents: bool | Unset = False,
    path: str,
) -> Error | FileInfo | None:
    """Upload a file (streamed, replaced atomically).

    Args:
        id (str):
        mode (str | Unset):  Default: '644'.
        parents (bool | Unset):  Default: False.
        path (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | FileInfo
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
        mode=mode,
        parents=parents,
        path=path,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    mode: str | Unset = "644",
    parents: bool | Unset = False,
    path: str,
) -> Response[Error | FileInfo]:
    """Upload a file (streamed, replaced atomically).

    Args:
        id (str):
        mode (str | Unset):  Default: '644'.
        parents (bool | Unset):  Default: False.
        path (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | FileInfo]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
        mode=mode,
        parents=parents,
        path=path,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: File,
    mode: str | Unset = "644",
    parents: bool | Unset = False,
    path: str,
) -> Error | FileInfo | None:
    """Upload a file (streamed, replaced atomically).

    Args:
        id (str):
        mode (str | Unset):  Default: '644'.
        parents (bool | Unset):  Default: False.
        path (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | FileInfo
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
            mode=mode,
            parents=parents,
            path=path,
        )
    ).parsed
