from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.error_code import ErrorCode

T = TypeVar("T", bound="WebSocketError")


@_attrs_define
class WebSocketError:
    """
    Attributes:
        type_ (str):
        code (ErrorCode): What went wrong, for programs. 400 invalid_request, is_directory, upload_cut (the client
            closed before the declared length); 401 unauthorized; 403 permission_denied; 404 not_found; 405
            method_not_allowed; 409 conflict, already_exists, failed_precondition, hook_refused, and sandbox_stopped or
            sandbox_suspended (while the call ran); 410 sandbox_deleted (while the call ran); 413 too_large; 422
            hook_failed; 429 too_many_sandboxes, too_many_templates, memory_budget_exceeded, resource_exhausted (in the
            guest); 4xx client_error (another refusal); 500 internal, boot_failed; 502 agent_error; 503 unavailable,
            agent_unavailable, hook_not_ready, shutting_down; 504 timeout; 507 insufficient_storage, resource_exhausted (the
            guest's disk is full).
        message (str):
    """

    type_: str
    code: ErrorCode
    message: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        code = self.code.value

        message = self.message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "code": code,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = d.pop("type")

        code = ErrorCode(d.pop("code"))

        message = d.pop("message")

        web_socket_error = cls(
            type_=type_,
            code=code,
            message=message,
        )

        web_socket_error.additional_properties = d
        return web_socket_error

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
