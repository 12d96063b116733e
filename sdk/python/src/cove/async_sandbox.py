"""A sandbox, for asyncio code: ``AsyncSandbox``."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

from ._api.api.default import (
    create_sandbox,
    delete_sandbox,
    get_sandbox,
    list_sandboxes,
    pause_sandbox,
    resume_sandbox,
    sandbox_logs,
    set_timeout,
    suspend_sandbox,
    template_from_sandbox,
)
from ._api.client import AuthenticatedClient
from ._api.models.list_sandboxes_state import ListSandboxesState
from ._api.models.sandbox import Sandbox as ApiSandbox
from ._api.models.sandbox_template import SandboxTemplate
from ._api.models.timeout import Timeout
from ._api.types import UNSET
from ._connection import DEFAULT_REQUEST_TIMEOUT, ConnectionConfig, parsed
from ._requests import sandbox_request
from .async_commands import AsyncCommands
from .async_files import AsyncFiles
from .errors import NotFoundError
from .hooks import AsyncHooks, AsyncServices
from .models import SandboxInfo, SandboxState, TemplateInfo


class AsyncSandbox:
    """A Linux microVM run by a Cove daemon, for asyncio code.

    ::

        async with await AsyncSandbox.create(image="debian") as sb:
            print((await sb.commands.run("echo hi")).stdout)

    The same as :class:`cove.Sandbox`, with every call awaited.
    """

    def __init__(self, info: SandboxInfo, config: ConnectionConfig) -> None:
        """Wraps a sandbox that exists; use :meth:`create` or :meth:`connect`."""
        self._info = info
        self._config = config
        self._client: AuthenticatedClient = config.async_client()
        self.commands = AsyncCommands(info.sandbox_id, self._client, config)
        """Run commands and manage processes."""
        self.files = AsyncFiles(info.sandbox_id, self._client)
        """Read, write and list files."""
        self.hooks = AsyncHooks(info.sandbox_id, self._client)
        """Run lifecycle hooks (a clone of a template with hooks)."""
        self.services = AsyncServices(info.sandbox_id, self._client)
        """Supervised services (a clone of a template with services)."""

    @classmethod
    async def create(
        cls,
        image: str | None = None,
        *,
        template: str | None = None,
        cpus: int | None = None,
        memory_mib: int | None = None,
        timeout: int | None = None,
        envs: Mapping[str, str] | None = None,
        metadata: Mapping[str, str] | None = None,
        run_payload: str | None = None,
        api_key: str | None = None,
        api_url: str | None = None,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> AsyncSandbox:
        """Creates a sandbox and returns once it runs; see :meth:`cove.Sandbox.create`."""
        config = ConnectionConfig.resolve(api_key, api_url, request_timeout)
        body = sandbox_request(
            image=image,
            template=template,
            cpus=cpus,
            memory_mib=memory_mib,
            timeout=timeout,
            envs=envs,
            metadata=metadata,
            run_payload=run_payload,
        )
        async with config.async_client() as client:
            created = parsed(await create_sandbox.asyncio_detailed(client=client, body=body))
        return cls(SandboxInfo._from_api(created), config)

    @classmethod
    async def connect(
        cls,
        sandbox_id: str,
        *,
        api_key: str | None = None,
        api_url: str | None = None,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> AsyncSandbox:
        """A sandbox that already exists."""
        config = ConnectionConfig.resolve(api_key, api_url, request_timeout)
        async with config.async_client() as client:
            found = parsed(await get_sandbox.asyncio_detailed(sandbox_id, client=client))
        return cls(SandboxInfo._from_api(found), config)

    @staticmethod
    async def list(
        *,
        state: SandboxState | None = None,
        metadata: Mapping[str, str] | None = None,
        api_key: str | None = None,
        api_url: str | None = None,
    ) -> list[SandboxInfo]:
        """The daemon's sandboxes, oldest first, filtered as given."""
        config = ConnectionConfig.resolve(api_key, api_url)
        async with config.async_client() as client:
            answer = await list_sandboxes.asyncio_detailed(
                client=client,
                state=ListSandboxesState(state) if state else UNSET,
                metadata=[f"{k}={v}" for k, v in metadata.items()] if metadata else UNSET,
            )
        return [SandboxInfo._from_api(s) for s in parsed(answer).sandboxes]

    @property
    def sandbox_id(self) -> str:
        return self._info.sandbox_id

    @property
    def info(self) -> SandboxInfo:
        """The sandbox as last seen (see :meth:`get_info` for a fresh look)."""
        return self._info

    async def get_info(self) -> SandboxInfo:
        return self._keep(parsed(await get_sandbox.asyncio_detailed(self.sandbox_id, client=self._client)))

    async def is_running(self) -> bool:
        return (await self.get_info()).state == "running"

    async def set_timeout(self, timeout: int) -> SandboxInfo:
        answer = await set_timeout.asyncio_detailed(self.sandbox_id, client=self._client, body=Timeout(timeout=timeout))
        return self._keep(parsed(answer))

    async def pause(self) -> SandboxInfo:
        answer = await pause_sandbox.asyncio_detailed(self.sandbox_id, client=self._client)
        return self._keep(parsed(answer))

    async def suspend(self) -> SandboxInfo:
        answer = await suspend_sandbox.asyncio_detailed(self.sandbox_id, client=self._client)
        return self._keep(parsed(answer))

    async def resume(self) -> SandboxInfo:
        answer = await resume_sandbox.asyncio_detailed(self.sandbox_id, client=self._client)
        return self._keep(parsed(answer))

    async def create_template(self, name: str) -> TemplateInfo:
        answer = await template_from_sandbox.asyncio_detailed(
            self.sandbox_id, client=self._client, body=SandboxTemplate(name=name)
        )
        return TemplateInfo._from_api(parsed(answer))

    async def logs(self) -> str:
        return parsed(await sandbox_logs.asyncio_detailed(self.sandbox_id, client=self._client))

    async def kill(self) -> None:
        """Stops the sandbox and deletes it; one already gone is no error."""
        try:
            await delete_sandbox.asyncio_detailed(self.sandbox_id, client=self._client)
        except NotFoundError:
            pass

    async def close(self) -> None:
        """Closes the HTTP connections (the sandbox carries on)."""
        await self._client.get_async_httpx_client().aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await self.kill()
        finally:
            await self.close()

    def __repr__(self) -> str:
        return f"AsyncSandbox({self.sandbox_id!r}, state={self._info.state!r})"

    def _keep(self, sandbox: ApiSandbox) -> SandboxInfo:
        self._info = SandboxInfo._from_api(sandbox)
        return self._info
