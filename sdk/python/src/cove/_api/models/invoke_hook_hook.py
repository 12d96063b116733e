from enum import StrEnum


class InvokeHookHook(StrEnum):
    READY = "ready"
    RESUME = "resume"
    RUN = "run"
    SUSPEND = "suspend"
    TERMINATE = "terminate"
    VALIDATE = "validate"

    def __str__(self) -> str:
        return str(self.value)
