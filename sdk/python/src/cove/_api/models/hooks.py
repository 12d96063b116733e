from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Hooks")


@_attrs_define
class Hooks:
    """Lifecycle hook commands (AWS Lambda MicroVM contract), driven by the daemon for clones.

    Attributes:
        validate (list[str] | Unset): Each time a clone starts; it must succeed.
        run (list[str] | Unset): Once per clone
        suspend (list[str] | Unset): Before a suspend; failing refuses it.
        resume (list[str] | Unset): After a resume from disk.
        terminate (list[str] | Unset): Before the sandbox is stopped.
        http_port (int | Unset): The guest serves POST /aws/lambda-microvms/runtime/v1/{hook} on this port.
    """

    validate: list[str] | Unset = UNSET
    run: list[str] | Unset = UNSET
    suspend: list[str] | Unset = UNSET
    resume: list[str] | Unset = UNSET
    terminate: list[str] | Unset = UNSET
    http_port: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        validate: list[str] | Unset = UNSET
        if not isinstance(self.validate, Unset):
            validate = self.validate

        run: list[str] | Unset = UNSET
        if not isinstance(self.run, Unset):
            run = self.run

        suspend: list[str] | Unset = UNSET
        if not isinstance(self.suspend, Unset):
            suspend = self.suspend

        resume: list[str] | Unset = UNSET
        if not isinstance(self.resume, Unset):
            resume = self.resume

        terminate: list[str] | Unset = UNSET
        if not isinstance(self.terminate, Unset):
            terminate = self.terminate

        http_port = self.http_port

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if validate is not UNSET:
            field_dict["validate"] = validate
        if run is not UNSET:
            field_dict["run"] = run
        if suspend is not UNSET:
            field_dict["suspend"] = suspend
        if resume is not UNSET:
            field_dict["resume"] = resume
        if terminate is not UNSET:
            field_dict["terminate"] = terminate
        if http_port is not UNSET:
            field_dict["http_port"] = http_port

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        validate = cast(list[str], d.pop("validate", UNSET))

        run = cast(list[str], d.pop("run", UNSET))

        suspend = cast(list[str], d.pop("suspend", UNSET))

        resume = cast(list[str], d.pop("resume", UNSET))

        terminate = cast(list[str], d.pop("terminate", UNSET))

        http_port = d.pop("http_port", UNSET)

        hooks = cls(
            validate=validate,
            run=run,
            suspend=suspend,
            resume=resume,
            terminate=terminate,
            http_port=http_port,
        )

        hooks.additional_properties = d
        return hooks

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
