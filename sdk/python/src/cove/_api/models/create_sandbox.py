from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.optional_string_map_type_0 import OptionalStringMapType0


T = TypeVar("T", bound="CreateSandbox")


@_attrs_define
class CreateSandbox:
    """
    Attributes:
        image (None | str | Unset): Default: the daemon's --default-image (debian).
        cpus (int | None | Unset): At most the host's CPU count. Default: 1.
        memory_mib (int | None | Unset):  Default: 256.
        timeout (int | None | Unset): Seconds until the sandbox is stopped. Default: 300.
        env (None | OptionalStringMapType0 | Unset): A StringMap in a request, where null means none.
        metadata (None | OptionalStringMapType0 | Unset): A StringMap in a request, where null means none.
        template (None | str | Unset): Clone this template (its image and size) instead of booting.
        run_payload (None | str | Unset): Given to the run hook of a clone of a template with hooks.
    """

    image: None | str | Unset = UNSET
    cpus: int | None | Unset = 1
    memory_mib: int | None | Unset = 256
    timeout: int | None | Unset = 300
    env: None | OptionalStringMapType0 | Unset = UNSET
    metadata: None | OptionalStringMapType0 | Unset = UNSET
    template: None | str | Unset = UNSET
    run_payload: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.optional_string_map_type_0 import OptionalStringMapType0

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

        timeout: int | None | Unset
        if isinstance(self.timeout, Unset):
            timeout = UNSET
        else:
            timeout = self.timeout

        env: dict[str, Any] | None | Unset
        if isinstance(self.env, Unset):
            env = UNSET
        elif isinstance(self.env, OptionalStringMapType0):
            env = self.env.to_dict()
        else:
            env = self.env

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, OptionalStringMapType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        template: None | str | Unset
        if isinstance(self.template, Unset):
            template = UNSET
        else:
            template = self.template

        run_payload: None | str | Unset
        if isinstance(self.run_payload, Unset):
            run_payload = UNSET
        else:
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
        from ..models.optional_string_map_type_0 import OptionalStringMapType0

        d = dict(src_dict)

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

        def _parse_timeout(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        timeout = _parse_timeout(d.pop("timeout", UNSET))

        def _parse_env(data: object) -> None | OptionalStringMapType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_optional_string_map_type_0 = (
                    OptionalStringMapType0.from_dict(data)
                )

                return componentsschemas_optional_string_map_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OptionalStringMapType0 | Unset, data)

        env = _parse_env(d.pop("env", UNSET))

        def _parse_metadata(data: object) -> None | OptionalStringMapType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_optional_string_map_type_0 = (
                    OptionalStringMapType0.from_dict(data)
                )

                return componentsschemas_optional_string_map_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OptionalStringMapType0 | Unset, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_template(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        template = _parse_template(d.pop("template", UNSET))

        def _parse_run_payload(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        run_payload = _parse_run_payload(d.pop("run_payload", UNSET))

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
