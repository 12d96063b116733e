from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.service_status_state import ServiceStatusState
from ..types import UNSET, Unset

T = TypeVar("T", bound="ServiceStatus")


@_attrs_define
class ServiceStatus:
    """
    Attributes:
        name (str):
        state (ServiceStatusState):
        restarts (int):
        uid (int):
        gid (int):
        pid (int | Unset):
        last_exit (int | Unset):
    """

    name: str
    state: ServiceStatusState
    restarts: int
    uid: int
    gid: int
    pid: int | Unset = UNSET
    last_exit: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        state = self.state.value

        restarts = self.restarts

        uid = self.uid

        gid = self.gid

        pid = self.pid

        last_exit = self.last_exit

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "state": state,
                "restarts": restarts,
                "uid": uid,
                "gid": gid,
            }
        )
        if pid is not UNSET:
            field_dict["pid"] = pid
        if last_exit is not UNSET:
            field_dict["last_exit"] = last_exit

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        name = d.pop("name")

        state = ServiceStatusState(d.pop("state"))

        restarts = d.pop("restarts")

        uid = d.pop("uid")

        gid = d.pop("gid")

        pid = d.pop("pid", UNSET)

        last_exit = d.pop("last_exit", UNSET)

        service_status = cls(
            name=name,
            state=state,
            restarts=restarts,
            uid=uid,
            gid=gid,
            pid=pid,
            last_exit=last_exit,
        )

        service_status.additional_properties = d
        return service_status

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
