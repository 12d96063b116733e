"""Contains all the data models used in inputs/outputs"""

from .command import Command
from .command_event_type_0 import CommandEventType0
from .command_event_type_1 import CommandEventType1
from .command_event_type_1_event import CommandEventType1Event
from .command_event_type_2 import CommandEventType2
from .command_event_type_3 import CommandEventType3
from .create_sandbox import CreateSandbox
from .create_template import CreateTemplate
from .error import Error
from .error_code import ErrorCode
from .error_detail import ErrorDetail
from .exec_result import ExecResult
from .exit_status import ExitStatus
from .file_info import FileInfo
from .file_info_type import FileInfoType
from .file_list import FileList
from .health import Health
from .hook_history import HookHistory
from .hook_history_history_item import HookHistoryHistoryItem
from .hook_history_history_item_outcome import HookHistoryHistoryItemOutcome
from .hooks_type_0 import HooksType0
from .invoke_hook_hook import InvokeHookHook
from .list_sandboxes_state import ListSandboxesState
from .make_directory import MakeDirectory
from .open_api_document_response_200 import OpenApiDocumentResponse200
from .optional_string_map_type_0 import OptionalStringMapType0
from .output_chunk import OutputChunk
from .process import Process
from .process_list import ProcessList
from .rename import Rename
from .sandbox import Sandbox
from .sandbox_list import SandboxList
from .sandbox_state import SandboxState
from .sandbox_template import SandboxTemplate
from .service import Service
from .service_list import ServiceList
from .service_restart_type_1 import ServiceRestartType1
from .service_restart_type_2_type_1 import ServiceRestartType2Type1
from .service_restart_type_3_type_1 import ServiceRestartType3Type1
from .service_status import ServiceStatus
from .service_status_state import ServiceStatusState
from .signal import Signal
from .started import Started
from .stdin import Stdin
from .string_map import StringMap
from .template import Template
from .template_list import TemplateList
from .terminal_size_type_0 import TerminalSizeType0
from .timeout import Timeout
from .web_socket_close_stdin import WebSocketCloseStdin
from .web_socket_error import WebSocketError
from .web_socket_exit import WebSocketExit
from .web_socket_output import WebSocketOutput
from .web_socket_resize import WebSocketResize
from .web_socket_signal import WebSocketSignal
from .web_socket_start import WebSocketStart
from .web_socket_started import WebSocketStarted
from .web_socket_stdin import WebSocketStdin

__all__ = (
    "Command",
    "CommandEventType0",
    "CommandEventType1",
    "CommandEventType1Event",
    "CommandEventType2",
    "CommandEventType3",
    "CreateSandbox",
    "CreateTemplate",
    "Error",
    "ErrorCode",
    "ErrorDetail",
    "ExecResult",
    "ExitStatus",
    "FileInfo",
    "FileInfoType",
    "FileList",
    "Health",
    "HookHistory",
    "HookHistoryHistoryItem",
    "HookHistoryHistoryItemOutcome",
    "HooksType0",
    "InvokeHookHook",
    "ListSandboxesState",
    "MakeDirectory",
    "OpenApiDocumentResponse200",
    "OptionalStringMapType0",
    "OutputChunk",
    "Process",
    "ProcessList",
    "Rename",
    "Sandbox",
    "SandboxList",
    "SandboxState",
    "SandboxTemplate",
    "Service",
    "ServiceList",
    "ServiceRestartType1",
    "ServiceRestartType2Type1",
    "ServiceRestartType3Type1",
    "ServiceStatus",
    "ServiceStatusState",
    "Signal",
    "Started",
    "Stdin",
    "StringMap",
    "Template",
    "TemplateList",
    "TerminalSizeType0",
    "Timeout",
    "WebSocketCloseStdin",
    "WebSocketError",
    "WebSocketExit",
    "WebSocketOutput",
    "WebSocketResize",
    "WebSocketSignal",
    "WebSocketStart",
    "WebSocketStarted",
    "WebSocketStdin",
)
