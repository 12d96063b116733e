from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.service_restart_type_1 import ServiceRestartType1
from ..models.service_restart_type_2_type_1 import ServiceRestartType2Type1
from ..models.service_restart_type_3_type_1 import ServiceRestartType3Type1
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.optional_string_map_type_0 import OptionalStringMapType0


T = TypeVar("T", bound="Service")


@_attrs_define
class Service:
    """
    Attributes:
        name (str):
        cmd (list[str]):
        user (None | str | Unset): User name or uid; root when absent.
        group (None | str | Unset):
        env (None | OptionalStringMapType0 | Unset): A StringMap in a request, where null means none.
        cwd (None | str | Unset):
        restart (None | ServiceRestartType1 | ServiceRestartType2Type1 | ServiceRestartType3Type1 | Unset):  Default:
            ServiceRestartType1.ON_FAILURE.
    """

    name: str
    cmd: list[str]
    user: None | str | Unset = UNSET
    group: None | str | Unset = UNSET
    env: None | OptionalStringMapType0 | Unset = UNSET
    cwd: None | str | Unset = UNSET
    restart: (
        None
        | ServiceRestartType1
        | ServiceRestartType2Type1
        | ServiceRestartType3Type1
        | Unset
    ) = ServiceRestartType1.ON_FAILURE
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.optional_string_map_type_0 import OptionalStringMapType0

        name = self.name

        cmd = self.cmd

        user: None | str | Unset
        if isinstance(self.user, Unset):
            user = UNSET
        else:
            user = self.user

        group: None | str | Unset
        if isinstance(self.group, Unset):
            group = UNSET
        else:
            group = self.group

        env: dict[str, Any] | None | Unset
        if isinstance(self.env, Unset):
            env = UNSET
        elif isinstance(self.env, OptionalStringMapType0):
            env = self.env.to_dict()
        else:
            env = self.env

        cwd: None | str | Unset
        if isinstance(self.cwd, Unset):
            cwd = UNSET
        else:
            cwd = self.cwd

        restart: None | str | Unset
        if isinstance(self.restart, Unset):
            restart = UNSET
        elif (
            isinstance(self.restart, ServiceRestartType1)
            or isinstance(self.restart, ServiceRestartType2Type1)
            or isinstance(self.restart, ServiceRestartType3Type1)
        ):
            restart = self.restart.value
        else:
            restart = self.restart

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
        from ..models.optional_string_map_type_0 import OptionalStringMapType0

        d = dict(src_dict)
        name = d.pop("name")

        cmd = cast(list[str], d.pop("cmd"))

        def _parse_user(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user = _parse_user(d.pop("user", UNSET))

        def _parse_group(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        group = _parse_group(d.pop("group", UNSET))

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

        def _parse_cwd(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cwd = _parse_cwd(d.pop("cwd", UNSET))

        def _parse_restart(
            data: object,
        ) -> (
            None
            | ServiceRestartType1
            | ServiceRestartType2Type1
            | ServiceRestartType3Type1
            | Unset
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                restart_type_1 = ServiceRestartType1(data)

                return restart_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                restart_type_2_type_1 = ServiceRestartType2Type1(data)

                return restart_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                restart_type_3_type_1 = ServiceRestartType3Type1(data)

                return restart_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                None
                | ServiceRestartType1
                | ServiceRestartType2Type1
                | ServiceRestartType3Type1
                | Unset,
                data,
            )

        restart = _parse_restart(d.pop("restart", UNSET))

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
