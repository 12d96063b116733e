"""Files in a sandbox, awaited: :class:`AsyncFiles`."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import IO, Literal, overload

import httpx

from ._api.api.default import (
    download_file,
    list_files,
    make_directory,
    remove_file,
    rename_file,
    stat_file,
    upload_file,
)
from ._api.client import AuthenticatedClient
from ._api.models.make_directory import MakeDirectory
from ._api.models.rename import Rename
from ._connection import parsed
from ._files import CHUNK, async_body, upload_request
from .errors import NotFoundError
from .models import FileInfo


class AsyncFiles:
    """The files of one sandbox, awaited: ``sandbox.files``; see :class:`cove.files.Files`."""

    def __init__(self, sandbox_id: str, client: AuthenticatedClient) -> None:
        self._id = sandbox_id
        self._client = client

    @overload
    async def read(self, path: str, *, format: Literal["text"] = "text") -> str: ...
    @overload
    async def read(self, path: str, *, format: Literal["bytes"]) -> bytes: ...
    @overload
    async def read(self, path: str, *, format: Literal["stream"]) -> AsyncIterator[bytes]: ...

    async def read(
        self, path: str, *, format: Literal["text", "bytes", "stream"] = "text"
    ) -> str | bytes | AsyncIterator[bytes]:
        if format == "stream":
            http = self._client.get_async_httpx_client()
            request = http.build_request(**download_file._get_kwargs(self._id, path=path))
            response = await http.send(request, stream=True)
            return _chunks(response)
        answer = await download_file.asyncio_detailed(self._id, client=self._client, path=path)
        data = parsed(answer).payload.read()
        return data.decode() if format == "text" else data

    async def write(
        self,
        path: str,
        data: str | bytes | IO[bytes],
        *,
        mode: int | None = None,
        make_parents: bool = True,
    ) -> FileInfo:
        request = upload_request(self._id, path, mode, make_parents)
        response = await self._client.get_async_httpx_client().request(**request, content=async_body(data))
        answer = upload_file._build_response(client=self._client, response=response)
        return FileInfo._from_api(parsed(answer))

    async def list(self, path: str, *, depth: int = 1) -> list[FileInfo]:
        answer = await list_files.asyncio_detailed(self._id, client=self._client, path=path, depth=depth)
        return [FileInfo._from_api(entry) for entry in parsed(answer).entries]

    async def get_info(self, path: str) -> FileInfo:
        answer = await stat_file.asyncio_detailed(self._id, client=self._client, path=path)
        return FileInfo._from_api(parsed(answer))

    async def exists(self, path: str) -> bool:
        try:
            await self.get_info(path)
        except NotFoundError:
            return False
        return True

    async def make_dir(self, path: str, *, parents: bool = True, mode: int | None = None) -> FileInfo:
        request = MakeDirectory(path=path, parents=parents)
        if mode is not None:
            request.mode = mode
        answer = await make_directory.asyncio_detailed(self._id, client=self._client, body=request)
        return FileInfo._from_api(parsed(answer))

    async def rename(self, old_path: str, new_path: str) -> FileInfo:
        answer = await rename_file.asyncio_detailed(
            self._id, client=self._client, body=Rename(from_=old_path, to=new_path)
        )
        return FileInfo._from_api(parsed(answer))

    async def remove(self, path: str, *, recursive: bool = False) -> None:
        await remove_file.asyncio_detailed(self._id, client=self._client, path=path, recursive=recursive)


async def _chunks(response: httpx.Response) -> AsyncGenerator[bytes, None]:
    try:
        async for chunk in response.aiter_bytes(CHUNK):
            yield chunk
    finally:
        await response.aclose()
