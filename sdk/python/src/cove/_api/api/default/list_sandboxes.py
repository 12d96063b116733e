from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.list_sandboxes_state import ListSandboxesState
from ...models.sandbox_list import SandboxList
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    state: ListSandboxesState | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_state: str | Unset = UNSET
    if not isinstance(state, Unset):
        json_state = state.value

    params["state"] = json_state

    json_metadata: list[str] | Unset = UNSET
    if not isinstance(metadata, Unset):
        json_metadata = metadata

    params["metadata"] = json_metadata

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/sandboxes",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | SandboxList:
    if response.status_code == 200:
        response_200 = SandboxList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    response_default = Error.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | SandboxList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    state: ListSandboxesState | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
) -> Response[Error | SandboxList]:
    """List sandboxes.

    Args:
        state (ListSandboxesState | Unset):
        metadata (list[str] | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SandboxList]
    """

    kwargs = _get_kwargs(
        state=state,
        metadata=metadata,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    state: ListSandboxesState | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
) -> Error | SandboxList | None:
    """List sandboxes.

    Args:
        state (ListSandboxesState | Unset):
        metadata (list[str] | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SandboxList
    """

    return sync_detailed(
        client=client,
        state=state,
        metadata=metadata,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    state: ListSandboxesState | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
) -> Response[Error | SandboxList]:
    """List sandboxes.

    Args:
        state (ListSandboxesState | Unset):
        metadata (list[str] | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | SandboxList]
    """

    kwargs = _get_kwargs(
        state=state,
        metadata=metadata,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    state: ListSandboxesState | Unset = UNSET,
    metadata: list[str] | Unset = UNSET,
) -> Error | SandboxList | None:
    """List sandboxes.

    Args:
        state (ListSandboxesState | Unset):
        metadata (list[str] | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | SandboxList
    """

    return (
        await asyncio_detailed(
            client=client,
            state=state,
            metadata=metadata,
        )
    ).parsed
