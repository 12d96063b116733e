from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.file_info_type import FileInfoType
from ..types import UNSET, Unset

T = TypeVar("T", bound="FileInfo")


@_attrs_define
class FileInfo:
    """
    Attributes:
        path (str):
        name (str):
        type_ (FileInfoType):
        size (int):
        mode (int):
        modified_at (datetime.datetime):
        symlink_target (str | Unset):
    """

    path: str
    name: str
    type_: FileInfoType
    size: int
    mode: int
    modified_at: datetime.datetime
    symlink_target: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        path = self.path

        name = self.name

        type_ = self.type_.value

        size = self.size

        mode = self.mode

        modified_at = self.modified_at.isoformat()

        symlink_target = self.symlink_target

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "path": path,
                "name": name,
                "type": type_,
                "size": size,
                "mode": mode,
                "modified_at": modified_at,
            }
        )
        if symlink_target is not UNSET:
            field_dict["symlink_target"] = symlink_target

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        path = d.pop("path")

        name = d.pop("name")

        type_ = FileInfoType(d.pop("type"))

        size = d.pop("size")

        mode = d.pop("mode")

        modified_at = datetime.datetime.fromisoformat(d.pop("modified_at"))

        symlink_target = d.pop("symlink_target", UNSET)

        file_info = cls(
            path=path,
            name=name,
            type_=type_,
            size=size,
            mode=mode,
            modified_at=modified_at,
            symlink_target=symlink_target,
        )

        file_info.additional_properties = d
        return file_info

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
