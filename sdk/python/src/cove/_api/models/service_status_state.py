from enum import StrEnum


class ServiceStatusState(StrEnum):
    BACKOFF = "backoff"
    EXITED = "exited"
    RUNNING = "running"

    def __str__(self) -> str:
        return str(self.value)
