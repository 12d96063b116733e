"""How answers become exceptions; no daemon needed."""

from __future__ import annotations

import pytest

from cove import (
    ConflictError,
    CoveError,
    InsufficientStorageError,
    NotFoundError,
    SandboxGoneError,
    ServerError,
    UnavailableError,
)
from cove._commands import Exited, Output, decode_event
from cove.errors import error_for, error_from_body


def test_an_error_body_keeps_its_code_message_and_status() -> None:
    error = error_from_body(404, b'{"error": {"code": "not_found", "message": "no sandbox sb-1"}}')
    assert isinstance(error, NotFoundError)
    assert (error.code, error.message, error.status) == ("not_found", "no sandbox sb-1", 404)


def test_the_status_decides_the_kind_whatever_the_code() -> None:
    assert isinstance(error_from_body(409, b'{"error": {"code": "a_new_code", "message": "m"}}'), ConflictError)
    assert isinstance(
        error_from_body(507, b'{"error": {"code": "resource_exhausted", "message": "m"}}'), InsufficientStorageError
    )
    assert type(error_from_body(418, b'{"error": {"code": "client_error", "message": "m"}}')) is CoveError


def test_a_body_not_from_the_api_is_kept_as_text() -> None:
    error = error_from_body(502, b"<html>Bad Gateway</html>")
    assert isinstance(error, ServerError)
    assert (error.code, error.message) == ("http_502", "<html>Bad Gateway</html>")


def test_an_error_event_in_a_stream_is_typed_by_its_code() -> None:
    with pytest.raises(SandboxGoneError) as raised:
        decode_event("error", '{"code": "sandbox_deleted", "message": "deleted while the command ran"}')
    assert raised.value.status is None
    assert isinstance(error_for(None, "shutting_down", "m"), UnavailableError)
    assert type(error_for(None, "a_new_code", "m")) is CoveError


def test_events_decode() -> None:
    assert decode_event("stdout", '{"data": "aGkK"}') == Output("stdout", b"hi\n")
    assert decode_event("exit", '{"exit_code": 137, "signal": 9, "timed_out": false}') == Exited(137, 9, False)
    assert decode_event("a_new_event", "{}") is None
