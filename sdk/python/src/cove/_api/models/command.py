from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.string_map import StringMap


T = TypeVar("T", bound="Command")


@_attrs_define
class Command:
    """
    Attributes:
        cmd (list[str]):
        env (StringMap | Unset):
        cwd (str | Unset):
        user (str | Unset):
        timeout (int | Unset): Seconds; 0 for none.
        stdin (str | Unset): Given to the command's standard input
        tag (str | Unset): For background processes
    """

    cmd: list[str]
    env: StringMap | Unset = UNSET
    cwd: str | Unset = UNSET
    user: str | Unset = UNSET
    timeout: int | Unset = UNSET
    stdin: str | Unset = UNSET
    tag: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cmd = self.cmd

        env: dict[str, Any] | Unset = UNSET
        if not isinstance(self.env, Unset):
            env = self.env.to_dict()

        cwd = self.cwd

        user = self.user

        timeout = self.timeout

        stdin = self.stdin

        tag = self.tag

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cmd": cmd,
            }
        )
        if env is not UNSET:
            field_dict["env"] = env
        if cwd is not UNSET:
            field_dict["cwd"] = cwd
        if user is not UNSET:
            field_dict["user"] = user
        if timeout is not UNSET:
            field_dict["timeout"] = timeout
        if stdin is not UNSET:
            field_dict["stdin"] = stdin
        if tag is not UNSET:
            field_dict["tag"] = tag

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.string_map import StringMap

        d = dict(src_dict)
        cmd = cast(list[str], d.pop("cmd"))

        _env = d.pop("env", UNSET)
        env: StringMap | Unset
        if isinstance(_env, Unset):
            env = UNSET
        else:
            env = StringMap.from_dict(_env)

        cwd = d.pop("cwd", UNSET)

        user = d.pop("user", UNSET)

        timeout = d.pop("timeout", UNSET)

        stdin = d.pop("stdin", UNSET)

        tag = d.pop("tag", UNSET)

        command = cls(
            cmd=cmd,
            env=env,
            cwd=cwd,
            user=user,
            timeout=timeout,
            stdin=stdin,
            tag=tag,
        )

        command.additional_properties = d
        return command

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
