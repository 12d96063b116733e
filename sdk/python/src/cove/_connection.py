"""Where the daemon is, the key, and the generated client that talks to it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ._api.client import AuthenticatedClient
from ._api.models.error import Error
from ._api.types import Response
from .errors import AuthenticationError, CoveError, error_from_body

DEFAULT_API_URL = "http://127.0.0.1:8080"
# Creating or resuming a sandbox waits for its turn in the daemon's boot
# queue and then for a boot the daemon bounds by 300 s itself: on a busy host
# that is minutes. This only guards against a daemon that stopped answering;
# pass request_timeout=None for no limit.
DEFAULT_REQUEST_TIMEOUT = 600.0

_T = TypeVar("_T")


@dataclass(frozen=True)
class ConnectionConfig:
    """The daemon's URL, the API key and how long one request may take.

    Each comes from the argument, else the environment (``COVE_API_URL``,
    or the CLI's ``COVE_URL``; ``COVE_API_KEY``), else the CLI's config file
    (``~/.config/cove/config.json``: ``{"url": ..., "key": ...}``); the URL
    defaults to ``http://127.0.0.1:8080``.
    """

    api_url: str
    api_key: str
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT

    @classmethod
    def resolve(
        cls,
        api_key: str | None = None,
        api_url: str | None = None,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
    ) -> ConnectionConfig:
        file = _config_file()
        url = (
            api_url
            or os.environ.get("COVE_API_URL")
            or os.environ.get("COVE_URL")
            or file.get("url")
            or DEFAULT_API_URL
        )
        key = api_key or os.environ.get("COVE_API_KEY") or file.get("key")
        if not key:
            raise AuthenticationError(
                "unauthorized",
                "no API key: pass api_key= or set COVE_API_KEY (`cove keys create` makes one)",
            )
        return cls(api_url=url.rstrip("/"), api_key=key, request_timeout=request_timeout)

    def client(self) -> AuthenticatedClient:
        """A generated client for blocking calls; error answers raise."""
        return AuthenticatedClient(
            base_url=self.api_url,
            token=self.api_key,
            timeout=httpx.Timeout(self.request_timeout),
            httpx_args={"event_hooks": {"response": [_raise_for_status]}},
        )

    def async_client(self) -> AuthenticatedClient:
        """A generated client for async calls; error answers raise."""
        return AuthenticatedClient(
            base_url=self.api_url,
            token=self.api_key,
            timeout=httpx.Timeout(self.request_timeout),
            httpx_args={"event_hooks": {"response": [_raise_for_status_async]}},
        )

    @property
    def stream_timeout(self) -> httpx.Timeout:
        """For event streams: a command may be quiet for as long as it likes."""
        return httpx.Timeout(self.request_timeout, read=None)


def _config_file() -> dict[str, str]:
    path = os.environ.get("COVE_CONFIG") or str(
        Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "cove" / "config.json"
    )
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


# Every answer passes here before the generated code parses it, streamed
# ones too: an error status becomes the typed exception, so the generated
# layer only ever sees successes.
def _raise_for_status(response: httpx.Response) -> None:
    if response.status_code >= 400:
        response.read()
        raise error_from_body(response.status_code, response.content)


async def _raise_for_status_async(response: httpx.Response) -> None:
    if response.status_code >= 400:
        await response.aread()
        raise error_from_body(response.status_code, response.content)


def parsed(response: Response[_T | Error]) -> _T:
    """The parsed body of a successful answer from the generated layer."""
    value = response.parsed
    if value is None or isinstance(value, Error):
        # The hook raised for every error status, so this is an answer the
        # document does not describe.
        raise CoveError(
            "unexpected_response",
            f"unexpected answer {int(response.status_code)}: {response.content[:200]!r}",
            int(response.status_code),
        )
    return value


def request_kwargs(kwargs: dict[str, Any], timeout: httpx.Timeout) -> dict[str, Any]:
    """A generated endpoint's request, for sending as a stream."""
    return {**kwargs, "timeout": timeout}
