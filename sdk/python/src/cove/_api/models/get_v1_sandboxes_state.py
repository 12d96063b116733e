from enum import StrEnum


class GetV1SandboxesState(StrEnum):
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
