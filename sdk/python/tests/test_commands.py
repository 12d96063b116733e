"""Commands: run and wait, live output, background handles, processes."""

from __future__ import annotations

import signal
import threading

import pytest

from cove import CommandExitError, NotFoundError, Sandbox

# A guard against a hang, not a speed expectation: the machine may be slow.
HANG_GUARD = 300


def test_run_returns_output_and_exit_code(sandbox: Sandbox) -> None:
    result = sandbox.commands.run("echo hi; echo oops >&2; exit 3")
    assert (result.stdout, result.stderr, result.exit_code, result.signal) == ("hi\n", "oops\n", 3, None)


def test_run_takes_argv_env_cwd_and_stdin(sandbox: Sandbox) -> None:
    result = sandbox.commands.run(
        ["sh", "-c", 'echo "$GREETING from $(pwd)"; cat'],
        envs={"GREETING": "hello"},
        cwd="/tmp",
        stdin="from stdin\n",
    )
    assert result.stdout == "hello from /tmp\nfrom stdin\n"
    assert result.exit_code == 0


def test_command_timeout_kills_it_in_the_sandbox(sandbox: Sandbox) -> None:
    result = sandbox.commands.run("echo started; sleep 600", timeout=1)
    assert result.timed_out
    assert result.stdout == "started\n"
    assert result.exit_code != 0


def test_run_with_check_raises_on_failure(sandbox: Sandbox) -> None:
    with pytest.raises(CommandExitError) as raised:
        sandbox.commands.run("echo broken >&2; exit 7", check=True)
    assert raised.value.result.exit_code == 7
    assert raised.value.result.stderr == "broken\n"


def test_callbacks_get_output_as_it_comes(sandbox: Sandbox) -> None:
    stdout: list[str] = []
    stderr: list[str] = []
    result = sandbox.commands.run(
        "for i in 1 2 3; do echo out$i; echo err$i >&2; done", on_stdout=stdout.append, on_stderr=stderr.append
    )
    assert "".join(stdout) == result.stdout == "out1\nout2\nout3\n"
    assert "".join(stderr) == result.stderr == "err1\nerr2\nerr3\n"


def test_output_split_inside_a_character_is_decoded_whole(sandbox: Sandbox) -> None:
    # "é" is two bytes; printf writes them in two writes, so they may arrive
    # in two events: the callback must never see half a character.
    pieces: list[str] = []
    result = sandbox.commands.run(r"printf '\303'; sleep 0.2; printf '\251\n'", on_stdout=pieces.append)
    assert result.stdout == "é\n"
    assert "".join(pieces) == "é\n"
    assert all("\ufffd" not in piece for piece in pieces)


def test_background_command_streams_to_callbacks_until_killed(sandbox: Sandbox) -> None:
    seen = threading.Event()
    lines: list[str] = []

    def on_stdout(text: str) -> None:
        lines.append(text)
        if "tick" in "".join(lines):
            seen.set()

    handle = sandbox.commands.run("while true; do echo tick; sleep 0.2; done", background=True, on_stdout=on_stdout)
    assert handle.pid > 0
    assert seen.wait(HANG_GUARD), "no output reached the callback"
    assert handle.exit_code is None
    assert handle.pid in [p.pid for p in sandbox.commands.list()]
    handle.kill()
    result = handle.wait(HANG_GUARD)
    assert (result.exit_code, result.signal) == (128 + signal.SIGKILL, signal.SIGKILL)
    assert result.stdout.startswith("tick\n")


def test_background_command_ends_by_itself_with_its_status(sandbox: Sandbox) -> None:
    handle = sandbox.commands.run("read line; echo got $line; exit 4", background=True, stdin="ping\n")
    result = handle.wait(HANG_GUARD)
    assert (result.stdout, result.exit_code, result.pid) == ("got ping\n", 4, handle.pid)


def test_started_process_can_be_attached_fed_and_signalled(sandbox: Sandbox) -> None:
    pid = sandbox.commands.start("while read line; do echo echo:$line; done; echo closed", tag="echoer")
    assert any(p.pid == pid and p.tag == "echoer" and p.background for p in sandbox.commands.list())
    echoed = threading.Event()
    handle = sandbox.commands.connect(pid, on_stdout=lambda text: echoed.set() if "echo:one" in text else None)
    # Attached: what it writes from now on reaches this handle. Retry the
    # line until it does, since the attach and the write may cross.
    while not echoed.is_set():
        sandbox.commands.send_stdin(pid, "one\n")
        echoed.wait(1)
    sandbox.commands.close_stdin(pid)
    result = handle.wait(HANG_GUARD)
    assert result.exit_code == 0
    assert result.stdout.endswith("closed\n")


def test_signal_ends_a_started_process(sandbox: Sandbox) -> None:
    pid = sandbox.commands.start(["sleep", "600"])
    handle = sandbox.commands.connect(pid)
    sandbox.commands.send_signal(pid, signal.SIGTERM)
    result = handle.wait(HANG_GUARD)
    assert (result.exit_code, result.signal) == (128 + signal.SIGTERM, signal.SIGTERM)


def test_disconnect_kills_a_run_command_and_leaves_an_attached_one(sandbox: Sandbox) -> None:
    owned = sandbox.commands.run(["sleep", "600"], background=True)
    owned.disconnect()
    assert owned.wait(HANG_GUARD).signal == signal.SIGKILL
    pid = sandbox.commands.start(["sleep", "600"])
    attached = sandbox.commands.connect(pid)
    attached.disconnect()
    assert pid in [p.pid for p in sandbox.commands.list()]
    sandbox.commands.kill(pid)


def test_attaching_to_no_process_raises_not_found(sandbox: Sandbox) -> None:
    with pytest.raises(NotFoundError) as raised:
        sandbox.commands.connect(999_999)
    assert raised.value.status == 404
    assert raised.value.code == "not_found"


def test_unknown_sandbox_raises_not_found(connection: dict[str, str]) -> None:
    with pytest.raises(NotFoundError) as raised:
        Sandbox.connect("sb-does-not-exist", **connection)
    assert (raised.value.status, raised.value.code) == (404, "not_found")
