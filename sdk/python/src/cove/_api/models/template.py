from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.hooks_type_0 import HooksType0
    from ..models.service import Service


T = TypeVar("T", bound="Template")


@_attrs_define
class Template:
    """
    Attributes:
        name (str):
        image (str):
        cpus (int):
        memory_mib (int):
        created_at (datetime.datetime):
        start_cmd (list[str] | Unset):
        ready_cmd (list[str] | Unset):
        hooks (HooksType0 | None | Unset): Lifecycle hook commands (AWS Lambda MicroVM contract), driven by the daemon
            for clones.
        services (list[Service] | Unset):
    """

    name: str
    image: str
    cpus: int
    memory_mib: int
    created_at: datetime.datetime
    start_cmd: list[str] | Unset = UNSET
    ready_cmd: list[str] | Unset = UNSET
    hooks: HooksType0 | None | Unset = UNSET
    services: list[Service] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.hooks_type_0 import HooksType0

        name = self.name

        image = self.image

        cpus = self.cpus

        memory_mib = self.memory_mib

        created_at = self.created_at.isoformat()

        start_cmd: list[str] | Unset = UNSET
        if not isinstance(self.start_cmd, Unset):
            start_cmd = self.start_cmd

        ready_cmd: list[str] | Unset = UNSET
        if not isinstance(self.ready_cmd, Unset):
            ready_cmd = self.ready_cmd

        hooks: dict[str, Any] | None | Unset
        if isinstance(self.hooks, Unset):
            hooks = UNSET
        elif isinstance(self.hooks, HooksType0):
            hooks = self.hooks.to_dict()
        else:
            hooks = self.hooks

        services: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.services, Unset):
            services = []
            for services_item_data in self.services:
                services_item = services_item_data.to_dict()
                services.append(services_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "image": image,
                "cpus": cpus,
                "memory_mib": memory_mib,
                "created_at": created_at,
            }
        )
        if start_cmd is not UNSET:
            field_dict["start_cmd"] = start_cmd
        if ready_cmd is not UNSET:
            field_dict["ready_cmd"] = ready_cmd
        if hooks is not UNSET:
            field_dict["hooks"] = hooks
        if services is not UNSET:
            field_dict["services"] = services

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.hooks_type_0 import HooksType0
        from ..models.service import Service

        d = dict(src_dict)
        name = d.pop("name")

        image = d.pop("image")

        cpus = d.pop("cpus")

        memory_mib = d.pop("memory_mib")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        start_cmd = cast(list[str], d.pop("start_cmd", UNSET))

        ready_cmd = cast(list[str], d.pop("ready_cmd", UNSET))

        def _parse_hooks(data: object) -> HooksType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_hooks_type_0 = HooksType0.from_dict(data)

                return componentsschemas_hooks_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(HooksType0 | None | Unset, data)

        hooks = _parse_hooks(d.pop("hooks", UNSET))

        _services = d.pop("services", UNSET)
        services: list[Service] | Unset = UNSET
        if _services is not UNSET:
            services = []
            for services_item_data in _services:
                services_item = Service.from_dict(services_item_data)

                services.append(services_item)

        template = cls(
            name=name,
            image=image,
            cpus=cpus,
            memory_mib=memory_mib,
            created_at=created_at,
            start_cmd=start_cmd,
            ready_cmd=ready_cmd,
            hooks=hooks,
            services=services,
        )

        template.additional_properties = d
        return template

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
