from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Process")


@_attrs_define
class Process:
    """
    Attributes:
        pid (int):
        tag (str):
        cmd (list[str]):
        pty (bool):
        background (bool):
    """

    pid: int
    tag: str
    cmd: list[str]
    pty: bool
    background: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        pid = self.pid

        tag = self.tag

        cmd = self.cmd

        pty = self.pty

        background = self.background

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pid": pid,
                "tag": tag,
                "cmd": cmd,
                "pty": pty,
                "background": background,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        pid = d.pop("pid")

        tag = d.pop("tag")

        cmd = cast(list[str], d.pop("cmd"))

        pty = d.pop("pty")

        background = d.pop("background")

        process = cls(
            pid=pid,
            tag=tag,
            cmd=cmd,
            pty=pty,
            background=background,
        )

        process.additional_properties = d
        return process

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
