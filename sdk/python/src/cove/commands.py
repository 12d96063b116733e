"""Commands in a sandbox: run and wait, run in the background with output
callbacks, attach to a running process, signals and standard input."""

from __future__ import annotations

import base64
import signal as _signal
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, overload

import httpx
from httpx_sse import EventSource, connect_sse

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

OutputCallback = Callable[[str], object]
"""Called with each piece of a command's output, decoded as UTF-8."""


class _Events:
    """One open Server-Sent Events answer, read one command event at a time."""

    def __init__(self, http: httpx.Client, request: dict[str, object], timeout: httpx.Timeout) -> None:
        kwargs = dict(request)
        method, url = str(kwargs.pop("method")), str(kwargs.pop("url"))
        self._context = connect_sse(http, method, url, timeout=timeout, **kwargs)
        # An error status raises here, typed, from the client's response hook.
        source: EventSource = self._context.__enter__()
        self._response = source.response
        self._closed = False
        self._iterator = source.iter_sse()

    def next(self) -> Event | None:
        """The next event, or None at the end of the stream."""
        for sse in self._iterator:
            event = decode_event(sse.event, sse.data)
            if event is not None:
                return event
        return None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._context.__exit__(None, None, None)

    def interrupt(self) -> None:
        """Makes a read blocked in another thread return, by shutting the
        connection's socket: closing the response from here instead would
        wait on the reader's lock."""
        stream = self._response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed
        else:
            self._response.close()


class CommandHandle:
    """A command running in the background.

    Its output goes to the callbacks as it comes (on a thread of the
    handle's), and is kept: :meth:`wait` returns it with the exit status.
    A command started by :meth:`Commands.run` lives as long as its stream,
    so :meth:`disconnect` kills it; :meth:`Commands.start` starts one that
    does not depend on any client.
    """

    def __init__(
        self,
        events: _Events,
        commands: Commands,
        *,
        pid: int | None,
        on_stdout: OutputCallback | None,
        on_stderr: OutputCallback | None,
    ) -> None:
        self._events = events
        self._commands = commands
        self._collector = Collector()
        self._collector.pid = pid
        self._callbacks = {"stdout": on_stdout, "stderr": on_stderr}
        # Whether this handle's stream started the command (so owns it).
        self._owned = pid is None
        self._error: BaseException | None = None
        self._disconnected = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pid(self) -> int:
        """The process's id in the sandbox."""
        if self._collector.pid is None:
            raise CoveError("not_started", "the command has not started")
        return self._collector.pid

    @property
    def stdout(self) -> str:
        """Standard output so far."""
        return self._collector.stdout

    @property
    def stderr(self) -> str:
        """Standard error so far."""
        return self._collector.stderr

    @property
    def exit_code(self) -> int | None:
        """The exit code once the command ended, else None."""
        return self._collector.exited.exit_code if self._collector.exited else None

    def wait(self, timeout: float | None = None) -> CommandResult:
        """Waits for the command to end and returns its result.

        Raises the stream's error if it broke, and ``TimeoutError`` if
        ``timeout`` seconds passed first (the command carries on).
        """
        if not self._done.wait(timeout):
            raise TimeoutError(f"the command did not end within {timeout} s")
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        return self._collector.result()

    def kill(self) -> None:
        """Kills the command (SIGKILL); :meth:`wait` then returns its end."""
        self._commands.send_signal(self.pid, _signal.SIGKILL)

    def send_stdin(self, data: str | bytes) -> None:
        """Writes to the command's standard input."""
        self._commands.send_stdin(self.pid, data)

    def disconnect(self) -> None:
        """Stops listening. A command from :meth:`Commands.run` cannot
        outlive its stream, so it is killed; a process attached to by
        :meth:`Commands.connect` carries on."""
        if self._owned and self._thread is not None and not self._done.is_set():
            # Kill it rather than just close the stream (which also ends it,
            # as the daemon sees the connection go), so that the stream ends
            # with its exit.
            try:
                self.kill()
                self._done.wait()
                return
            except CoveError:
                pass  # it ended meanwhile
        self._disconnected = True
        if self._thread is not None:
            self._events.interrupt()
        else:
            self._events.close()
        self._done.wait()

    def _wait_for_start(self) -> None:
        event = self._events.next()
        if not isinstance(event, Started):
            self._events.close()
            raise CoveError("not_started", f"the command's stream began with {event!r}")
        self._collector.pid = event.pid

    def _pump(self) -> None:
        try:
            while (event := self._events.next()) is not None:
                if isinstance(event, Output):
                    self._deliver(event.stream, self._collector.add(event))
                elif isinstance(event, Exited):
                    self._collector.exited = event
                elif isinstance(event, Started):
                    self._collector.pid = event.pid
            for stream, text in self._collector.finish().items():
                self._deliver(stream, text)
        except BaseException as error:  # noqa: BLE001 - handed to wait()
            if not self._disconnected:
                self._error = error
        finally:
            self._events.close()
            self._done.set()

    def _deliver(self, stream: str, text: str) -> None:
        callback = self._callbacks[stream]
        if text and callback is not None:
            callback(text)

    def _run_in_background(self) -> None:
        self._thread = threading.Thread(target=self._pump, name=f"cove-command-{self.pid}", daemon=True)
        self._thread.start()


