from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.command import Command
from ...models.command_event_type_0 import CommandEventType0
from ...models.command_event_type_1 import CommandEventType1
from ...models.command_event_type_2 import CommandEventType2
from ...models.command_event_type_3 import CommandEventType3
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    id: str,
    *,
    body: Command,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/sandboxes/{id}/exec/stream".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
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

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

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
    *,
    client: AuthenticatedClient | Client,
    body: Command,
) -> Response[
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
]:
    """Run a command with live output.

     Server-Sent Events, each with a JSON data line: started (Started), stdout and stderr (OutputChunk),
    then exit (ExitStatus) or error (ErrorDetail), which ends the stream. A failure before the command
    starts is an ordinary error answer instead.

    Args:
        id (str):
        body (Command):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CommandEventType0 | CommandEventType1 | CommandEventType2 | CommandEventType3 | Error]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: Command,
) -> (
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
    | None
):
    """Run a command with live output.

     Server-Sent Events, each with a JSON data line: started (Started), stdout and stderr (OutputChunk),
    then exit (ExitStatus) or error (ErrorDetail), which ends the stream. A failure before the command
    starts is an ordinary error answer instead.

    Args:
        id (str):
        body (Command):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CommandEventType0 | CommandEventType1 | CommandEventType2 | CommandEventType3 | Error
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: Command,
) -> Response[
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
]:
    """Run a command with live output.

     Server-Sent Events, each with a JSON data line: started (Started), stdout and stderr (OutputChunk),
    then exit (ExitStatus) or error (ErrorDetail), which ends the stream. A failure before the command
    starts is an ordinary error answer instead.

    Args:
        id (str):
        body (Command):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CommandEventType0 | CommandEventType1 | CommandEventType2 | CommandEventType3 | Error]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
    body: Command,
) -> (
    CommandEventType0
    | CommandEventType1
    | CommandEventType2
    | CommandEventType3
    | Error
    | None
):
    """Run a command with live output.

     Server-Sent Events, each with a JSON data line: started (Started), stdout and stderr (OutputChunk),
    then exit (ExitStatus) or error (ErrorDetail), which ends the stream. A failure before the command
    starts is an ordinary error answer instead.

    Args:
        id (str):
        body (Command):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CommandEventType0 | CommandEventType1 | CommandEventType2 | CommandEventType3 | Error
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
