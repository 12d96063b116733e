"""Templates: snapshots of a ready sandbox that new sandboxes are cloned
from without a boot. ``Template`` blocks; ``AsyncTemplate`` awaits."""

from __future__ import annotations

from collections.abc import Sequence

from ._api.api.default import (
    delete_v1_templates_name,
    get_v1_templates,
    get_v1_templates_name,
    post_v1_templates,
)
from ._connection import DEFAULT_REQUEST_TIMEOUT, ConnectionConfig, parsed
from ._requests import create_template
from .models import TemplateInfo


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
        api_key: str | None = None,
        api_url: str | None = None,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> TemplateInfo:
        """Boots ``image``, starts ``start_cmd`` in the background, runs
        ``ready_cmd`` until it exits 0, then snapshots the sandbox as ``name``."""
        config = ConnectionConfig.resolve(api_key, api_url, request_timeout)
        body = create_template(
            name=name, image=image, cpus=cpus, memory_mib=memory_mib, start_cmd=start_cmd, ready_cmd=ready_cmd
        )
        with config.client() as client:
            return TemplateInfo._from_api(parsed(post_v1_templates.sync_detailed(client=client, body=body)))

    @staticmethod
    def get(name: str, *, api_key: str | None = None, api_url: str | None = None) -> TemplateInfo:
        config = ConnectionConfig.resolve(api_key, api_url)
        with config.client() as client:
            return TemplateInfo._from_api(parsed(get_v1_templates_name.sync_detailed(name, client=client)))

    @staticmethod
    def list(*, api_key: str | None = None, api_url: str | None = None) -> list[TemplateInfo]:
        config = ConnectionConfig.resolve(api_key, api_url)
        with config.client() as client:
            answer = parsed(get_v1_templates.sync_detailed(client=client))
        return [TemplateInfo._from_api(t) for t in answer.templates]

    @staticmethod
    def delete(name: str, *, api_key: str | None = None, api_url: str | None = None) -> None:
        """Deletes a template; :class:`~cove.errors.ConflictError` while
        sandboxes cloned from it run."""
        config = ConnectionConfig.resolve(api_key, api_url)
        with config.client() as client:
            delete_v1_templates_name.sync_detailed(name, client=client)


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
        api_key: str | None = None,
        api_url: str | None = None,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> TemplateInfo:
        config = ConnectionConfig.resolve(api_key, api_url, request_timeout)
        body = create_template(
            name=name, image=image, cpus=cpus, memory_mib=memory_mib, start_cmd=start_cmd, ready_cmd=ready_cmd
        )
        async with config.async_client() as client:
            answer = await post_v1_templates.asyncio_detailed(client=client, body=body)
        return TemplateInfo._from_api(parsed(answer))

    @staticmethod
    async def get(name: str, *, api_key: str | None = None, api_url: str | None = None) -> TemplateInfo:
        config = ConnectionConfig.resolve(api_key, api_url)
        async with config.async_client() as client:
            answer = await get_v1_templates_name.asyncio_detailed(name, client=client)
        return TemplateInfo._from_api(parsed(answer))

    @staticmethod
    async def list(*, api_key: str | None = None, api_url: str | None = None) -> list[TemplateInfo]:
        config = ConnectionConfig.resolve(api_key, api_url)
        async with config.async_client() as client:
            answer = parsed(await get_v1_templates.asyncio_detailed(client=client))
        return [TemplateInfo._from_api(t) for t in answer.templates]

    @staticmethod
    async def delete(name: str, *, api_key: str | None = None, api_url: str | None = None) -> None:
        config = ConnectionConfig.resolve(api_key, api_url)
        async with config.async_client() as client:
            await delete_v1_templates_name.asyncio_detailed(name, client=client)