class Commands:
    """The commands of one sandbox: ``sandbox.commands``."""

    def __init__(self, sandbox_id: str, client: AuthenticatedClient, config: ConnectionConfig) -> None:
        self._id = sandbox_id
        self._client = client
        self._config = config

    @overload
    def run(
        self,
        cmd: str | Sequence[str],
        *,
        background: Literal[False] = False,
        envs: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        timeout: int | None = None,
        stdin: str | None = None,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
        check: bool = False,
    ) -> CommandResult: ...

    @overload
    def run(
        self,
        cmd: str | Sequence[str],
        *,
        background: Literal[True],
        envs: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        timeout: int | None = None,
        stdin: str | None = None,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
        check: bool = False,
    ) -> CommandHandle: ...

    def run(
        self,
        cmd: str | Sequence[str],
        *,
        background: bool = False,
        envs: Mapping[str, str] | None = None,
        cwd: str | None = None,
        user: str | None = None,
        timeout: int | None = None,
        stdin: str | None = None,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
        check: bool = False,
    ) -> CommandResult | CommandHandle:
        """Runs a command: a string through ``/bin/sh -c``, a sequence as is.

        Waits for it and returns its :class:`CommandResult`, or with
        ``background=True`` returns a :class:`CommandHandle` once it started.
        ``on_stdout``/``on_stderr`` get its output as it comes; ``timeout``
        (seconds) kills it in the sandbox; ``stdin`` is given to it, then
        closed. With ``check=True`` a non-zero exit raises
        :class:`~cove.errors.CommandExitError`.
        """
        body = command_request(cmd, envs=envs, cwd=cwd, user=user, timeout=timeout, stdin=stdin)
        request = exec_stream._get_kwargs(self._id, body=body)
        events = _Events(self._client.get_httpx_client(), request, self._config.stream_timeout)
        handle = CommandHandle(events, self, pid=None, on_stdout=on_stdout, on_stderr=on_stderr)
        try:
            handle._wait_for_start()
        except BaseException:
            events.close()
            raise
        if background:
            handle._run_in_background()
            return handle
        handle._pump()
        result = handle.wait()
        if check and result.exit_code != 0:
            raise CommandExitError(result)
        return result

    def start(
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
        """Starts a process that runs on without any client, and returns its
        pid; :meth:`connect` attaches to it, :meth:`list` finds it by tag.
        Its standard input stays open for :meth:`send_stdin`."""
        body = command_request(cmd, envs=envs, cwd=cwd, user=user, timeout=timeout, stdin=stdin, tag=tag)
        started = parsed(start_process.sync_detailed(self._id, client=self._client, body=body))
        return started.pid

    def connect(
        self,
        pid: int,
        *,
        on_stdout: OutputCallback | None = None,
        on_stderr: OutputCallback | None = None,
    ) -> CommandHandle:
        """Attaches to a running process: its output from now on, and its end.
        Disconnecting leaves it running."""
        request = attach_process._get_kwargs(self._id, pid)
        events = _Events(self._client.get_httpx_client(), request, self._config.stream_timeout)
        handle = CommandHandle(events, self, pid=pid, on_stdout=on_stdout, on_stderr=on_stderr)
        handle._run_in_background()
        return handle

    def list(self) -> list[ProcessInfo]:
        """The processes the sandbox's agent started that still run."""
        answer = parsed(list_processes.sync_detailed(self._id, client=self._client))
        return [ProcessInfo._from_api(p) for p in answer.processes]

    def send_signal(self, pid: int, signal: int) -> None:
        """Sends a signal (1 to 64) to a process."""
        signal_process.sync_detailed(self._id, pid, client=self._client, body=Signal(signal=int(signal)))

    def kill(self, pid: int) -> None:
        """Kills a process (SIGKILL)."""
        self.send_signal(pid, _signal.SIGKILL)

    def send_stdin(self, pid: int, data: str | bytes, *, close: bool = False) -> None:
        """Writes to a process's standard input; ``close`` closes it after."""
        body = (
            Stdin(data=data, close=close)
            if isinstance(data, str)
            else Stdin(data_base64=base64.b64encode(data).decode("ascii"), close=close)
        )
        write_stdin.sync_detailed(self._id, pid, client=self._client, body=body)

    def close_stdin(self, pid: int) -> None:
        """Closes a process's standard input (it reads end of file)."""
        write_stdin.sync_detailed(self._id, pid, client=self._client, body=Stdin(close=True))
