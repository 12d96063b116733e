from enum import StrEnum


class ListSandboxesState(StrEnum):
    ERROR = "error"
    PAUSED = "paused"
    QUEUED = "queued"
    RUNNING = "running"
    SNAPSHOTTING = "snapshotting"
    STARTING = "starting"
    STOPPED = "stopped"
    STOPPING = "stopping"
    SUSPENDED = "suspended"

    def __str__(self) -> str:
        return str(self.value)
