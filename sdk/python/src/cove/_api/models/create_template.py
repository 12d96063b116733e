from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.hooks_type_0 import HooksType0
    from ..models.service import Service


T = TypeVar("T", bound="CreateTemplate")


@_attrs_define
class CreateTemplate:
    """
    Attributes:
        name (str):
        image (None | str | Unset):
        cpus (int | None | Unset):  Default: 1.
        memory_mib (int | None | Unset):  Default: 256.
        start_cmd (list[str] | None | Unset): Started in the background; keeps running in clones.
        ready_cmd (list[str] | None | Unset): Run until it exits 0; then the snapshot is taken. It is the ready hook.
        hooks (HooksType0 | None | Unset): Lifecycle hook commands (AWS Lambda MicroVM contract), driven by the daemon
            for clones.
        services (list[Service] | None | Unset):
    """

    name: str
    image: None | str | Unset = UNSET
    cpus: int | None | Unset = 1
    memory_mib: int | None | Unset = 256
    start_cmd: list[str] | None | Unset = UNSET
    ready_cmd: list[str] | None | Unset = UNSET
    hooks: HooksType0 | None | Unset = UNSET
    services: list[Service] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.hooks_type_0 import HooksType0

        name = self.name

        image: None | str | Unset
        if isinstance(self.image, Unset):
            image = UNSET
        else:
            image = self.image

        cpus: int | None | Unset
        if isinstance(self.cpus, Unset):
            cpus = UNSET
        else:
            cpus = self.cpus

        memory_mib: int | None | Unset
        if isinstance(self.memory_mib, Unset):
            memory_mib = UNSET
        else:
            memory_mib = self.memory_mib

        start_cmd: list[str] | None | Unset
        if isinstance(self.start_cmd, Unset):
            start_cmd = UNSET
        elif isinstance(self.start_cmd, list):
            start_cmd = self.start_cmd

        else:
            start_cmd = self.start_cmd

        ready_cmd: list[str] | None | Unset
        if isinstance(self.ready_cmd, Unset):
            ready_cmd = UNSET
        elif isinstance(self.ready_cmd, list):
            ready_cmd = self.ready_cmd

        else:
            ready_cmd = self.ready_cmd

        hooks: dict[str, Any] | None | Unset
        if isinstance(self.hooks, Unset):
            hooks = UNSET
        elif isinstance(self.hooks, HooksType0):
            hooks = self.hooks.to_dict()
        else:
            hooks = self.hooks

        services: list[dict[str, Any]] | None | Unset
        if isinstance(self.services, Unset):
            services = UNSET
        elif isinstance(self.services, list):
            services = []
            for services_type_0_item_data in self.services:
                services_type_0_item = services_type_0_item_data.to_dict()
                services.append(services_type_0_item)

        else:
            services = self.services

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
            }
        )
        if image is not UNSET:
            field_dict["image"] = image
        if cpus is not UNSET:
            field_dict["cpus"] = cpus
        if memory_mib is not UNSET:
            field_dict["memory_mib"] = memory_mib
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

        def _parse_image(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        image = _parse_image(d.pop("image", UNSET))

        def _parse_cpus(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cpus = _parse_cpus(d.pop("cpus", UNSET))

        def _parse_memory_mib(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        memory_mib = _parse_memory_mib(d.pop("memory_mib", UNSET))

        def _parse_start_cmd(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                start_cmd_type_0 = cast(list[str], data)

                return start_cmd_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        start_cmd = _parse_start_cmd(d.pop("start_cmd", UNSET))

        def _parse_ready_cmd(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                ready_cmd_type_0 = cast(list[str], data)

                return ready_cmd_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        ready_cmd = _parse_ready_cmd(d.pop("ready_cmd", UNSET))

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

        def _parse_services(data: object) -> list[Service] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                services_type_0 = []
                _services_type_0 = data
                for services_type_0_item_data in _services_type_0:
                    services_type_0_item = Service.from_dict(services_type_0_item_data)

                    services_type_0.append(services_type_0_item)

                return services_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[Service] | None | Unset, data)

        services = _parse_services(d.pop("services", UNSET))

        create_template = cls(
            name=name,
            image=image,
            cpus=cpus,
            memory_mib=memory_mib,
            start_cmd=start_cmd,
            ready_cmd=ready_cmd,
            hooks=hooks,
            services=services,
        )

        create_template.additional_properties = d
        return create_template

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
