"""The unmodified E2B SDK (pinned by scripts/test-e2b-sdk) against Cove."""

import asyncio
import json
import time

import httpx

import pytest
from e2b import (
    AsyncSandbox,
    AuthenticationException,
    CommandExitException,
    NotFoundException,
    PtySize,
    Sandbox,
    SandboxException,
)
from e2b.sandbox.filesystem.filesystem import FileType


def test_commands_run_foreground(sandbox):
    result = sandbox.commands.run("echo hi; echo err >&2")
    assert result.exit_code == 0
    assert result.stdout == "hi\n"
    assert result.stderr == "err\n"


def test_commands_run_failure_raises_with_exit_code(sandbox):
    with pytest.raises(CommandExitException) as raised:
        sandbox.commands.run("echo out; exit 3")
    assert raised.value.exit_code == 3
    assert raised.value.stdout == "out\n"


def test_commands_callbacks_envs_cwd_user(sandbox):
    out, err = [], []
    result = sandbox.commands.run(
        "echo $GREETING; pwd; id -un; echo oops >&2",
        envs={"GREETING": "hello"},
        cwd="/tmp",
        user="root",
        on_stdout=out.append,
        on_stderr=err.append,
    )
    assert result.stdout == "hello\n/tmp\nroot\n"
    assert "".join(out) == result.stdout
    assert "".join(err) == "oops\n"


def test_background_command_list_and_kill(sandbox):
    handle = sandbox.commands.run("sleep 600", background=True)
    assert handle.pid in [p.pid for p in sandbox.commands.list()]
    assert sandbox.commands.kill(handle.pid)
    with pytest.raises(CommandExitException) as raised:
        handle.wait()
    assert raised.value.exit_code == 137
    assert handle.pid not in [p.pid for p in sandbox.commands.list()]
    assert not sandbox.commands.kill(handle.pid)


def test_background_wait_and_connect(sandbox):
    handle = sandbox.commands.run("sleep 2; echo done", background=True)
    handle.disconnect()
    again = sandbox.commands.connect(handle.pid)
    result = again.wait()
    assert result.stdout == "done\n"


def test_stdin(sandbox):
    handle = sandbox.commands.run("head -n 1", background=True, stdin=True)
    sandbox.commands.send_stdin(handle.pid, "line one\n")
    assert handle.wait().stdout == "line one\n"


def test_stdin_stream_and_close(sandbox):
    # StreamInput: the Connect client stream, input in order, then CloseStdin.
    handle = sandbox.commands.run("cat", background=True, stdin=True)
    sandbox.commands.stream_input(handle.pid, ["a\n", b"b\n", "c\n"])
    sandbox.commands.close_stdin(handle.pid)
    assert handle.wait().stdout == "a\nb\nc\n"


def test_command_sees_sandbox_envs_of_create(daemon, sandbox):
    # `sandbox` too: the pages below need two sandboxes.
    sb = Sandbox.create(envs={"FROM_CREATE": "yes"}, metadata={"suite": "e2b"}, timeout=120)
    try:
        assert sb.commands.run("echo $FROM_CREATE").stdout == "yes\n"
        info = sb.get_info()
        assert info.metadata == {"suite": "e2b"}
        assert info.sandbox_id == sb.sandbox_id
        listed = Sandbox.list(query=None).next_items()
        assert sb.sandbox_id in [s.sandbox_id for s in listed]
        from e2b.sandbox.sandbox_api import SandboxQuery

        matching = Sandbox.list(query=SandboxQuery(metadata={"suite": "e2b"})).next_items()
        assert [s.sandbox_id for s in matching] == [sb.sandbox_id]
        # Pages of one: the x-next-token header leads to the next.
        pages = Sandbox.list(limit=1)
        first = pages.next_items()
        assert len(first) == 1 and pages.has_next
        second = pages.next_items()
        assert len(second) == 1 and second[0].sandbox_id != first[0].sandbox_id
        before = info.end_at
        sb.set_timeout(600)
        assert sb.get_info().end_at > before
        assert sb.is_running()
    finally:
        assert sb.kill()
    assert not sb.is_running()
    assert not Sandbox.kill(sb.sandbox_id)
    assert sb.sandbox_id not in [s.sandbox_id for s in Sandbox.list().next_items()]


def test_files(sandbox):
    files = sandbox.files
    info = files.write("/tmp/e2b/a.txt", "alpha")
    assert info.path == "/tmp/e2b/a.txt"
    assert files.read("/tmp/e2b/a.txt") == "alpha"
    assert files.exists("/tmp/e2b/a.txt")
    assert not files.exists("/tmp/e2b/missing")
    stat = files.get_info("/tmp/e2b/a.txt")
    assert stat.type == FileType.FILE and stat.size == 5
    assert files.make_dir("/tmp/e2b/sub")
    assert not files.make_dir("/tmp/e2b/sub")
    names = sorted(entry.name for entry in files.list("/tmp/e2b"))
    assert names == ["a.txt", "sub"]
    moved = files.rename("/tmp/e2b/a.txt", "/tmp/e2b/sub/b.txt")
    assert moved.path == "/tmp/e2b/sub/b.txt"
    assert files.read("/tmp/e2b/sub/b.txt", format="bytes") == b"alpha"
    files.remove("/tmp/e2b")
    assert not files.exists("/tmp/e2b")
    with pytest.raises(NotFoundException):
        files.read("/tmp/e2b/sub/b.txt")


