from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.optional_string_map_type_0 import OptionalStringMapType0
    from ..models.terminal_size_type_0 import TerminalSizeType0


T = TypeVar("T", bound="WebSocketStart")


@_attrs_define
class WebSocketStart:
    """
    Attributes:
        type_ (str):
        cmd (list[str]):
        env (None | OptionalStringMapType0 | Unset): A StringMap in a request, where null means none.
        cwd (str | Unset):
        user (str | Unset):
        timeout (int | Unset): Seconds; 0 for none.
        pty (None | TerminalSizeType0 | Unset):
    """

    type_: str
    cmd: list[str]
    env: None | OptionalStringMapType0 | Unset = UNSET
    cwd: str | Unset = UNSET
    user: str | Unset = UNSET
    timeout: int | Unset = UNSET
    pty: None | TerminalSizeType0 | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.optional_string_map_type_0 import OptionalStringMapType0
        from ..models.terminal_size_type_0 import TerminalSizeType0

        type_ = self.type_

        cmd = self.cmd

        env: dict[str, Any] | None | Unset
        if isinstance(self.env, Unset):
            env = UNSET
        elif isinstance(self.env, OptionalStringMapType0):
            env = self.env.to_dict()
        else:
            env = self.env

        cwd = self.cwd

        user = self.user

        timeout = self.timeout

        pty: dict[str, Any] | None | Unset
        if isinstance(self.pty, Unset):
            pty = UNSET
        elif isinstance(self.pty, TerminalSizeType0):
            pty = self.pty.to_dict()
        else:
            pty = self.pty

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
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
        if pty is not UNSET:
            field_dict["pty"] = pty

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.optional_string_map_type_0 import OptionalStringMapType0
        from ..models.terminal_size_type_0 import TerminalSizeType0

        d = dict(src_dict)
        type_ = d.pop("type")

        cmd = cast(list[str], d.pop("cmd"))

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

        cwd = d.pop("cwd", UNSET)

        user = d.pop("user", UNSET)

        timeout = d.pop("timeout", UNSET)

        def _parse_pty(data: object) -> None | TerminalSizeType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_terminal_size_type_0 = TerminalSizeType0.from_dict(
                    data
                )

                return componentsschemas_terminal_size_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TerminalSizeType0 | Unset, data)

        pty = _parse_pty(d.pop("pty", UNSET))

        web_socket_start = cls(
            type_=type_,
            cmd=cmd,
            env=env,
            cwd=cwd,
            user=user,
            timeout=timeout,
            pty=pty,
        )

        web_socket_start.additional_properties = d
        return web_socket_start

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
