"""Files: write, read, list, stat, directories, rename, remove, errors."""

from __future__ import annotations

import io
import os

import pytest

from cove import InvalidRequestError, NotFoundError, Sandbox

from .conftest import unique


@pytest.fixture
def directory(sandbox: Sandbox) -> str:
    path = f"/root/{unique('files')}"
    sandbox.files.make_dir(path)
    return path


def test_write_then_read_text_and_bytes(sandbox: Sandbox, directory: str) -> None:
    info = sandbox.files.write(f"{directory}/hello.txt", "héllo\n")
    assert (info.name, info.type, info.size) == ("hello.txt", "file", len("héllo\n".encode()))
    assert sandbox.files.read(f"{directory}/hello.txt") == "héllo\n"
    binary = bytes(range(256))
    sandbox.files.write(f"{directory}/bytes.bin", binary, mode=0o600)
    assert sandbox.files.read(f"{directory}/bytes.bin", format="bytes") == binary
    assert sandbox.files.get_info(f"{directory}/bytes.bin").mode & 0o777 == 0o600
    # The sandbox sees what was written.
    assert sandbox.commands.run(f"cat {directory}/hello.txt").stdout == "héllo\n"


def test_write_streams_a_file_object_and_makes_parents(sandbox: Sandbox, directory: str) -> None:
    data = os.urandom(3 << 20)
    path = f"{directory}/a/b/c/big.bin"
    info = sandbox.files.write(path, io.BytesIO(data))
    assert info.size == len(data)
    assert sandbox.files.read(path, format="bytes") == data
    chunks = list(sandbox.files.read(path, format="stream"))
    assert b"".join(chunks) == data


def test_list_stat_exists(sandbox: Sandbox, directory: str) -> None:
    sandbox.files.write(f"{directory}/one", "1")
    sandbox.files.write(f"{directory}/sub/two", "2")
    top = {entry.name: entry.type for entry in sandbox.files.list(directory)}
    assert top == {"one": "file", "sub": "directory"}
    deep = {entry.path for entry in sandbox.files.list(directory, depth=2)}
    assert f"{directory}/sub/two" in deep
    assert sandbox.files.exists(f"{directory}/one")
    assert not sandbox.files.exists(f"{directory}/none")
    assert sandbox.files.get_info(directory).type == "directory"


def test_rename_and_remove(sandbox: Sandbox, directory: str) -> None:
    sandbox.files.write(f"{directory}/old", "content")
    moved = sandbox.files.rename(f"{directory}/old", f"{directory}/new")
    assert moved.path == f"{directory}/new"
    assert sandbox.files.read(f"{directory}/new") == "content"
    assert not sandbox.files.exists(f"{directory}/old")
    sandbox.files.remove(f"{directory}/new")
    assert not sandbox.files.exists(f"{directory}/new")
    sandbox.files.remove(directory, recursive=True)
    assert not sandbox.files.exists(directory)


def test_missing_file_raises_not_found_with_the_api_code(sandbox: Sandbox) -> None:
    with pytest.raises(NotFoundError) as raised:
        sandbox.files.read("/no/such/file")
    assert raised.value.status == 404
    assert raised.value.code == "not_found"
    assert raised.value.message
    # A stream is opened at once, so its error comes from the call too.
    with pytest.raises(NotFoundError):
        sandbox.files.read("/no/such/file", format="stream")


def test_relative_path_raises_invalid_request(sandbox: Sandbox) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        sandbox.files.read("relative/path")
    assert raised.value.status == 400
