from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.string_map import StringMap


T = TypeVar("T", bound="CreateSandbox")


@_attrs_define
class CreateSandbox:
    """
    Attributes:
        image (str | Unset): Default: the daemon's --default-image (debian).
        cpus (int | Unset): At most the host's CPU count. Default: 1.
        memory_mib (int | Unset):  Default: 256.
        timeout (int | Unset): Seconds until the sandbox is stopped. Default: 300.
        env (StringMap | Unset):
        metadata (StringMap | Unset):
        template (str | Unset): Clone this template (its image and size) instead of booting.
        run_payload (str | Unset): Given to the run hook of a clone of a template with hooks.
    """

    image: str | Unset = UNSET
    cpus: int | Unset = 1
    memory_mib: int | Unset = 256
    timeout: int | Unset = 300
    env: StringMap | Unset = UNSET
    metadata: StringMap | Unset = UNSET
    template: str | Unset = UNSET
    run_payload: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        image = self.image

        cpus = self.cpus

        memory_mib = self.memory_mib

        timeout = self.timeout

        env: dict[str, Any] | Unset = UNSET
        if not isinstance(self.env, Unset):
            env = self.env.to_dict()

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        template = self.template

        run_payload = self.run_payload

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if image is not UNSET:
            field_dict["image"] = image
        if cpus is not UNSET:
            field_dict["cpus"] = cpus
        if memory_mib is not UNSET:
            field_dict["memory_mib"] = memory_mib
        if timeout is not UNSET:
            field_dict["timeout"] = timeout
        if env is not UNSET:
            field_dict["env"] = env
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if template is not UNSET:
            field_dict["template"] = template
        if run_payload is not UNSET:
            field_dict["run_payload"] = run_payload

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.string_map import StringMap

        d = dict(src_dict)
        image = d.pop("image", UNSET)

        cpus = d.pop("cpus", UNSET)

        memory_mib = d.pop("memory_mib", UNSET)

        timeout = d.pop("timeout", UNSET)

        _env = d.pop("env", UNSET)
        env: StringMap | Unset
        if isinstance(_env, Unset):
            env = UNSET
        else:
            env = StringMap.from_dict(_env)

        _metadata = d.pop("metadata", UNSET)
        metadata: StringMap | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = StringMap.from_dict(_metadata)

        template = d.pop("template", UNSET)

        run_payload = d.pop("run_payload", UNSET)

        create_sandbox = cls(
            image=image,
            cpus=cpus,
            memory_mib=memory_mib,
            timeout=timeout,
            env=env,
            metadata=metadata,
            template=template,
            run_payload=run_payload,
        )

        create_sandbox.additional_properties = d
        return create_sandbox

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
