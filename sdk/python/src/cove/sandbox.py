"""A sandbox, for blocking code: ``Sandbox``."""

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
from .commands import Commands
from .errors import NotFoundError
from .files import Files
from .hooks import Hooks, Services
from .models import SandboxInfo, SandboxState, TemplateInfo


class Sandbox:
    """A Linux microVM run by a Cove daemon.

    ::

        with Sandbox.create(image="debian") as sb:
            print(sb.commands.run("echo hi").stdout)

    Leaving the ``with`` block deletes the sandbox; without one, call
    :meth:`kill`. The API key and URL come from the arguments, else from
    ``COVE_API_KEY`` and ``COVE_API_URL``.
    """

    def __init__(self, info: SandboxInfo, config: ConnectionConfig) -> None:
        """Wraps a sandbox that exists; use :meth:`create` or :meth:`connect`."""
        self._info = info
        self._config = config
        self._client: AuthenticatedClient = config.client()
        self.commands = Commands(info.sandbox_id, self._client, config)
        """Run commands and manage processes."""
        self.files = Files(info.sandbox_id, self._client)
        """Read, write and list files."""
        self.hooks = Hooks(info.sandbox_id, self._client)
        """Run lifecycle hooks (a clone of a template with hooks)."""
        self.services = Services(info.sandbox_id, self._client)
        """Supervised services (a clone of a template with services)."""

    @classmethod
    def create(
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
    ) -> Sandbox:
        """Creates a sandbox and returns once it runs.

        ``image`` boots that image (default: the daemon's); ``template``
        clones a template's snapshot instead, without a boot. ``timeout`` is
        the sandbox's life in seconds (the daemon's default is 300);
        ``envs`` are set for every command.
        """
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
        with config.client() as client:
            created = parsed(create_sandbox.sync_detailed(client=client, body=body))
        return cls(SandboxInfo._from_api(created), config)

    @classmethod
    def connect(
        cls,
        sandbox_id: str,
        *,
        api_key: str | None = None,
        api_url: str | None = None,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> Sandbox:
        """A sandbox that already exists (created elsewhere, say)."""
        config = ConnectionConfig.resolve(api_key, api_url, request_timeout)
        with config.client() as client:
            found = parsed(get_sandbox.sync_detailed(sandbox_id, client=client))
        return cls(SandboxInfo._from_api(found), config)

    @staticmethod
    def list(
        *,
        state: SandboxState | None = None,
        metadata: Mapping[str, str] | None = None,
        api_key: str | None = None,
        api_url: str | None = None,
    ) -> list[SandboxInfo]:
        """The daemon's sandboxes, oldest first: those in ``state``, with all
        of ``metadata``, if given."""
        config = ConnectionConfig.resolve(api_key, api_url)
        with config.client() as client:
            answer = parsed(
                list_sandboxes.sync_detailed(
                    client=client,
                    state=ListSandboxesState(state) if state else UNSET,
                    metadata=[f"{k}={v}" for k, v in metadata.items()] if metadata else UNSET,
                )
            )
        return [SandboxInfo._from_api(s) for s in answer.sandboxes]

    @property
    def sandbox_id(self) -> str:
        return self._info.sandbox_id

    @property
    def info(self) -> SandboxInfo:
        """The sandbox as last seen (see :meth:`get_info` for a fresh look)."""
        return self._info

    def get_info(self) -> SandboxInfo:
        """The sandbox as the daemon describes it now."""
        return self._keep(parsed(get_sandbox.sync_detailed(self.sandbox_id, client=self._client)))

    def is_running(self) -> bool:
        return self.get_info().state == "running"

    def set_timeout(self, timeout: int) -> SandboxInfo:
        """Sets the sandbox to stop ``timeout`` seconds from now."""
        return self._keep(
            parsed(set_timeout.sync_detailed(self.sandbox_id, client=self._client, body=Timeout(timeout=timeout)))
        )

    def pause(self) -> SandboxInfo:
        """Stops the sandbox's vCPUs in place; memory and processes stay."""
        return self._keep(parsed(pause_sandbox.sync_detailed(self.sandbox_id, client=self._client)))

    def suspend(self) -> SandboxInfo:
        """Saves the sandbox to disk and ends its VM; :meth:`resume` brings it
        back (also after the daemon restarted). Its timeout stands still."""
        return self._keep(parsed(suspend_sandbox.sync_detailed(self.sandbox_id, client=self._client)))

    def resume(self) -> SandboxInfo:
        """Lets a paused or suspended sandbox run again."""
        return self._keep(parsed(resume_sandbox.sync_detailed(self.sandbox_id, client=self._client)))

    def create_template(self, name: str) -> TemplateInfo:
        """Makes a template of the sandbox as it stands; the sandbox carries on."""
        template = parsed(
            template_from_sandbox.sync_detailed(self.sandbox_id, client=self._client, body=SandboxTemplate(name=name))
        )
        return TemplateInfo._from_api(template)

    def logs(self) -> str:
        """The end of the sandbox's console log."""
        return parsed(sandbox_logs.sync_detailed(self.sandbox_id, client=self._client))

    def kill(self) -> None:
        """Stops the sandbox and deletes it; one already gone is no error."""
        try:
            delete_sandbox.sync_detailed(self.sandbox_id, client=self._client)
        except NotFoundError:
            pass

    def close(self) -> None:
        """Closes the HTTP connections (the sandbox carries on)."""
        self._client.get_httpx_client().close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.kill()
        finally:
            self.close()

    def __repr__(self) -> str:
        return f"Sandbox({self.sandbox_id!r}, state={self._info.state!r})"

    def _keep(self, sandbox: ApiSandbox) -> SandboxInfo:
        self._info = SandboxInfo._from_api(sandbox)
        return self._info
