"""`cove mcp` driven by the Model Context Protocol's own Python client (the
`mcp` package from PyPI) over standard input and output, against a real
daemon and real busybox microVMs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

from conftest import Daemon

TOOLS = {"create_sandbox", "run_command", "read_file", "write_file", "list_files", "list_sandboxes", "kill_sandbox"}


def with_session(daemon: Daemon, key: str, body: Callable[[ClientSession], Awaitable[None]]) -> None:
    """Starts `cove mcp` as an AI tool would, and runs `body` on an initialized session."""
    env = dict(daemon.environment, COVE_URL=daemon.url, COVE_API_KEY=key)
    server = StdioServerParameters(command=daemon.binary, args=["mcp"], env=env)

    async def run() -> None:
        async with stdio_client(server) as (read, write):
            async with ClientSession(read, write) as session:
                info = await session.initialize()
                assert info.server_info.name == "cove"
                await body(session)

    asyncio.run(run())


async def call(session: ClientSession, tool: str, **arguments: Any) -> tuple[str, bool]:
    """A tool's answer as text, and whether it is an error."""
    result = await session.call_tool(tool, arguments)
    text = "\n".join(part.text for part in result.content if part.type == "text")
    return text, bool(result.is_error)


def test_a_sandbox_through_the_tools(daemon: Daemon) -> None:
    async def body(session: ClientSession) -> None:
        listed = await session.list_tools()
        assert {tool.name for tool in listed.tools} == TOOLS
        schema = next(tool for tool in listed.tools if tool.name == "run_command").input_schema
        assert schema["required"] == ["sandbox_id", "command"]

        text, error = await call(session, "create_sandbox", image="busybox", timeout=600, env={"GREETING": "hi"})
        assert not error, text
        match = re.search(r"sb-[0-9a-f]+", text)
        assert match, text
        sandbox = match.group(0)

        text, error = await call(
            session, "run_command", sandbox_id=sandbox, command="echo $GREETING from $(pwd); echo oops >&2; exit 3", cwd="/tmp"
        )
        assert not error, text
        assert "exit code 3" in text and "hi from /tmp" in text and "oops" in text

        text, error = await call(session, "write_file", sandbox_id=sandbox, path="/tmp/mcp/notes.txt", content="héllo\n")
        assert not error, text
        text, error = await call(session, "read_file", sandbox_id=sandbox, path="/tmp/mcp/notes.txt")
        assert (text, error) == ("héllo\n", False)
        text, error = await call(session, "list_files", sandbox_id=sandbox, path="/tmp/mcp")
        assert not error and "notes.txt" in text, text
        text, error = await call(session, "list_sandboxes")
        assert not error and sandbox in text, text

        # Bad input is an error answer in words, and the session goes on.
        text, error = await call(session, "run_command", sandbox_id=sandbox)
        assert error and "command is required" in text, text
        text, error = await call(session, "run_command", sandbox_id=sandbox, command="true", timeout="soon")
        assert error and "timeout must be an integer" in text, text
        text, error = await call(session, "read_file", sandbox_id=sandbox, path="/no/such/file")
        assert error and "no/such/file" in text, text
        text, error = await call(session, "read_file", sandbox_id=sandbox, path="/tmp/../../etc/../..")
        assert error, text
        text, error = await call(session, "run_command", sandbox_id=sandbox, command="head -c 64 /dev/urandom > /tmp/bin")
        assert not error, text
        text, error = await call(session, "read_file", sandbox_id=sandbox, path="/tmp/bin")
        assert error and "not UTF-8" in text, text
        text, error = await call(session, "no_such_tool")
        assert error and "no tool named no_such_tool" in text, text

        text, error = await call(session, "kill_sandbox", sandbox_id=sandbox)
        assert not error, text
        text, error = await call(session, "list_sandboxes")
        assert sandbox not in text, text
        text, error = await call(session, "run_command", sandbox_id=sandbox, command="true")
        assert error and sandbox in text, text

    with_session(daemon, daemon.key, body)


def test_a_wrong_key_is_refused_by_the_daemon(daemon: Daemon) -> None:
    async def body(session: ClientSession) -> None:
        text, error = await call(session, "list_sandboxes")
        assert error and "401" in text, text
        text, error = await call(session, "create_sandbox", image="busybox")
        assert error and "401" in text, text

    with_session(daemon, "cove_not-a-key", body)


def with_http_session(daemon: Daemon, key: str, body: Callable[[ClientSession], Awaitable[None]]) -> None:
    """Talks to the daemon's MCP listener (cove serve --mcp-listen, POST /mcp) with `key`."""

    async def run() -> None:
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
        async with client:
            async with streamable_http_client(daemon.mcp_url, http_client=client) as streams:
                async with ClientSession(streams[0], streams[1]) as session:
                    info = await session.initialize()
                    assert info.server_info.name == "cove"
                    await body(session)

    asyncio.run(run())


def test_the_daemon_serves_mcp_over_http_with_the_callers_key(daemon: Daemon) -> None:
    async def body(session: ClientSession) -> None:
        listed = await session.list_tools()
        assert {tool.name for tool in listed.tools} == TOOLS
        text, error = await call(session, "create_sandbox", image="busybox", timeout=600)
        assert not error, text
        match = re.search(r"sb-[0-9a-f]+", text)
        assert match, text
        sandbox = match.group(0)
        text, error = await call(session, "run_command", sandbox_id=sandbox, command="echo over-http")
        assert not error and "exit code 0" in text and "over-http" in text, text
        text, error = await call(session, "kill_sandbox", sandbox_id=sandbox)
        assert not error, text

    with_http_session(daemon, daemon.key, body)


def test_the_http_endpoint_refuses_a_request_without_a_valid_key(daemon: Daemon) -> None:
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    for extra in ({}, {"Authorization": "Bearer cove_not-a-key"}):
        answer = httpx2.post(daemon.mcp_url, json=request, headers=headers | extra, timeout=60)
        assert answer.status_code == 401, answer.text
