"""Files in a sandbox: read, write, list, stat, make directories, rename, remove."""

from __future__ import annotations

from collections.abc import Generator, Iterator
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
from ._files import CHUNK, body, upload_request
from .errors import NotFoundError
from .models import FileInfo


class Files:
    """The files of one sandbox: ``sandbox.files``. Paths are absolute."""

    def __init__(self, sandbox_id: str, client: AuthenticatedClient) -> None:
        self._id = sandbox_id
        self._client = client

    @overload
    def read(self, path: str, *, format: Literal["text"] = "text") -> str: ...
    @overload
    def read(self, path: str, *, format: Literal["bytes"]) -> bytes: ...
    @overload
    def read(self, path: str, *, format: Literal["stream"]) -> Iterator[bytes]: ...

    def read(self, path: str, *, format: Literal["text", "bytes", "stream"] = "text") -> str | bytes | Iterator[bytes]:
        """A file's content, as text (UTF-8), bytes, or a stream of byte
        chunks for a file too large to hold (read it to the end, or close it)."""
        if format == "stream":
            http = self._client.get_httpx_client()
            request = http.build_request(**download_file._get_kwargs(self._id, path=path))
            # Sent now, so that an error raises here rather than at the first chunk.
            response = http.send(request, stream=True)
            return _chunks(response)
        file = parsed(download_file.sync_detailed(self._id, client=self._client, path=path))
        data = file.payload.read()
        return data.decode() if format == "text" else data

    def write(
        self,
        path: str,
        data: str | bytes | IO[bytes],
        *,
        mode: int | None = None,
        make_parents: bool = True,
    ) -> FileInfo:
        """Writes a file (replaced whole, atomically); a file object is
        streamed. Missing parent directories are made unless
        ``make_parents=False``; ``mode`` defaults to 0o644."""
        request = upload_request(self._id, path, mode, make_parents)
        response = self._client.get_httpx_client().request(**request, content=body(data))
        answer = upload_file._build_response(client=self._client, response=response)
        return FileInfo._from_api(parsed(answer))

    def list(self, path: str, *, depth: int = 1) -> list[FileInfo]:
        """A directory's entries, down to ``depth`` levels."""
        answer = parsed(list_files.sync_detailed(self._id, client=self._client, path=path, depth=depth))
        return [FileInfo._from_api(entry) for entry in answer.entries]

    def get_info(self, path: str) -> FileInfo:
        """What is at ``path``; :class:`~cove.errors.NotFoundError` if nothing."""
        return FileInfo._from_api(parsed(stat_file.sync_detailed(self._id, client=self._client, path=path)))

    def exists(self, path: str) -> bool:
        """Whether something is at ``path``."""
        try:
            self.get_info(path)
        except NotFoundError:
            return False
        return True

    def make_dir(self, path: str, *, parents: bool = True, mode: int | None = None) -> FileInfo:
        """Makes a directory (and its parents, unless ``parents=False``)."""
        request = MakeDirectory(path=path, parents=parents)
        if mode is not None:
            request.mode = mode
        return FileInfo._from_api(parsed(make_directory.sync_detailed(self._id, client=self._client, body=request)))

    def rename(self, old_path: str, new_path: str) -> FileInfo:
        """Renames or moves a file or directory; returns it at its new path."""
        request = Rename(from_=old_path, to=new_path)
        return FileInfo._from_api(parsed(rename_file.sync_detailed(self._id, client=self._client, body=request)))

    def remove(self, path: str, *, recursive: bool = False) -> None:
        """Removes a file, or a directory (with its content if ``recursive``)."""
        remove_file.sync_detailed(self._id, client=self._client, path=path, recursive=recursive)


def _chunks(response: httpx.Response) -> Generator[bytes, None, None]:
    try:
        yield from response.iter_bytes(CHUNK)
    finally:
        response.close()
