from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.optional_string_map_type_0 import OptionalStringMapType0


T = TypeVar("T", bound="Command")


@_attrs_define
class Command:
    """
    Attributes:
        cmd (list[str]): The program and its arguments.
        env (None | OptionalStringMapType0 | Unset): A StringMap in a request, where null means none.
        cwd (None | str | Unset):
        user (None | str | Unset):
        timeout (int | None | Unset): Seconds; 0 for none.
        stdin (None | str | Unset): Given to the command's standard input
        tag (None | str | Unset): For background processes
    """

    cmd: list[str]
    env: None | OptionalStringMapType0 | Unset = UNSET
    cwd: None | str | Unset = UNSET
    user: None | str | Unset = UNSET
    timeout: int | None | Unset = UNSET
    stdin: None | str | Unset = UNSET
    tag: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.optional_string_map_type_0 import OptionalStringMapType0

        cmd = []
        for cmd_item_data in self.cmd:
            cmd_item: str
            cmd_item = cmd_item_data
            cmd.append(cmd_item)

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

        user: None | str | Unset
        if isinstance(self.user, Unset):
            user = UNSET
        else:
            user = self.user

        timeout: int | None | Unset
        if isinstance(self.timeout, Unset):
            timeout = UNSET
        else:
            timeout = self.timeout

        stdin: None | str | Unset
        if isinstance(self.stdin, Unset):
            stdin = UNSET
        else:
            stdin = self.stdin

        tag: None | str | Unset
        if isinstance(self.tag, Unset):
            tag = UNSET
        else:
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
        from ..models.optional_string_map_type_0 import OptionalStringMapType0

        d = dict(src_dict)
        cmd = []
        _cmd = d.pop("cmd")
        for cmd_item_data in _cmd:

            def _parse_cmd_item(data: object) -> str:
                return cast(str, data)

            cmd_item = _parse_cmd_item(cmd_item_data)

            cmd.append(cmd_item)

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

        def _parse_user(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user = _parse_user(d.pop("user", UNSET))

        def _parse_timeout(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        timeout = _parse_timeout(d.pop("timeout", UNSET))

        def _parse_stdin(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        stdin = _parse_stdin(d.pop("stdin", UNSET))

        def _parse_tag(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tag = _parse_tag(d.pop("tag", UNSET))

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
