from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Stdin")


@_attrs_define
class Stdin:
    """
    Attributes:
        data (None | str | Unset):
        data_base64 (None | str | Unset):
        close (bool | None | Unset):
    """

    data: None | str | Unset = UNSET
    data_base64: None | str | Unset = UNSET
    close: bool | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: None | str | Unset
        if isinstance(self.data, Unset):
            data = UNSET
        else:
            data = self.data

        data_base64: None | str | Unset
        if isinstance(self.data_base64, Unset):
            data_base64 = UNSET
        else:
            data_base64 = self.data_base64

        close: bool | None | Unset
        if isinstance(self.close, Unset):
            close = UNSET
        else:
            close = self.close

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if data is not UNSET:
            field_dict["data"] = data
        if data_base64 is not UNSET:
            field_dict["data_base64"] = data_base64
        if close is not UNSET:
            field_dict["close"] = close

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_data(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        data = _parse_data(d.pop("data", UNSET))

        def _parse_data_base64(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        data_base64 = _parse_data_base64(d.pop("data_base64", UNSET))

        def _parse_close(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        close = _parse_close(d.pop("close", UNSET))

        stdin = cls(
            data=data,
            data_base64=data_base64,
            close=close,
        )

        stdin.additional_properties = d
        return stdin

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
