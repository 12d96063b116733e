"""A real `cove serve` for the MCP tests: a fresh data directory and key, a
port the daemon picks, stopped at the end of the session with nothing left.

COVE_BIN (.build/debug/cove), COVE_HOME (.build/test-home, holding the
kernel and the busybox image) and COVE_AGENT (.build/static/cove-agent) come
from the environment that scripts/test-mcp sets.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Daemon:
    url: str
    mcp_url: str
    key: str
    binary: str
    environment: dict[str, str]


@pytest.fixture(scope="session")
def daemon() -> Iterator[Daemon]:
    binary = os.environ.get("COVE_BIN", str(ROOT / ".build/debug/cove"))
    env = dict(os.environ)
    env.setdefault("COVE_HOME", str(ROOT / ".build/test-home"))
    env.setdefault("COVE_AGENT", str(ROOT / ".build/static/cove-agent"))
    for name in ("COVE_API_KEY", "COVE_URL"):
        env.pop(name, None)
    data = Path(tempfile.mkdtemp(prefix="cove-mcp-test-")).resolve()
    process: subprocess.Popen[str] | None = None
    try:
        keys = subprocess.run(
            [binary, "keys", "create", "--data", str(data)], env=env, check=True, capture_output=True, text=True
        )
        key = keys.stdout.strip().splitlines()[-1]
        process = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--mcp-listen", "127.0.0.1:0"]
            + ["--data", str(data), "--default-image", "busybox"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        # The API's and MCP's addresses, in either order, once each listens; EOF if it died.
        urls: dict[str, str] = {}
        while len(urls) < 2:
            line = process.stdout.readline()
            if "http://" not in line:
                process.wait()
                pytest.fail(f"cove serve did not start (exit {process.returncode}): {line!r}")
            urls["mcp" if "MCP on" in line else "api"] = line[line.index("http://") :].strip()
        yield Daemon(url=urls["api"], mcp_url=urls["mcp"], key=key, binary=binary, environment=env)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=300) == 0
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(data, ignore_errors=True)
