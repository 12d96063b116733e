"""A sandbox's lifecycle hooks and supervised services (from its template):
``sandbox.hooks`` and ``sandbox.services``, blocking and awaited."""

from __future__ import annotations

from io import BytesIO

from ._api.api.default import hook_history, invoke_hook, list_services, service_logs
from ._api.client import AuthenticatedClient
from ._api.models.invoke_hook_hook import InvokeHookHook
from ._api.types import UNSET, File
from ._connection import parsed
from .models import HookName, HookRun, ServiceInfo


def _payload(payload: str | bytes | None) -> File | None:
    if payload is None:
        return None
    return File(payload=BytesIO(payload.encode() if isinstance(payload, str) else payload))


class Hooks:
    """The lifecycle hooks of a sandbox cloned from a template with hooks."""

    def __init__(self, sandbox_id: str, client: AuthenticatedClient) -> None:
        self._id = sandbox_id
        self._client = client

    def run(self, hook: HookName, payload: str | bytes | None = None) -> bytes:
        """Runs a hook with ``payload`` on its standard input and returns its
        output; a hook already done answers as done. A failing hook raises
        :class:`~cove.errors.HookFailedError`."""
        body = _payload(payload)
        answer = invoke_hook.sync_detailed(
            self._id, InvokeHookHook(hook), client=self._client, body=body if body is not None else UNSET
        )
        return parsed(answer).payload.read()

    def history(self) -> list[HookRun]:
        """The hooks that ran in the sandbox, oldest first."""
        answer = parsed(hook_history.sync_detailed(self._id, client=self._client))
        return [HookRun._from_api(item) for item in answer.history]


class Services:
    """The supervised services of a sandbox cloned from a template with services."""

    def __init__(self, sandbox_id: str, client: AuthenticatedClient) -> None:
        self._id = sandbox_id
        self._client = client

    def list(self) -> list[ServiceInfo]:
        answer = parsed(list_services.sync_detailed(self._id, client=self._client))
        return [ServiceInfo._from_api(s) for s in answer.services]

    def logs(self, name: str, *, tail: int | None = None) -> str:
        """The end of a service's log (its stdout and stderr), ``tail`` bytes at most."""
        answer = service_logs.sync_detailed(
            self._id, name, client=self._client, tail=tail if tail is not None else UNSET
        )
        return parsed(answer)


class AsyncHooks:
    """:class:`Hooks`, awaited."""

    def __init__(self, sandbox_id: str, client: AuthenticatedClient) -> None:
        self._id = sandbox_id
        self._client = client

    async def run(self, hook: HookName, payload: str | bytes | None = None) -> bytes:
        body = _payload(payload)
        answer = await invoke_hook.asyncio_detailed(
            self._id, InvokeHookHook(hook), client=self._client, body=body if body is not None else UNSET
        )
        return parsed(answer).payload.read()

    async def history(self) -> list[HookRun]:
        answer = parsed(await hook_history.asyncio_detailed(self._id, client=self._client))
        return [HookRun._from_api(item) for item in answer.history]


class AsyncServices:
    """:class:`Services`, awaited."""

    def __init__(self, sandbox_id: str, client: AuthenticatedClient) -> None:
        self._id = sandbox_id
        self._client = client

    async def list(self) -> list[ServiceInfo]:
        answer = parsed(await list_services.asyncio_detailed(self._id, client=self._client))
        return [ServiceInfo._from_api(s) for s in answer.services]

    async def logs(self, name: str, *, tail: int | None = None) -> str:
        answer = await service_logs.asyncio_detailed(
            self._id, name, client=self._client, tail=tail if tail is not None else UNSET
        )
        return parsed(answer)
