"""Templates: snapshots of a ready sandbox that new sandboxes are cloned
from without a boot. ``Template`` blocks; ``AsyncTemplate`` awaits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._api.api.default import (
    create_template,
    delete_template,
    get_template,
    list_templates,
)
from ._connection import DEFAULT_REQUEST_TIMEOUT, ConnectionConfig, parsed
from ._requests import template_request
from .models import Service, TemplateInfo


class Template:
    """The daemon's templates. ``Sandbox.create(template=NAME)`` clones one;
    ``Sandbox.create_template(NAME)`` makes one of a running sandbox."""

    @staticmethod
    def create(
        name: str,
        *,
        image: str | None = None,
        cpus: int | None = None,
        memory_mib: int | None = None,
        start_cmd: str | Sequence[str] | None = None,
        ready_cmd: str | Sequence[str] | None = None,
        hooks: Mapping[str, str | Sequence[str]] | None = None,
        hook_port: int | None = None,
        services: Sequence[Service] | None = None,
        api_key: str | None = None,
        api_url: str | None = None,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> TemplateInfo:
        """Boots ``image``, starts ``start_cmd`` in the background, runs
        ``ready_cmd`` until it exits 0, then snapshots the sandbox as ``name``.

        ``hooks`` maps lifecycle hooks (validate, run, suspend, resume,
        terminate) to commands the daemon runs in each clone at that point
        (``run`` gets the clone's ``run_payload`` on its standard input);
        ``hook_port`` has them sent as HTTP requests to a server in the guest
        instead. ``services`` are supervised in every clone.
        """
        config = ConnectionConfig.resolve(api_key, api_url, request_timeout)
        body = template_request(
            name=name,
            image=image,
            cpus=cpus,
            memory_mib=memory_mib,
            start_cmd=start_cmd,
            ready_cmd=ready_cmd,
            hooks=hooks,
            hook_port=hook_port,
            services=services,
        )
        with config.client() as client:
            return TemplateInfo._from_api(parsed(create_template.sync_detailed(client=client, body=body)))

    @staticmethod
    def get(name: str, *, api_key: str | None = None, api_url: str | None = None) -> TemplateInfo:
        config = ConnectionConfig.resolve(api_key, api_url)
        with config.client() as client:
            return TemplateInfo._from_api(parsed(get_template.sync_detailed(name, client=client)))

    @staticmethod
    def list(*, api_key: str | None = None, api_url: str | None = None) -> list[TemplateInfo]:
        config = ConnectionConfig.resolve(api_key, api_url)
        with config.client() as client:
            answer = parsed(list_templates.sync_detailed(client=client))
        return [TemplateInfo._from_api(t) for t in answer.templates]

    @staticmethod
    def delete(name: str, *, api_key: str | None = None, api_url: str | None = None) -> None:
        """Deletes a template; :class:`~cove.errors.ConflictError` while
        sandboxes cloned from it run."""
        config = ConnectionConfig.resolve(api_key, api_url)
        with config.client() as client:
            delete_template.sync_detailed(name, client=client)


class AsyncTemplate:
    """:class:`Template`, awaited."""

    @staticmethod
    async def create(
        name: str,
        *,
        image: str | None = None,
        cpus: int | None = None,
        memory_mib: int | None = None,
        start_cmd: str | Sequence[str] | None = None,
        ready_cmd: str | Sequence[str] | None = None,
        hooks: Mapping[str, str | Sequence[str]] | None = None,
        hook_port: int | None = None,
        services: Sequence[Service] | None = None,
        api_key: str | None = None,
        api_url: str | None = None,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> TemplateInfo:
        config = ConnectionConfig.resolve(api_key, api_url, request_timeout)
        body = template_request(
            name=name,
            image=image,
            cpus=cpus,
            memory_mib=memory_mib,
            start_cmd=start_cmd,
            ready_cmd=ready_cmd,
            hooks=hooks,
            hook_port=hook_port,
            services=services,
        )
        async with config.async_client() as client:
            answer = await create_template.asyncio_detailed(client=client, body=body)
        return TemplateInfo._from_api(parsed(answer))

    @staticmethod
    async def get(name: str, *, api_key: str | None = None, api_url: str | None = None) -> TemplateInfo:
        config = ConnectionConfig.resolve(api_key, api_url)
        async with config.async_client() as client:
            answer = await get_template.asyncio_detailed(name, client=client)
        return TemplateInfo._from_api(parsed(answer))

    @staticmethod
    async def list(*, api_key: str | None = None, api_url: str | None = None) -> list[TemplateInfo]:
        config = ConnectionConfig.resolve(api_key, api_url)
        async with config.async_client() as client:
            answer = parsed(await list_templates.asyncio_detailed(client=client))
        return [TemplateInfo._from_api(t) for t in answer.templates]

    @staticmethod
    async def delete(name: str, *, api_key: str | None = None, api_url: str | None = None) -> None:
        config = ConnectionConfig.resolve(api_key, api_url)
        async with config.async_client() as client:
            await delete_template.asyncio_detailed(name, client=client)
