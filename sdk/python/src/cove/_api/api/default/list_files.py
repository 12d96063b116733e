from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.file_list import FileList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    depth: int | Unset = 1,
    path: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["depth"] = depth

    params["path"] = path

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/sandboxes/{id}/files/list".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | FileList:
    if response.status_code == 200:
        response_200 = FileList.from_dict(response.json())

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

    response_default = Error.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | FileList]:
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
    depth: int | Unset = 1,
    path: str,
) -> Response[Error | FileList]:
    """A directory's entries, to a depth.

    Args:
        id (str):
        depth (int | Unset):  Default: 1.
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | FileList]
    """

    kwargs = _get_kwargs(
        id=id,
        depth=depth,
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
    depth: int | Unset = 1,
    path: str,
) -> Error | FileList | None:
    """A directory's entries, to a depth.

    Args:
        id (str):
        depth (int | Unset):  Default: 1.
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | FileList
    """

    return sync_detailed(
        id=id,
        client=client,
        depth=depth,
        path=path,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    depth: int | Unset = 1,
    path: str,
) -> Response[Error | FileList]:
    """A directory's entries, to a depth.

    Args:
        id (str):
        depth (int | Unset):  Default: 1.
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | FileList]
    """

    kwargs = _get_kwargs(
        id=id,
        depth=depth,
        path=path,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    depth: int | Unset = 1,
    path: str,
) -> Error | FileList | None:
    """A directory's entries, to a depth.

    Args:
        id (str):
        depth (int | Unset):  Default: 1.
        path (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | FileList
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            depth=depth,
            path=path,
        )
    ).parsed