def test_write_files_in_one_multipart_upload(sandbox):
    from e2b.sandbox.filesystem.filesystem import WriteEntry

    written = sandbox.files.write_files(
        [WriteEntry(path="/tmp/many/one.txt", data="1"), WriteEntry(path="/tmp/many/two.txt", data=b"2")]
    )
    assert sorted(w.path for w in written) == ["/tmp/many/one.txt", "/tmp/many/two.txt"]
    assert sandbox.commands.run("cat /tmp/many/one.txt /tmp/many/two.txt").stdout == "12"


def test_large_file_round_trip(sandbox):
    data = bytes(range(256)) * (40 * 1024)  # 10 MiB
    sandbox.files.write("/tmp/big.bin", data)
    assert sandbox.files.read("/tmp/big.bin", format="bytes") == data
    assert sandbox.commands.run("wc -c < /tmp/big.bin").stdout.strip() == str(len(data))


def test_watch_dir(sandbox):
    sandbox.files.make_dir("/tmp/watched")
    handle = sandbox.files.watch_dir("/tmp/watched")
    sandbox.files.write("/tmp/watched/new.txt", "x")
    events = []
    deadline = time.monotonic() + 30
    while not any(e.name == "new.txt" for e in events) and time.monotonic() < deadline:
        events += handle.get_new_events()
    handle.stop()
    assert any(e.name == "new.txt" for e in events)


def test_pty(sandbox):
    output = bytearray()
    terminal = sandbox.pty.create(size=PtySize(rows=24, cols=80))
    sandbox.pty.resize(terminal.pid, PtySize(rows=30, cols=100))
    sandbox.pty.send_stdin(terminal.pid, b"stty size; exit 0\n")
    result = terminal.wait(on_pty=output.extend)
    assert result.exit_code == 0
    assert b"30 100" in bytes(output)


def test_pty_kill(sandbox):
    terminal = sandbox.pty.create(size=PtySize(rows=24, cols=80))
    assert sandbox.pty.kill(terminal.pid)
    with pytest.raises(CommandExitException):
        terminal.wait()


def test_metrics_and_logs(sandbox, daemon):
    metrics = sandbox.get_metrics()
    assert metrics and metrics[-1].mem_total > 0
    # Many sandboxes' metrics at once, and the logs (the guest's console),
    # which this SDK does not call: through the control plane directly.
    headers = {"X-API-KEY": daemon["key"]}
    many = httpx.get(
        daemon["url"] + "/sandboxes/metrics", params={"sandbox_ids": sandbox.sandbox_id}, headers=headers, timeout=30
    )
    assert many.status_code == 200
    assert many.json()["sandboxes"][sandbox.sandbox_id]["memTotal"] > 0
    logs = httpx.get(daemon["url"] + f"/v2/sandboxes/{sandbox.sandbox_id}/logs", headers=headers, timeout=30)
    assert logs.status_code == 200 and logs.json()["logs"]


def envd(daemon, sandbox, path, body, content_type="application/json", token=None):
    headers = {
        "E2b-Sandbox-Id": sandbox.sandbox_id,
        "E2b-Sandbox-Port": "49983",
        "X-Access-Token": token or sandbox._envd_access_token,
        "Content-Type": content_type,
        "Connect-Protocol-Version": "1",
    }
    return httpx.post(daemon["url"] + path, headers=headers, content=body, timeout=60)


def test_wrong_access_token_is_refused(sandbox, daemon):
    answer = envd(daemon, sandbox, "/process.Process/List", b"{}", token="wrong")
    assert answer.status_code == 401
    assert answer.json()["code"] == 401
    other = Sandbox.connect(sandbox.sandbox_id)
    assert other.commands.run("echo ok").stdout == "ok\n"


