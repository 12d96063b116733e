from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="HooksType0")


@_attrs_define
class HooksType0:
    """Lifecycle hook commands (AWS Lambda MicroVM contract), driven by the daemon for clones.

    Attributes:
        validate (list[str] | None | Unset): Each time a clone starts; it must succeed.
        run (list[str] | None | Unset): Once per clone
        suspend (list[str] | None | Unset): Before a suspend; failing refuses it.
        resume (list[str] | None | Unset): After a resume from disk.
        terminate (list[str] | None | Unset): Before the sandbox is stopped.
        http_port (int | None | Unset): The guest serves POST /aws/lambda-microvms/runtime/v1/{hook} on this port.
    """

    validate: list[str] | None | Unset = UNSET
    run: list[str] | None | Unset = UNSET
    suspend: list[str] | None | Unset = UNSET
    resume: list[str] | None | Unset = UNSET
    terminate: list[str] | None | Unset = UNSET
    http_port: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        validate: list[str] | None | Unset
        if isinstance(self.validate, Unset):
            validate = UNSET
        elif isinstance(self.validate, list):
            validate = self.validate

        else:
            validate = self.validate

        run: list[str] | None | Unset
        if isinstance(self.run, Unset):
            run = UNSET
        elif isinstance(self.run, list):
            run = self.run

        else:
            run = self.run

        suspend: list[str] | None | Unset
        if isinstance(self.suspend, Unset):
            suspend = UNSET
        elif isinstance(self.suspend, list):
            suspend = self.suspend

        else:
            suspend = self.suspend

        resume: list[str] | None | Unset
        if isinstance(self.resume, Unset):
            resume = UNSET
        elif isinstance(self.resume, list):
            resume = self.resume

        else:
            resume = self.resume

        terminate: list[str] | None | Unset
        if isinstance(self.terminate, Unset):
            terminate = UNSET
        elif isinstance(self.terminate, list):
            terminate = self.terminate

        else:
            terminate = self.terminate

        http_port: int | None | Unset
        if isinstance(self.http_port, Unset):
            http_port = UNSET
        else:
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

        def _parse_validate(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                validate_type_0 = cast(list[str], data)

                return validate_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        validate = _parse_validate(d.pop("validate", UNSET))

        def _parse_run(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                run_type_0 = cast(list[str], data)

                return run_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        run = _parse_run(d.pop("run", UNSET))

        def _parse_suspend(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                suspend_type_0 = cast(list[str], data)

                return suspend_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        suspend = _parse_suspend(d.pop("suspend", UNSET))

        def _parse_resume(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                resume_type_0 = cast(list[str], data)

                return resume_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        resume = _parse_resume(d.pop("resume", UNSET))

        def _parse_terminate(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                terminate_type_0 = cast(list[str], data)

                return terminate_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        terminate = _parse_terminate(d.pop("terminate", UNSET))

        def _parse_http_port(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        http_port = _parse_http_port(d.pop("http_port", UNSET))

        hooks_type_0 = cls(
            validate=validate,
            run=run,
            suspend=suspend,
            resume=resume,
            terminate=terminate,
            http_port=http_port,
        )

        hooks_type_0.additional_properties = d
        return hooks_type_0

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
