from enum import StrEnum


class ErrorCode(StrEnum):
    AGENT_ERROR = "agent_error"
    AGENT_UNAVAILABLE = "agent_unavailable"
    ALREADY_EXISTS = "already_exists"
    BOOT_FAILED = "boot_failed"
    CLIENT_ERROR = "client_error"
    CONFLICT = "conflict"
    FAILED_PRECONDITION = "failed_precondition"
    HOOK_FAILED = "hook_failed"
    HOOK_NOT_READY = "hook_not_ready"
    HOOK_REFUSED = "hook_refused"
    INSUFFICIENT_STORAGE = "insufficient_storage"
    INTERNAL = "internal"
    INVALID_REQUEST = "invalid_request"
    IS_DIRECTORY = "is_directory"
    MEMORY_BUDGET_EXCEEDED = "memory_budget_exceeded"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    RESOURCE_EXHAUSTED = "resource_exhausted"
    SANDBOX_DELETED = "sandbox_deleted"
    SANDBOX_STOPPED = "sandbox_stopped"
    SANDBOX_SUSPENDED = "sandbox_suspended"
    SHUTTING_DOWN = "shutting_down"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    TOO_MANY_SANDBOXES = "too_many_sandboxes"
    TOO_MANY_TEMPLATES = "too_many_templates"
    UNAUTHORIZED = "unauthorized"
    UNAVAILABLE = "unavailable"
    UPLOAD_CUT = "upload_cut"

    def __str__(self) -> str:
        return str(self.value)
