"""What the SDK hands back: plain, frozen records of the API's answers.

They are kept apart from the generated models (``cove._api.models``) so
that the SDK's public shape stays the same when the generator changes how it
names or builds its own.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from ._api.models.file_info import FileInfo as _FileInfo
from ._api.models.hook_history_history_item import HookHistoryHistoryItem as _HookRun
from ._api.models.process import Process as _Process
from ._api.models.sandbox import Sandbox as _Sandbox
from ._api.models.service_status import ServiceStatus as _ServiceStatus
from ._api.models.template import Template as _Template
from ._api.types import Unset

SandboxState = Literal[
    "queued",
    "starting",
    "running",
    "paused",
    "snapshotting",
    "suspended",
    "stopping",
    "stopped",
    "error",
]
FileType = Literal["file", "directory", "symlink", "other"]
HookName = Literal["ready", "validate", "run", "suspend", "resume", "terminate"]
HookOutcome = Literal["done", "not_ready", "already_done", "failed", "refused"]
ServiceState = Literal["running", "backoff", "exited"]
RestartPolicy = Literal["on-failure", "always", "never"]


_T = TypeVar("_T")


def _opt(value: _T | Unset) -> _T | None:
    return None if isinstance(value, Unset) else value


@dataclass(frozen=True)
class SandboxInfo:
    """A sandbox as the daemon last described it."""

    sandbox_id: str
    image: str
    cpus: int
    memory_mib: int
    state: SandboxState
    created_at: datetime.datetime
    expires_at: datetime.datetime
    metadata: dict[str, str]
    template: str | None = None
    error: str | None = None
    suspended_at: datetime.datetime | None = None

    @classmethod
    def _from_api(cls, sandbox: _Sandbox) -> SandboxInfo:
        state: SandboxState = sandbox.state.value
        return cls(
            sandbox_id=sandbox.id,
            image=sandbox.image,
            cpus=sandbox.cpus,
            memory_mib=sandbox.memory_mib,
            state=state,
            created_at=sandbox.created_at,
            expires_at=sandbox.expires_at,
            metadata=dict(sandbox.metadata.additional_properties),
            template=_opt(sandbox.template),
            error=_opt(sandbox.error),
            suspended_at=_opt(sandbox.suspended_at),
        )


@dataclass(frozen=True)
class FileInfo:
    """A file, directory or link inside a sandbox."""

    path: str
    name: str
    type: FileType
    size: int
    mode: int
    modified_at: datetime.datetime
    symlink_target: str | None = None

    @classmethod
    def _from_api(cls, info: _FileInfo) -> FileInfo:
        kind: FileType = info.type_.value
        return cls(
            path=info.path,
            name=info.name,
            type=kind,
            size=info.size,
            mode=info.mode,
            modified_at=info.modified_at,
            symlink_target=_opt(info.symlink_target),
        )


@dataclass(frozen=True)
class ProcessInfo:
    """A process the sandbox's agent started and that still runs."""

    pid: int
    tag: str
    cmd: list[str]
    pty: bool
    background: bool

    @classmethod
    def _from_api(cls, process: _Process) -> ProcessInfo:
        return cls(
            pid=process.pid,
            tag=process.tag,
            cmd=list(process.cmd),
            pty=process.pty,
            background=process.background,
        )


@dataclass(frozen=True)
class TemplateInfo:
    """A template: a snapshot that sandboxes are cloned from without a boot."""

    name: str
    image: str
    cpus: int
    memory_mib: int
    created_at: datetime.datetime
    start_cmd: list[str] | None = None
    ready_cmd: list[str] | None = None

    @classmethod
    def _from_api(cls, template: _Template) -> TemplateInfo:
        start, ready = _opt(template.start_cmd), _opt(template.ready_cmd)
        return cls(
            name=template.name,
            image=template.image,
            cpus=template.cpus,
            memory_mib=template.memory_mib,
            created_at=template.created_at,
            start_cmd=list(start) if start is not None else None,
            ready_cmd=list(ready) if ready is not None else None,
        )


@dataclass(frozen=True)
class CommandResult:
    """How a command ended and what it wrote.

    ``exit_code`` is the command's exit code, or 128 + the signal that
    ended it (then ``signal`` names it), as a shell reports it.
    """

    stdout: str
    stderr: str
    exit_code: int
    signal: int | None = None
    timed_out: bool = False
    pid: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class HookRun:
    """One run of a lifecycle hook in a sandbox."""

    hook: str
    outcome: HookOutcome
    at: datetime.datetime

    @classmethod
    def _from_api(cls, run: _HookRun) -> HookRun:
        outcome: HookOutcome = run.outcome.value
        return cls(hook=run.hook, outcome=outcome, at=run.at)


@dataclass(frozen=True)
class ServiceInfo:
    """A supervised service in a sandbox, as it stands."""

    name: str
    state: ServiceState
    restarts: int
    uid: int
    gid: int
    pid: int | None = None
    last_exit: int | None = None

    @classmethod
    def _from_api(cls, status: _ServiceStatus) -> ServiceInfo:
        state: ServiceState = status.state.value
        return cls(
            name=status.name,
            state=state,
            restarts=status.restarts,
            uid=status.uid,
            gid=status.gid,
            pid=_opt(status.pid),
            last_exit=_opt(status.last_exit),
        )


@dataclass(frozen=True)
class Service:
    """A service for :meth:`cove.Template.create` to supervise in every clone:
    started with the sandbox, restarted as ``restart`` says. A string
    ``cmd`` runs through ``/bin/sh -c``."""

    name: str
    cmd: str | Sequence[str]
    user: str | None = None
    group: str | None = None
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    restart: RestartPolicy | None = None
