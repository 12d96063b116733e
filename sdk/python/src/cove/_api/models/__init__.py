"""Contains all the data models used in inputs/outputs"""

from .command import Command
from .create_sandbox import CreateSandbox
from .create_template import CreateTemplate
from .error import Error
from .error_error import ErrorError
from .exec_result import ExecResult
from .file_info import FileInfo
from .file_info_type import FileInfoType
from .file_list import FileList
from .health import Health
from .hook_history import HookHistory
from .hook_history_history_item import HookHistoryHistoryItem
from .hook_history_history_item_outcome import HookHistoryHistoryItemOutcome
from .hooks import Hooks
from .invoke_hook_hook import InvokeHookHook
from .list_sandboxes_state import ListSandboxesState
from .make_directory import MakeDirectory
from .process import Process
from .process_list import ProcessList
from .rename import Rename
from .sandbox import Sandbox
from .sandbox_list import SandboxList
from .sandbox_state import SandboxState
from .sandbox_template import SandboxTemplate
from .service import Service
from .service_list import ServiceList
from .service_restart import ServiceRestart
from .service_status import ServiceStatus
from .service_status_state import ServiceStatusState
from .signal import Signal
from .started import Started
from .stdin import Stdin
from .string_map import StringMap
from .template import Template
from .template_list import TemplateList
from .timeout import Timeout

__all__ = (
    "Command",
    "CreateSandbox",
    "CreateTemplate",
    "Error",
    "ErrorError",
    "ExecResult",
    "FileInfo",
    "FileInfoType",
    "FileList",
    "Health",
    "HookHistory",
    "HookHistoryHistoryItem",
    "HookHistoryHistoryItemOutcome",
    "Hooks",
    "InvokeHookHook",
    "ListSandboxesState",
    "MakeDirectory",
    "Process",
    "ProcessList",
    "Rename",
    "Sandbox",
    "SandboxList",
    "SandboxState",
    "SandboxTemplate",
    "Service",
    "ServiceList",
    "ServiceRestart",
    "ServiceStatus",
    "ServiceStatusState",
    "Signal",
    "Started",
    "Stdin",
    "StringMap",
    "Template",
    "TemplateList",
    "Timeout",
)
