"""Cove's Python SDK: disposable Linux microVM sandboxes.

::

    from cove import Sandbox

    with Sandbox.create(image="debian") as sb:
        print(sb.commands.run("echo hi").stdout)

The API key and the daemon's URL come from the arguments, else from
``COVE_API_KEY`` and ``COVE_API_URL``.
"""

from .async_commands import AsyncCommandHandle, AsyncCommands
from .async_files import AsyncFiles
from .async_sandbox import AsyncSandbox
from .commands import CommandHandle, Commands
from .errors import (
    AuthenticationError,
    CommandExitError,
    ConflictError,
    CoveError,
    HookFailedError,
    InsufficientStorageError,
    InvalidRequestError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    SandboxGoneError,
    ServerError,
    UnavailableError,
)
from .files import Files
from .hooks import AsyncHooks, AsyncServices, Hooks, Services
from .models import (
    CommandResult,
    FileInfo,
    HookRun,
    ProcessInfo,
    SandboxInfo,
    Service,
    ServiceInfo,
    TemplateInfo,
)
from .sandbox import Sandbox
from .template import AsyncTemplate, Template

__all__ = [
    "AsyncCommandHandle",
    "AsyncCommands",
    "AsyncFiles",
    "AsyncHooks",
    "AsyncSandbox",
    "AsyncServices",
    "AsyncTemplate",
    "AuthenticationError",
    "CommandExitError",
    "CommandHandle",
    "CommandResult",
    "Commands",
    "ConflictError",
    "CoveError",
    "FileInfo",
    "Files",
    "HookFailedError",
    "HookRun",
    "Hooks",
    "InsufficientStorageError",
    "InvalidRequestError",
    "LimitExceededError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProcessInfo",
    "Sandbox",
    "SandboxGoneError",
    "SandboxInfo",
    "ServerError",
    "Service",
    "ServiceInfo",
    "Services",
    "Template",
    "TemplateInfo",
    "UnavailableError",
]
