"""Starts a real `cove serve --e2b-listen` for the E2B SDK's tests and
points the unmodified SDK at it with E2B_API_URL, E2B_SANDBOX_URL and
E2B_API_KEY. Run by scripts/test-e2b-sdk, which sets COVE_BIN, COVE_HOME and
COVE_AGENT."""

import os
import re
import shutil
import subprocess
import tempfile
import time
from typing import Iterator

import pytest

COVE = os.environ.get("COVE_BIN", ".build/debug/cove")
# E2B's commands run `/bin/bash -l -c CMD`: the image needs bash.
IMAGE = os.environ.get("COVE_E2B_IMAGE", "debian")


@pytest.fixture(scope="session")
def daemon() -> Iterator[dict]:
    data = tempfile.mkdtemp(prefix="cove-e2b-")
    created = subprocess.run(
        [COVE, "keys", "create", "--data", data], check=True, capture_output=True, text=True
    )
    key = created.stdout.strip().splitlines()[-1]
    log = open(os.path.join(data, "serve.log"), "w+")
    process = subprocess.Popen(
        [
            COVE, "serve", "--listen", "127.0.0.1:0", "--data", data, "--e2b-listen", "127.0.0.1:0",
            "--default-image", IMAGE, "--max-sandboxes", "4",
        ],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )
    e2b_url = None
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while e2b_url is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        found = re.search(r"E2B API on (http://\S+)", line)
        if found:
            e2b_url = found.group(1)
    if e2b_url is None:
        process.kill()
        log.seek(0)
        pytest.fail(f"cove serve did not start its E2B listener: {log.read()[-3000:]}")
    os.environ["E2B_API_URL"] = e2b_url
    os.environ["E2B_SANDBOX_URL"] = e2b_url
    os.environ["E2B_API_KEY"] = key
    try:
        yield {"url": e2b_url, "key": key, "data": data}
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        # The store, and the templates that snapshots made (each holds its
        # guest's memory); keep them with COVE_E2B_KEEP_DATA=1.
        if not os.environ.get("COVE_E2B_KEEP_DATA"):
            shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def sandbox(daemon):
    """One sandbox for most tests: boots are slow under emulation."""
    from e2b import Sandbox

    started = time.monotonic()
    sb = Sandbox.create(timeout=900)
    first = sb.commands.run("true")
    elapsed = time.monotonic() - started
    assert first.exit_code == 0
    print(f"\nE2B SDK: Sandbox.create to the first command's end: {elapsed:.2f} s")
    yield sb
    sb.kill()
