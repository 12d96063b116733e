"""The async API against the same daemon: AsyncSandbox, AsyncTemplate."""

from __future__ import annotations

import asyncio

import pytest

from cove import AsyncSandbox, AsyncTemplate, NotFoundError, Sandbox

pytestmark = pytest.mark.anyio

HANG_GUARD = 300


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_async_run_files_and_errors(sandbox: Sandbox, connection: dict[str, str]) -> None:
    sb = await AsyncSandbox.connect(sandbox.sandbox_id, **connection)
    try:
        result = await sb.commands.run("echo async; exit 2")
        assert (result.stdout, result.exit_code) == ("async\n", 2)
        await sb.files.write("/root/async.txt", b"bytes from async")
        assert await sb.files.read("/root/async.txt") == "bytes from async"
        assert (
            b"".join([c async for c in await sb.files.read("/root/async.txt", format="stream")]) == b"bytes from async"
        )
        assert "async.txt" in [e.name for e in await sb.files.list("/root")]
        with pytest.raises(NotFoundError) as raised:
            await sb.files.read("/root/missing")
        assert raised.value.code == "not_found"
    finally:
        await sb.close()


async def test_async_background_with_async_callback(sandbox: Sandbox, connection: dict[str, str]) -> None:
    sb = await AsyncSandbox.connect(sandbox.sandbox_id, **connection)
    chunks: list[str] = []

    async def on_stdout(text: str) -> None:
        await asyncio.sleep(0)  # a coroutine callback is awaited
        chunks.append(text)

    try:
        handle = await sb.commands.run("echo one; echo two; exit 5", background=True, on_stdout=on_stdout)
        assert handle.pid > 0
        result = await asyncio.wait_for(handle.wait(), HANG_GUARD)
        assert (result.stdout, result.exit_code) == ("one\ntwo\n", 5)
        assert "".join(chunks) == result.stdout
    finally:
        await sb.close()


async def test_async_started_process_attached_and_fed(sandbox: Sandbox, connection: dict[str, str]) -> None:
    sb = await AsyncSandbox.connect(sandbox.sandbox_id, **connection)
    echoed = asyncio.Event()

    def on_stdout(text: str) -> None:
        if "got:x" in text:
            echoed.set()

    try:
        pid = await sb.commands.start("while read l; do echo got:$l; done; echo closed")
        handle = await sb.commands.connect(pid, on_stdout=on_stdout)
        # The attach and the first write may cross: write until one is seen.
        while not echoed.is_set():
            await sb.commands.send_stdin(pid, "x\n")
            try:
                await asyncio.wait_for(echoed.wait(), 1)
            except TimeoutError:
                pass
        await sb.commands.close_stdin(pid)
        result = await asyncio.wait_for(handle.wait(), HANG_GUARD)
        assert result.exit_code == 0
        assert result.stdout.endswith("closed\n")
    finally:
        await sb.close()


async def test_async_disconnect(sandbox: Sandbox, connection: dict[str, str]) -> None:
    sb = await AsyncSandbox.connect(sandbox.sandbox_id, **connection)
    try:
        owned = await sb.commands.run(["sleep", "600"], background=True)
        await owned.disconnect()
        assert (await owned.wait()).signal == 9
        pid = await sb.commands.start(["sleep", "600"])
        attached = await sb.commands.connect(pid)
        await attached.disconnect()
        assert pid in [p.pid for p in await sb.commands.list()]
        await sb.commands.kill(pid)
    finally:
        await sb.close()


async def test_async_create_from_template_and_delete(template: str, connection: dict[str, str]) -> None:
    assert template in [t.name for t in await AsyncTemplate.list(**connection)]
    async with await AsyncSandbox.create(template=template, **connection) as clone:
        assert (await clone.get_info()).state == "running"
        assert await clone.files.read("/root/template-marker") == "from the template"
        assert (await clone.commands.run(["cat", "/root/template-marker"])).stdout == "from the template"
        clone_id = clone.sandbox_id
    with pytest.raises(NotFoundError):
        await AsyncSandbox.connect(clone_id, **connection)
