"""A real `cove serve` for the SDK's tests: a fresh data directory and key,
a port the daemon picks, stopped and removed at the end of the session.

Where things are comes from the environment (scripts/test-python-sdk sets
it), else from the repository's build: COVE_BIN (.build/debug/cove),
COVE_HOME (.build/test-home, with the kernel and the busybox image the
Swift tests prepare) and COVE_AGENT (.build/static/cove-agent).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cove import Sandbox, Template

ROOT = Path(__file__).resolve().parents[3]
IMAGE = os.environ.get("COVE_TEST_IMAGE", "busybox")


@dataclass
class Daemon:
    url: str
    key: str
    data: Path
    process: subprocess.Popen[str]

    @property
    def connection(self) -> dict[str, Any]:
        """The arguments every SDK call takes to reach this daemon."""
        return {"api_url": self.url, "api_key": self.key}


def run_directory(data: Path) -> Path:
    """Where the daemon's VMs live (the daemon's rule: a hash of the data path)."""
    tag = hashlib.sha256(str(data).encode()).hexdigest()[:8]
    return Path(f"/tmp/cove-{os.getuid()}-serve-{tag}")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("COVE_HOME", str(ROOT / ".build/test-home"))
    env.setdefault("COVE_AGENT", str(ROOT / ".build/static/cove-agent"))
    # The SDK under test must not pick up a key or URL from the developer's shell.
    for name in ("COVE_API_KEY", "COVE_API_URL", "COVE_URL"):
        env.pop(name, None)
    return env


def _qemu_processes(run_directory: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"{run_directory}/".encode() in cmdline:
            pids.append(int(entry.name))
    return pids


@pytest.fixture(scope="session")
def daemon() -> Iterator[Daemon]:
    binary = os.environ.get("COVE_BIN", str(ROOT / ".build/debug/cove"))
    env = _environment()
    data = Path(tempfile.mkdtemp(prefix="cove-sdk-test-")).resolve()
    process: subprocess.Popen[str] | None = None
    try:
        keys = subprocess.run(
            [binary, "keys", "create", "--data", str(data)], env=env, check=True, capture_output=True, text=True
        )
        key = keys.stdout.strip().splitlines()[-1]
        process = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data", str(data), "--default-image", IMAGE],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        # The daemon prints its address once it listens; EOF means it died.
        line = process.stdout.readline()
        if "http://" not in line:
            process.wait()
            pytest.fail(f"cove serve did not start (exit {process.returncode}): {line!r}")
        url = line[line.index("http://") :].strip()
        daemon = Daemon(url=url, key=key, data=data, process=process)
        yield daemon
        # SIGTERM stops the daemon's sandboxes first; nothing of them may stay.
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=300) == 0
        assert _qemu_processes(run_directory(data)) == [], "QEMU processes outlived the daemon"
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(run_directory(data), ignore_errors=True)


@pytest.fixture(scope="session")
def connection(daemon: Daemon) -> dict[str, Any]:
    return daemon.connection


@pytest.fixture(scope="session")
def sandbox(connection: dict[str, Any]) -> Iterator[Sandbox]:
    """One sandbox that most tests share, so that the run boots few VMs."""
    with Sandbox.create(image=IMAGE, timeout=3600, metadata={"suite": "sdk"}, **connection) as sb:
        yield sb


@pytest.fixture(scope="session")
def template(sandbox: Sandbox, connection: dict[str, Any]) -> Iterator[str]:
    """A template of the shared sandbox, with a marker file written before it."""
    sandbox.files.write("/root/template-marker", "from the template")
    name = f"sdk-{uuid.uuid4().hex[:8]}"
    sandbox.create_template(name)
    yield name
    Template.delete(name, **connection)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
