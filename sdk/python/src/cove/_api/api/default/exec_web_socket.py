from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/sandboxes/{id}/exec/ws".format(
            id=quote(str(id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Error:
    if response.status_code == 101:
        response_101 = cast(Any, None)
        return response_101

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

    response_default = Error.from_dict(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Error]:
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
) -> Response[Any | Error]:
    """Run a command over a WebSocket, with a terminal or live standard input.

     A WebSocket upgrade (RFC 6455); it is refused, with an error answer, unless the sandbox is running.
    The client's first message is a WebSocketStart; then binary messages are standard input and text
    messages are the other WebSocketClientMessage kinds. The server sends WebSocketServerMessage text
    messages, the last an exit or error, then closes. A client that closes or goes away ends the
    command. Not for code generators: it is written by hand on both ends.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Any | Error | None:
    """Run a command over a WebSocket, with a terminal or live standard input.

     A WebSocket upgrade (RFC 6455); it is refused, with an error answer, unless the sandbox is running.
    The client's first message is a WebSocketStart; then binary messages are standard input and text
    messages are the other WebSocketClientMessage kinds. The server sends WebSocketServerMessage text
    messages, the last an exit or error, then closes. A client that closes or goes away ends the
    command. Not for code generators: it is written by hand on both ends.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error
    """

    return sync_detailed(
        id=id,
        client=client,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Any | Error]:
    """Run a command over a WebSocket, with a terminal or live standard input.

     A WebSocket upgrade (RFC 6455); it is refused, with an error answer, unless the sandbox is running.
    The client's first message is a WebSocketStart; then binary messages are standard input and text
    messages are the other WebSocketClientMessage kinds. The server sends WebSocketServerMessage text
    messages, the last an exit or error, then closes. A client that closes or goes away ends the
    command. Not for code generators: it is written by hand on both ends.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Any | Error | None:
    """Run a command over a WebSocket, with a terminal or live standard input.

     A WebSocket upgrade (RFC 6455); it is refused, with an error answer, unless the sandbox is running.
    The client's first message is a WebSocketStart; then binary messages are standard input and text
    messages are the other WebSocketClientMessage kinds. The server sends WebSocketServerMessage text
    messages, the last an exit or error, then closes. A client that closes or goes away ends the
    command. Not for code generators: it is written by hand on both ends.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
        )
    ).parsed
