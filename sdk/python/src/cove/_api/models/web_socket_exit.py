from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="WebSocketExit")


@_attrs_define
class WebSocketExit:
    """
    Attributes:
        type_ (str):
        exit_code (int):
        timed_out (bool):
        signal (int | Unset):
    """

    type_: str
    exit_code: int
    timed_out: bool
    signal: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        exit_code = self.exit_code

        timed_out = self.timed_out

        signal = self.signal

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "exit_code": exit_code,
                "timed_out": timed_out,
            }
        )
        if signal is not UNSET:
            field_dict["signal"] = signal

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = d.pop("type")

        exit_code = d.pop("exit_code")

        timed_out = d.pop("timed_out")

        signal = d.pop("signal", UNSET)

        web_socket_exit = cls(
            type_=type_,
            exit_code=exit_code,
            timed_out=timed_out,
            signal=signal,
        )

        web_socket_exit.additional_properties = d
        return web_socket_exit

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
