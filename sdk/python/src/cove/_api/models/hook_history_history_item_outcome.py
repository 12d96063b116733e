from enum import StrEnum


class HookHistoryHistoryItemOutcome(StrEnum):
    ALREADY_DONE = "already_done"
    DONE = "done"
    FAILED = "failed"
    NOT_READY = "not_ready"
    REFUSED = "refused"

    def __str__(self) -> str:
        return str(self.value)
