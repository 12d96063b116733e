"""The exceptions the SDK raises.

Every error the API answers carries a code and a message
(``{"error": {"code", "message"}}``); the SDK raises it as the subclass of
:class:`CoveError` that fits its HTTP status, with both kept, so callers
can catch by kind (``except NotFoundError``) and still read the exact code.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import CommandResult


class CoveError(Exception):
    """An error from the Cove API, or one the SDK met talking to it.

    Attributes:
        code: The API's error code (``not_found``, ``conflict``, ...).
        message: The API's message, meant for people.
        status: The HTTP status, or None for an error that arrived inside a
            stream that had already begun (or did not come from the API).
    """

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{message} ({code})" if code else message)
        self.code = code
        self.message = message
        self.status = status


class InvalidRequestError(CoveError):
    """400: the request is malformed or names something invalid."""


class AuthenticationError(CoveError):
    """401: no API key, or one the daemon does not know."""


class PermissionDeniedError(CoveError):
    """403: the sandbox refused a file operation."""


class NotFoundError(CoveError):
    """404: no such sandbox, template, process or file."""


class ConflictError(CoveError):
    """409: the sandbox's state forbids the operation, or the thing exists."""


class SandboxGoneError(CoveError):
    """410: the sandbox was deleted while the request ran."""


class HookFailedError(CoveError):
    """422: a lifecycle hook failed."""


class LimitExceededError(CoveError):
    """429: past the daemon's sandbox count or memory budget."""


class ServerError(CoveError):
    """5xx: the daemon or the guest agent failed."""


class UnavailableError(ServerError):
    """503: the sandbox's agent is not reachable, or the daemon shuts down."""


class InsufficientStorageError(ServerError):
    """507: the host or the sandbox ran out of disk space."""


class CommandExitError(CoveError):
    """A command run with ``check=True`` exited with a status other than 0."""

    def __init__(self, result: CommandResult) -> None:
        super().__init__(
            "command_exit",
            f"the command exited with {result.exit_code}: {result.stderr[-2000:]}",
        )
        self.result = result


_BY_STATUS: dict[int, type[CoveError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: SandboxGoneError,
    422: HookFailedError,
    429: LimitExceededError,
    503: UnavailableError,
    507: InsufficientStorageError,
}

# An error event in a stream has a code but no status: the status the API
# gives each code (openapi.yaml, ErrorCode). resource_exhausted is left out:
# it is 429 or 507 depending on what ran out.
_STATUS_BY_CODE: dict[str, int] = {
    "invalid_request": 400,
    "is_directory": 400,
    "upload_cut": 400,
    "unauthorized": 401,
    "permission_denied": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "already_exists": 409,
    "failed_precondition": 409,
    "hook_refused": 409,
    "sandbox_stopped": 409,
    "sandbox_suspended": 409,
    "sandbox_deleted": 410,
    "too_large": 413,
    "hook_failed": 422,
    "too_many_sandboxes": 429,
    "too_many_templates": 429,
    "memory_budget_exceeded": 429,
    "internal": 500,
    "boot_failed": 500,
    "agent_error": 502,
    "unavailable": 503,
    "agent_unavailable": 503,
    "hook_not_ready": 503,
    "shutting_down": 503,
    "timeout": 504,
    "insufficient_storage": 507,
}


def error_for(status: int | None, code: str, message: str) -> CoveError:
    """The exception for an API error: by status, or by code in a stream."""
    known = status if status is not None else _STATUS_BY_CODE.get(code)
    kind = _BY_STATUS.get(known) if known is not None else None
    if kind is None:
        kind = ServerError if known is not None and known >= 500 else CoveError
    return kind(code, message, status)


def error_from_body(status: int, body: bytes) -> CoveError:
    """The exception for an error response's body, whatever it holds."""
    try:
        inner = json.loads(body)["error"]
        code, message = str(inner["code"]), str(inner["message"])
    except (ValueError, KeyError, TypeError):
        # Not the API's shape (a proxy's page, say): keep what there is.
        text = body.decode("utf-8", errors="replace").strip()
        code, message = "http_" + str(status), text or f"HTTP {status}"
    return error_for(status, code, message)
