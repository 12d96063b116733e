from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.service_restart import ServiceRestart
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.string_map import StringMap


T = TypeVar("T", bound="Service")


@_attrs_define
class Service:
    """
    Attributes:
        name (str):
        cmd (list[str]):
        user (str | Unset): User name or uid; root when absent.
        group (str | Unset):
        env (StringMap | Unset):
        cwd (str | Unset):
        restart (ServiceRestart | Unset):  Default: ServiceRestart.ON_FAILURE.
    """

    name: str
    cmd: list[str]
    user: str | Unset = UNSET
    group: str | Unset = UNSET
    env: StringMap | Unset = UNSET
    cwd: str | Unset = UNSET
    restart: ServiceRestart | Unset = ServiceRestart.ON_FAILURE
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        cmd = self.cmd

        user = self.user

        group = self.group

        env: dict[str, Any] | Unset = UNSET
        if not isinstance(self.env, Unset):
            env = self.env.to_dict()

        cwd = self.cwd

        restart: str | Unset = UNSET
        if not isinstance(self.restart, Unset):
            restart = self.restart.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "cmd": cmd,
            }
        )
        if user is not UNSET:
            field_dict["user"] = user
        if group is not UNSET:
            field_dict["group"] = group
        if env is not UNSET:
            field_dict["env"] = env
        if cwd is not UNSET:
            field_dict["cwd"] = cwd
        if restart is not UNSET:
            field_dict["restart"] = restart

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.string_map import StringMap

        d = dict(src_dict)
        name = d.pop("name")

        cmd = cast(list[str], d.pop("cmd"))

        user = d.pop("user", UNSET)

        group = d.pop("group", UNSET)

        _env = d.pop("env", UNSET)
        env: StringMap | Unset
        if isinstance(_env, Unset):
            env = UNSET
        else:
            env = StringMap.from_dict(_env)

        cwd = d.pop("cwd", UNSET)

        _restart = d.pop("restart", UNSET)
        restart: ServiceRestart | Unset
        if isinstance(_restart, Unset):
            restart = UNSET
        else:
            restart = ServiceRestart(_restart)

        service = cls(
            name=name,
            cmd=cmd,
            user=user,
            group=group,
            env=env,
            cwd=cwd,
            restart=restart,
        )

        service.additional_properties = d
        return service

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