def test_connect_binary_protobuf_and_bad_envelopes(sandbox, daemon):
    # List in binary protobuf: an empty request, a ListResponse back.
    answer = envd(daemon, sandbox, "/process.Process/List", b"", "application/proto")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/proto"
    # A stream whose envelope has unknown flags: 200, then the end of the
    # stream carrying invalid_argument.
    answer = envd(daemon, sandbox, "/process.Process/Start", b"\x80\x00\x00\x00\x00", "application/connect+json")
    assert answer.status_code == 200
    end = answer.content
    assert end[0] == 2
    assert json.loads(end[5:])["error"]["code"] == "invalid_argument"
    # An envelope longer than the body: truncated.
    answer = envd(daemon, sandbox, "/process.Process/Start", b"\x00\x00\x00\x00\x10{}", "application/connect+json")
    assert json.loads(answer.content[5:])["error"]["code"] == "invalid_argument"
    # Over the message limit (16 MiB): resource_exhausted, before reading it.
    answer = envd(daemon, sandbox, "/process.Process/Start", b"\x00\x7f\x00\x00\x00", "application/connect+json")
    assert json.loads(answer.content[5:])["error"]["code"] == "resource_exhausted"
    # Addressed by host name instead of headers: {port}-{id}.{domain}, the
    # domain of create's answer (what get_host(port) builds on).
    host = sandbox.get_host(49983)
    assert host.startswith(f"49983-{sandbox.sandbox_id}.localhost:")
    answer = httpx.get(
        daemon["url"] + "/health",
        headers={"Host": host, "X-Access-Token": sandbox._envd_access_token},
        timeout=30,
    )
    assert answer.status_code == 204
    # A sandbox's own port is not forwarded yet: a 502 that says so.
    answer = httpx.get(daemon["url"] + "/", headers={"Host": sandbox.get_host(8080)}, timeout=30)
    assert answer.status_code == 502 and "8080" in answer.json()["message"]
    # An unknown process: not_found, which the SDK's kill reads as False.
    answer = envd(daemon, sandbox, "/process.Process/SendSignal", b'{"process":{"pid":999999},"signal":"SIGNAL_SIGKILL"}')
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"


def test_unknown_sandbox_and_bad_key(daemon, monkeypatch):
    with pytest.raises(NotFoundException):
        Sandbox.connect("sb-000000000000")
    monkeypatch.setenv("E2B_API_KEY", "not-a-key")
    with pytest.raises(AuthenticationException):
        Sandbox.list().next_items()


def test_async_sandbox(sandbox):
    async def main():
        sb = await AsyncSandbox.connect(sandbox.sandbox_id)
        result = await sb.commands.run("echo async")
        await sb.files.write("/tmp/async.txt", "from async")
        return result.stdout, await sb.files.read("/tmp/async.txt")

    assert asyncio.run(main()) == ("async\n", "from async")


def test_async_watch_dir_stream(sandbox):
    async def main():
        sb = await AsyncSandbox.connect(sandbox.sandbox_id)
        await sb.files.make_dir("/tmp/awatched")
        seen = asyncio.Event()
        names = []

        def on_event(event):
            names.append(event.name)
            if event.name == "a.txt":
                seen.set()

        handle = await sb.files.watch_dir("/tmp/awatched", on_event)
        await sb.files.write("/tmp/awatched/a.txt", "x")
        await asyncio.wait_for(seen.wait(), 30)
        await handle.stop()
        return names

    assert "a.txt" in asyncio.run(main())


def test_pause_and_connect(sandbox):
    sandbox.files.write("/tmp/kept.txt", "survives")
    assert sandbox.pause()
    assert Sandbox.get_info(sandbox.sandbox_id).state.value == "paused"
    assert not sandbox.pause()  # already paused: 409, which the SDK reads as False
    # envd of a paused sandbox: an error of the SDK's own, not a decoding one.
    with pytest.raises(SandboxException, match="paused"):
        sandbox.commands.run("true")
    resumed = Sandbox.connect(sandbox.sandbox_id, timeout=900)
    assert resumed.files.read("/tmp/kept.txt") == "survives"
    assert resumed.commands.run("echo back").stdout == "back\n"


def test_snapshot_then_create_from_it(sandbox):
    sandbox.files.write("/tmp/in-snapshot.txt", "from the snapshot")
    snapshot = sandbox.create_snapshot()
    assert snapshot.snapshot_id in [s.snapshot_id for s in Sandbox.list_snapshots().next_items()]
    clone = Sandbox.create(template=snapshot.snapshot_id, timeout=120)
    try:
        assert clone.files.read("/tmp/in-snapshot.txt") == "from the snapshot"
    finally:
        clone.kill()
    # The source carries on.
    assert sandbox.commands.run("echo still").stdout == "still\n"


def test_auto_pause_at_timeout_then_connect(daemon):
    sb = Sandbox.create(timeout=10, lifecycle={"on_timeout": "pause"})
    try:
        sb.files.write("/tmp/before-pause.txt", "kept")
        # Paused (Cove's suspend) at its timeout instead of ended. Only the
        # API can tell: a bounded poll of its state.
        deadline = time.monotonic() + 120
        while Sandbox.get_info(sb.sandbox_id).state.value != "paused":
            assert time.monotonic() < deadline, "not paused at its timeout"
            time.sleep(1)
        resumed = Sandbox.connect(sb.sandbox_id, timeout=120)
        assert resumed.files.read("/tmp/before-pause.txt") == "kept"
        assert resumed.get_info().state.value == "running"
    finally:
        Sandbox.kill(sb.sandbox_id)
