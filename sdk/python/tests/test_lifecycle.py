"""A sandbox's life: info, list, timeout, pause and resume, suspend and resume."""

from __future__ import annotations

import threading
import time

import pytest

from cove import ConflictError, Sandbox

from .conftest import unique

HANG_GUARD = 300


def test_info_and_list(sandbox: Sandbox, connection: dict[str, str]) -> None:
    info = sandbox.get_info()
    assert info.state == "running"
    assert info.metadata == {"suite": "sdk"}
    assert sandbox.is_running()
    listed = Sandbox.list(metadata={"suite": "sdk"}, **connection)
    assert sandbox.sandbox_id in [s.sandbox_id for s in listed]
    assert Sandbox.list(metadata={"suite": "other"}, **connection) == []
    assert sandbox.sandbox_id in [s.sandbox_id for s in Sandbox.list(state="running", **connection)]


def test_logs_hold_what_reached_the_console(sandbox: Sandbox) -> None:
    marker = unique("console")
    sandbox.commands.run(f"echo {marker} > /dev/console", check=True)
    # The guest's serial port sends the line on its own time and no event
    # says when it arrived: look again until it shows (the guard is for a hang).
    deadline = time.monotonic() + HANG_GUARD
    while marker not in sandbox.logs():
        assert time.monotonic() < deadline, "the line never reached the console log"
        time.sleep(0.2)


def test_set_timeout_moves_the_deadline(sandbox: Sandbox) -> None:
    before = sandbox.get_info().expires_at
    after = sandbox.set_timeout(7200).expires_at
    assert after > before


def test_pause_keeps_processes_and_resume_lets_them_run(sandbox: Sandbox) -> None:
    lock = threading.Lock()
    ticks = 0
    wanted = 1
    reached = threading.Event()

    def on_stdout(text: str) -> None:
        nonlocal ticks
        with lock:
            ticks += text.count("tick")
            if ticks >= wanted:
                reached.set()

    handle = sandbox.commands.run("while true; do echo tick; sleep 0.1; done", background=True, on_stdout=on_stdout)
    assert reached.wait(HANG_GUARD)
    assert sandbox.pause().state == "paused"
    with pytest.raises(ConflictError) as raised:
        sandbox.commands.run("true")
    assert raised.value.status == 409
    assert sandbox.resume().state == "running"
    # The process lived through the pause: it goes on writing.
    with lock:
        wanted = ticks + 2
        reached.clear()
        if ticks >= wanted:
            reached.set()
    assert reached.wait(HANG_GUARD)
    handle.kill()
    assert handle.wait(HANG_GUARD).signal == 9


def test_suspend_to_disk_and_resume(sandbox: Sandbox) -> None:
    sandbox.files.write("/root/before-suspend", "kept")
    pid = sandbox.commands.start(["sleep", "3600"], tag="survivor")
    suspended = sandbox.suspend()
    assert suspended.state == "suspended"
    assert suspended.suspended_at is not None
    assert sandbox.resume().state == "running"
    assert sandbox.files.read("/root/before-suspend") == "kept"
    # Memory came back too: the process is still there.
    assert pid in [p.pid for p in sandbox.commands.list()]
    sandbox.commands.kill(pid)
