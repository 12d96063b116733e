"""What the sync and async file APIs share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from io import BytesIO
from typing import IO, Any

from ._api.api.default import upload_file
from ._api.types import File

CHUNK = 1 << 20


def upload_request(sandbox_id: str, path: str, mode: int | None, parents: bool) -> dict[str, Any]:
    """The generated upload request, without its body (the caller streams it)."""
    request = upload_file._get_kwargs(
        sandbox_id,
        body=File(payload=BytesIO()),
        path=path,
        mode=format(mode, "o") if mode is not None else "644",
        parents=parents,
    )
    request.pop("content", None)
    return request


def body(data: str | bytes | IO[bytes]) -> bytes | Iterator[bytes]:
    """Bytes as they are; a file read in pieces, so a large one streams."""
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    return iter(lambda: data.read(CHUNK), b"")


async def async_body(data: str | bytes | IO[bytes]) -> AsyncIterator[bytes]:
    """For the async client, which takes only async iterables as streams."""
    if isinstance(data, str | bytes | bytearray | memoryview):
        yield data.encode() if isinstance(data, str) else bytes(data)
        return
    while chunk := data.read(CHUNK):
        yield chunk
