from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.hook_history_history_item_outcome import HookHistoryHistoryItemOutcome

T = TypeVar("T", bound="HookHistoryHistoryItem")


@_attrs_define
class HookHistoryHistoryItem:
    """
    Attributes:
        hook (str):
        outcome (HookHistoryHistoryItemOutcome):
        at (datetime.datetime):
    """

    hook: str
    outcome: HookHistoryHistoryItemOutcome
    at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hook = self.hook

        outcome = self.outcome.value

        at = self.at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "hook": hook,
                "outcome": outcome,
                "at": at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        hook = d.pop("hook")

        outcome = HookHistoryHistoryItemOutcome(d.pop("outcome"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        hook_history_history_item = cls(
            hook=hook,
            outcome=outcome,
            at=at,
        )

        hook_history_history_item.additional_properties = d
        return hook_history_history_item

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
