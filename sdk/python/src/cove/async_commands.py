"""Commands in a sandbox, awaited: :class:`AsyncCommands`, :class:`AsyncCommandHandle`."""

from __future__ import annotations

import asyncio
import base64
import inspect
import signal as _signal
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Literal, overload

import httpx
from httpx_sse import EventSource, ServerSentEvent, aconnect_sse

from ._api.api.default import (
    attach_process,
    exec_stream,
    list_processes,
    signal_process,
    start_process,
    write_stdin,
)
from ._api.client import AuthenticatedClient
from ._api.models.signal import Signal
from ._api.models.stdin import Stdin
from ._commands import Collector, Event, Exited, Output, Started, decode_event
from ._connection import ConnectionConfig, parsed
from ._requests import command_request
from .errors import CommandExitError, CoveError
from .models import CommandResult, ProcessInfo

AsyncOutputCallback = Callable[[str], object]
"""Called with each piece of output; may be a coroutine function."""


class _AsyncEvents:
    """One open Server-Sent Events answer, read one command event at a time."""

    def __init__(self, context: AbstractAsyncContextManager[EventSource]) -> None:
        self._context = context
        self._iterator: AsyncIterator[ServerSentEvent] | None = None
        self._closed = False

    @classmethod
    async def open(cls, http: httpx.AsyncClient, request: dict[str, object], timeout: httpx.Timeout) -> _AsyncEvents:
        kwargs = dict(request)
        method, url = str(kwargs.pop("method")), str(kwargs.pop("url"))
        events = cls(aconnect_sse(http, method, url, timeout=timeout, **kwargs))
        # An error status raises here, typed, from the client's response hook.
        source = await events._context.__aenter__()
        events._iterator = source.aiter_sse()
        return events

    async def next(self) -> Event | None:
        assert self._iterator is not None
        async for sse in self._iterator:
            event = decode_event(sse.event, sse.data)
            if event is not None:
                return event
        return None

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._context.__aexit__(None, None, None)


class AsyncCommandHandle:
    """A command running in the background, read by a task of its own.

    The same as :class:`~cove.commands.CommandHandle`, awaited.
    """

    def __init__(
        self,
        events: _AsyncEvents,
        commands: AsyncCommands,
        *,
        pid: int | None,
        on_stdout: AsyncOutputCallback | None,
        on_stderr: AsyncOutputCallback | None,
    ) -> None:
        self._events = events
        self._commands = commands
        self._collector = Collector()
        self._collector.pid = pid
        self._callbacks = {"stdout": on_stdout, "stderr": on_stderr}
        # Whether this handle's stream started the command (so owns it).
        self._owned = pid is None
        self._task: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        if self._collector.pid is None:
            raise CoveError("not_started", "the command has not started")
        return self._collector.pid

    @property
    def stdout(self) -> str:
        return self._collector.stdout

    @property
    def stderr(self) -> str:
        return self._collector.stderr

    @property
    def exit_code(self) -> int | None:
        return self._collector.exited.exit_code if self._collector.exited else None

    async def wait(self) -> CommandResult:
        """Waits for the command to end; raises the stream's error if it broke."""
        if self._task is not None:
            await asyncio.shield(self._task)
        return self._collector.result()

    async def kill(self) -> None:
        """Kills the command (SIGKILL); :meth:`wait` then returns its end."""
        await self._commands.send_signal(self.pid, _signal.SIGKILL)

    async def send_stdin(self, data: str | bytes) -> None:
        await self._commands.send_stdin(self.pid, data)

    async def disconnect(self) -> None:
        """Stops listening. A command from :meth:`AsyncCommands.run` cannot
        outlive its stream, so it is killed; a process attached to carries on."""
        if self._owned and self._task is not None and not self._task.done():
            # Kill it rather than just close the stream (which also ends it,
            # as the daemon sees the connection go), so that the stream ends
            # with its exit.
            try:
                await self.kill()
                await asyncio.wait([self._task])
                return
            except CoveError:
                pass  # it ended meanwhile
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self._events.close()

    async def _wait_for_start(self) -> None:
        event = await self._events.next()
        if not isinstance(event, Started):
            raise CoveError("not_started", f"the command's stream began with {event!r}")
        self._collector.pid = event.pid

    async def _pump(self) -> None:
        try:
            while (event := await self._events.next()) is not None:
                if isinstance(event, Output):
                    await self._deliver(event.stream, self._collector.add(event))
                elif isinstance(event, Exited):
                    self._collector.exited = event
                elif isinstance(event, Started):
                    self._collector.pid = event.pid
            for stream, text in self._collector.finish().items():
                await self._deliver(stream, text)
        finally:
            await self._events.close()

    async def _deliver(self, stream: str, text: str) -> None:
        callback = self._callbacks[stream]
        if text and callback is not None:
            outcome = callback(text)
            if inspect.isawaitable(outcome):
                await outcome

    def _run_in_background(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._pump(), name=f"cove-command-{self.pid}")


