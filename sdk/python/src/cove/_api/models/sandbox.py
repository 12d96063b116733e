from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.sandbox_state import SandboxState
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.string_map import StringMap


T = TypeVar("T", bound="Sandbox")


@_attrs_define
class Sandbox:
    """
    Attributes:
        id (str):
        image (str):
        cpus (int):
        memory_mib (int):
        state (SandboxState):
        created_at (datetime.datetime):
        expires_at (datetime.datetime):
        metadata (StringMap):
        error (str | Unset):
        template (str | Unset):
        suspended_at (datetime.datetime | Unset): While suspended: since when (the timeout stands still).
    """

    id: str
    image: str
    cpus: int
    memory_mib: int
    state: SandboxState
    created_at: datetime.datetime
    expires_at: datetime.datetime
    metadata: StringMap
    error: str | Unset = UNSET
    template: str | Unset = UNSET
    suspended_at: datetime.datetime | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        image = self.image

        cpus = self.cpus

        memory_mib = self.memory_mib

        state = self.state.value

        created_at = self.created_at.isoformat()

        expires_at = self.expires_at.isoformat()

        metadata = self.metadata.to_dict()

        error = self.error

        template = self.template

        suspended_at: str | Unset = UNSET
        if not isinstance(self.suspended_at, Unset):
            suspended_at = self.suspended_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "image": image,
                "cpus": cpus,
                "memory_mib": memory_mib,
                "state": state,
                "created_at": created_at,
                "expires_at": expires_at,
                "metadata": metadata,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if template is not UNSET:
            field_dict["template"] = template
        if suspended_at is not UNSET:
            field_dict["suspended_at"] = suspended_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.string_map import StringMap

        d = dict(src_dict)
        id = d.pop("id")

        image = d.pop("image")

        cpus = d.pop("cpus")

        memory_mib = d.pop("memory_mib")

        state = SandboxState(d.pop("state"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        metadata = StringMap.from_dict(d.pop("metadata"))

        error = d.pop("error", UNSET)

        template = d.pop("template", UNSET)

        _suspended_at = d.pop("suspended_at", UNSET)
        suspended_at: datetime.datetime | Unset
        if isinstance(_suspended_at, Unset):
            suspended_at = UNSET
        else:
            suspended_at = datetime.datetime.fromisoformat(_suspended_at)

        sandbox = cls(
            id=id,
            image=image,
            cpus=cpus,
            memory_mib=memory_mib,
            state=state,
            created_at=created_at,
            expires_at=expires_at,
            metadata=metadata,
            error=error,
            template=template,
            suspended_at=suspended_at,
        )

        sandbox.additional_properties = d
        return sandbox

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
