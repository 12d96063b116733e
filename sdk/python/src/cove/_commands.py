"""What the sync and async command APIs share: the decoding of a command's
Server-Sent Events, and the output gathered."""

from __future__ import annotations

import base64
import codecs
import json
from dataclasses import dataclass

from ._api.models.exit_status import ExitStatus
from ._api.models.output_chunk import OutputChunk
from ._api.models.started import Started as ApiStarted
from .errors import CoveError, error_for
from .models import CommandResult


@dataclass(frozen=True)
class Started:
    pid: int


@dataclass(frozen=True)
class Output:
    stream: str  # "stdout" or "stderr"
    data: bytes


@dataclass(frozen=True)
class Exited:
    exit_code: int
    signal: int | None
    timed_out: bool


Event = Started | Output | Exited


def decode_event(name: str, data: str) -> Event | None:
    """One Server-Sent Event of a command (openapi.yaml's CommandEvent), its
    data read by the generated models; None for an event this SDK does not
    know (a newer daemon's). An ``error`` event is raised as its exception."""
    fields = json.loads(data) if data else {}
    if name == "started":
        return Started(pid=ApiStarted.from_dict(fields).pid)
    if name in ("stdout", "stderr"):
        return Output(stream=name, data=base64.b64decode(OutputChunk.from_dict(fields).data))
    if name == "exit":
        status = ExitStatus.from_dict(fields)
        signal = status.signal if isinstance(status.signal, int) else None
        return Exited(exit_code=status.exit_code, signal=signal, timed_out=status.timed_out)
    if name == "error":
        # Read by hand: the generated ErrorDetail refuses a code it does not
        # list, and a newer daemon's new code must still raise as an error.
        raise error_for(None, str(fields.get("code", "")), str(fields.get("message", "")))
    return None


class Collector:
    """A command's output so far, as text: each stream is decoded as UTF-8
    across chunk boundaries (bytes that are not UTF-8 become U+FFFD)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self._decoders = {
            "stdout": codecs.getincrementaldecoder("utf-8")(errors="replace"),
            "stderr": codecs.getincrementaldecoder("utf-8")(errors="replace"),
        }
        self._text: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.exited: Exited | None = None

    def add(self, output: Output) -> str:
        """Keeps the chunk and returns its text (possibly empty)."""
        text = self._decoders[output.stream].decode(output.data)
        if text:
            self._text[output.stream].append(text)
        return text

    def finish(self) -> dict[str, str]:
        """Flushes the decoders; the text each still held."""
        rest = {}
        for stream, decoder in self._decoders.items():
            text = decoder.decode(b"", final=True)
            if text:
                self._text[stream].append(text)
                rest[stream] = text
        return rest

    @property
    def stdout(self) -> str:
        return "".join(self._text["stdout"])

    @property
    def stderr(self) -> str:
        return "".join(self._text["stderr"])

    def result(self) -> CommandResult:
        if self.exited is None:
            raise CoveError("stream_ended", "the command's stream ended without an exit status")
        return CommandResult(
            stdout=self.stdout,
            stderr=self.stderr,
            exit_code=self.exited.exit_code,
            signal=self.exited.signal,
            timed_out=self.exited.timed_out,
            pid=self.pid,
        )