class AsyncCommands:
    """The commands of one sandbox, awaited: ``sandbox.commands``."""

    def __init__(self, sandbox_id: str, client: AuthenticatedClient, config: ConnectionConfig) -> None:
        self._id = sandbox_id
        self._client = client
        self._config = config

    @overload
    async def run(
        self,
        cmd: str | Sequence[str],
        *,
        background: Literal[False] = False,
        envs: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        timeout: int | None = None,
        stdin: str | None = None,
        on_stdout: AsyncOutputCallback | None = None,
        on_stderr: AsyncOutputCallback | None = None,
        check: bool = False,
    ) -> CommandResult: ...

    @overload
    async def run(
        self,
        cmd: str | Sequence[str],
        *,
        background: Literal[True],
        envs: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        timeout: int | None = None,
        stdin: str | None = None,
        on_stdout: AsyncOutputCallback | None = None,
        on_stderr: AsyncOutputCallback | None = None,
        check: bool = False,
    ) -> AsyncCommandHandle: ...

    async def run(
        self,
        cmd: str | Sequence[str],
        *,
        background: bool = False,
        envs: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        timeout: int | None = None,
        stdin: str | None = None,
        on_stdout: AsyncOutputCallback | None = None,
        on_stderr: AsyncOutputCallback | None = None,
        check: bool = False,
    ) -> CommandResult | AsyncCommandHandle:
        """Runs a command; see :meth:`cove.commands.Commands.run`."""
        body = command_request(cmd, envs=envs, cwd=cwd, user=user, timeout=timeout, stdin=stdin)
        request = exec_stream._get_kwargs(self._id, body=body)
        events = await _AsyncEvents.open(self._client.get_async_httpx_client(), request, self._config.stream_timeout)
        handle = AsyncCommandHandle(events, self, pid=None, on_stdout=on_stdout, on_stderr=on_stderr)
        try:
            await handle._wait_for_start()
        except BaseException:
            await events.close()
            raise
        if background:
            handle._run_in_background()
            return handle
        await handle._pump()
        result = handle._collector.result()
        if check and result.exit_code != 0:
            raise CommandExitError(result)
        return result

    async def start(
        self,
        cmd: str | Sequence[str],
        *,
        tag: str | None = None,
        envs: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        timeout: int | None = None,
        stdin: str | None = None,
    ) -> int:
        """Starts a process that runs on without any client; returns its pid."""
        body = command_request(cmd, envs=envs, cwd=cwd, user=user, timeout=timeout, stdin=stdin, tag=tag)
        answer = await start_process.asyncio_detailed(self._id, client=self._client, body=body)
        return parsed(answer).pid

    async def connect(
        self,
        pid: int,
        *,
        on_stdout: AsyncOutputCallback | None = None,
        on_stderr: AsyncOutputCallback | None = None,
    ) -> AsyncCommandHandle:
        """Attaches to a running process: its output from now on, and its end."""
        request = attach_process._get_kwargs(self._id, pid)
        events = await _AsyncEvents.open(self._client.get_async_httpx_client(), request, self._config.stream_timeout)
        handle = AsyncCommandHandle(events, self, pid=pid, on_stdout=on_stdout, on_stderr=on_stderr)
        handle._run_in_background()
        return handle

    async def list(self) -> list[ProcessInfo]:
        answer = parsed(await list_processes.asyncio_detailed(self._id, client=self._client))
        return [ProcessInfo._from_api(p) for p in answer.processes]

    async def send_signal(self, pid: int, signal: int) -> None:
        await signal_process.asyncio_detailed(self._id, pid, client=self._client, body=Signal(signal=int(signal)))

    async def kill(self, pid: int) -> None:
        await self.send_signal(pid, _signal.SIGKILL)

    async def send_stdin(self, pid: int, data: str | bytes, *, close: bool = False) -> None:
        body = (
            Stdin(data=data, close=close)
            if isinstance(data, str)
            else Stdin(data_base64=base64.b64encode(data).decode("ascii"), close=close)
        )
        await write_stdin.asyncio_detailed(self._id, pid, client=self._client, body=body)

    async def close_stdin(self, pid: int) -> None:
        await write_stdin.asyncio_detailed(self._id, pid, client=self._client, body=Stdin(close=True))
