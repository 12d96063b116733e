"""Request bodies that the sync and async APIs build alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar, overload

from ._api.models.create_sandbox import CreateSandbox
from ._api.models.create_template import CreateTemplate
from ._api.models.hooks import Hooks
from ._api.models.service import Service as ApiService
from ._api.models.service_restart import ServiceRestart
from ._api.models.string_map import StringMap
from ._api.types import UNSET, Unset
from .models import Service

_T = TypeVar("_T")


def string_map(values: Mapping[str, str] | None) -> StringMap | Unset:
    if values is None:
        return UNSET
    result = StringMap()
    result.additional_properties = dict(values)
    return result


def given(value: _T | None) -> _T | Unset:
    return UNSET if value is None else value


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
    # What is not given is left out, so that the daemon's defaults (or the
    # template's size) apply rather than the document's.
    return CreateSandbox(
        image=given(image),
        template=given(template),
        cpus=given(cpus),
        memory_mib=given(memory_mib),
        timeout=given(timeout),
        env=string_map(envs),
        metadata=string_map(metadata),
        run_payload=given(run_payload),
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
    hooks_body: Hooks | Unset = UNSET
    if hooks or hook_port is not None:
        unknown = set(hooks or {}) - HOOKS
        if unknown:
            raise ValueError(f"unknown hooks {sorted(unknown)}: a template has {sorted(HOOKS)}")
        commands = {hook: argv(cmd) for hook, cmd in (hooks or {}).items()}
        hooks_body = Hooks(
            validate=given(commands.get("validate")),
            run=given(commands.get("run")),
            suspend=given(commands.get("suspend")),
            resume=given(commands.get("resume")),
            terminate=given(commands.get("terminate")),
            http_port=given(hook_port),
        )
    return CreateTemplate(
        name=name,
        image=given(image),
        cpus=given(cpus),
        memory_mib=given(memory_mib),
        start_cmd=given(argv(start_cmd)),
        ready_cmd=given(argv(ready_cmd)),
        hooks=hooks_body,
        services=[service_body(s) for s in services] if services is not None else UNSET,
    )


# The hooks a template names commands for (ready is its ready_cmd).
HOOKS = {"validate", "run", "suspend", "resume", "terminate"}


def service_body(service: Service) -> ApiService:
    return ApiService(
        name=service.name,
        cmd=argv(service.cmd),
        user=given(service.user),
        group=given(service.group),
        env=string_map(service.env),
        cwd=given(service.cwd),
        restart=ServiceRestart(service.restart) if service.restart is not None else UNSET,
    )


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
