from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.command_event_type_0 import CommandEventType0
from ...models.command_event_type_1 import CommandEventType1
from ...models.command_event_type_2 import CommandEventType2
from ...models.command_event_type_3 import CommandEventType3
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    id: str,
    pid: int,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/sandboxes/{id}/processes/{pid}/stream".format(
            id=quote(str(id), safe=""),
            pid=quote(str(pid), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
):
    if response.status_code == 200:

        def _parse_response_200(
            data: object,
        ) -> (
            CommandEventType0
            | CommandEventType1
            | CommandEventType2
            | CommandEventType3
        ):
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_command_event_type_0 = CommandEventType0.from_dict(
                    data
                )

                return componentsschemas_command_event_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_command_event_type_1 = CommandEventType1.from_dict(
                    data
                )

                return componentsschemas_command_event_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_command_event_type_2 = CommandEventType2.from_dict(
                    data
                )

                return componentsschemas_command_event_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_command_event_type_3 = CommandEventType3.from_dict(data)

            return componentsschemas_command_event_type_3

        response_200 = _parse_response_200(response.text)

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
) -> Response[
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    pid: int,
    *,
    client: AuthenticatedClient | Client,
) -> Response[
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
]:
    """Attach to a process; its output from now on and its exit, as Server-Sent Events.

     Events as for POST /v1/sandboxes/{id}/exec/stream, without started: stdout and stderr (OutputChunk),
    then exit (ExitStatus) or error (ErrorDetail).

    Args:
        id (str):
        pid (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CommandEventType0 | CommandEventType1 | CommandEventType2 | CommandEventType3 | Error]
    """

    kwargs = _get_kwargs(
        id=id,
        pid=pid,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    pid: int,
    *,
    client: AuthenticatedClient | Client,
) -> (
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
    | None
):
    """Attach to a process; its output from now on and its exit, as Server-Sent Events.

     Events as for POST /v1/sandboxes/{id}/exec/stream, without started: stdout and stderr (OutputChunk),
    then exit (ExitStatus) or error (ErrorDetail).

    Args:
        id (str):
        pid (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CommandEventType0 | CommandEventType1 | CommandEventType2 | CommandEventType3 | Error
    """

    return sync_detailed(
        id=id,
        pid=pid,
        client=client,
    ).parsed


async def asyncio_detailed(
    id: str,
    pid: int,
    *,
    client: AuthenticatedClient | Client,
) -> Response[
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
]:
    """Attach to a process; its output from now on and its exit, as Server-Sent Events.

     Events as for POST /v1/sandboxes/{id}/exec/stream, without started: stdout and stderr (OutputChunk),
    then exit (ExitStatus) or error (ErrorDetail).

    Args:
        id (str):
        pid (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CommandEventType0 | CommandEventType1 | CommandEventType2 | CommandEventType3 | Error]
    """

    kwargs = _get_kwargs(
        id=id,
        pid=pid,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    pid: int,
    *,
    client: AuthenticatedClient | Client,
) -> (
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
    | None
):
    """Attach to a process; its output from now on and its exit, as Server-Sent Events.

     Events as for POST /v1/sandboxes/{id}/exec/stream, without started: stdout and stderr (OutputChunk),
    then exit (ExitStatus) or error (ErrorDetail).

    Args:
        id (str):
        pid (int):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CommandEventType0 | CommandEventType1 | CommandEventType2 | CommandEventType3 | Error
    """

    return (
        await asyncio_detailed(
            id=id,
            pid=pid,
            client=client,
        )
    ).parsed
