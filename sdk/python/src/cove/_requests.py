"""Request bodies that the sync and async APIs build alike.

Each is written as the API's JSON (the field names are the contract) and
handed to the generated model's ``from_dict``: so the layer depends on the
generated request models' names only, not on how the generator names the
nested or nullable shapes inside them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, overload

from ._api.models.command import Command
from ._api.models.create_sandbox import CreateSandbox
from ._api.models.create_template import CreateTemplate
from .models import Service

# The hooks a template names commands for (ready is its ready_cmd).
HOOKS = frozenset({"validate", "run", "suspend", "resume", "terminate"})


def _json(**fields: Any) -> dict[str, Any]:
    """The fields that were given: a missing one takes the daemon's default
    (or the template's), not the document's."""
    return {name: value for name, value in fields.items() if value is not None}


@overload
def argv(cmd: str | Sequence[str]) -> list[str]: ...
@overload
def argv(cmd: None) -> None: ...
@overload
def argv(cmd: str | Sequence[str] | None) -> list[str] | None: ...


def argv(cmd: str | Sequence[str] | None) -> list[str] | None:
    """A string runs through the sandbox's shell, as typed at a terminal; a
    sequence is the argument vector itself."""
    if cmd is None:
        return None
    return ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)


def command_request(
    cmd: str | Sequence[str],
    *,
    envs: Mapping[str, str] | None,
    cwd: str | None,
    user: str | None,
    timeout: int | None,
    stdin: str | None,
    tag: str | None = None,
) -> Command:
    return Command.from_dict(
        _json(
            cmd=argv(cmd),
            env=dict(envs) if envs else None,
            cwd=cwd,
            user=user,
            timeout=timeout,
            stdin=stdin,
            tag=tag,
        )
    )


def sandbox_request(
    *,
    image: str | None,
    template: str | None,
    cpus: int | None,
    memory_mib: int | None,
    timeout: int | None,
    envs: Mapping[str, str] | None,
    metadata: Mapping[str, str] | None,
    run_payload: str | None,
) -> CreateSandbox:
    return CreateSandbox.from_dict(
        _json(
            image=image,
            template=template,
            cpus=cpus,
            memory_mib=memory_mib,
            timeout=timeout,
            env=dict(envs) if envs is not None else None,
            metadata=dict(metadata) if metadata is not None else None,
            run_payload=run_payload,
        )
    )


def template_request(
    *,
    name: str,
    image: str | None,
    cpus: int | None,
    memory_mib: int | None,
    start_cmd: str | Sequence[str] | None,
    ready_cmd: str | Sequence[str] | None,
    hooks: Mapping[str, str | Sequence[str]] | None,
    hook_port: int | None,
    services: Sequence[Service] | None,
) -> CreateTemplate:
    hooks_json: dict[str, Any] | None = None
    if hooks or hook_port is not None:
        unknown = set(hooks or {}) - HOOKS
        if unknown:
            raise ValueError(f"unknown hooks {sorted(unknown)}: a template has {sorted(HOOKS)}")
        hooks_json = _json(http_port=hook_port, **{hook: argv(cmd) for hook, cmd in (hooks or {}).items()})
    return CreateTemplate.from_dict(
        _json(
            name=name,
            image=image,
            cpus=cpus,
            memory_mib=memory_mib,
            start_cmd=argv(start_cmd),
            ready_cmd=argv(ready_cmd),
            hooks=hooks_json,
            services=[_service(s) for s in services] if services is not None else None,
        )
    )


def _service(service: Service) -> dict[str, Any]:
    return _json(
        name=service.name,
        cmd=argv(service.cmd),
        user=service.user,
        group=service.group,
        env=dict(service.env) if service.env is not None else None,
        cwd=service.cwd,
        restart=service.restart,
    )
