"""The official MCP Python SDK's OAuth client against highlevel-mcp (driven by oauth_python.rs).

Usage: oauth_client.py MCP_URL REDIRECT_URI [CALLS_JSON]

Prints {"authorize": URL} when the SDK wants the browser opened, then reads the callback URL
(after consent) from stdin, and finally prints {"tools": N, "is_error": bool, "text": "..."} after
listing tools and calling locations_get-location.

With CALLS_JSON (a list of [tool, arguments]) it makes those calls instead and prints
{"tools": N, "results": [{"is_error": bool, "text": "..."}, ...]}. An argument value
"$hit:PREFIX" stands for the first id starting with PREFIX among the previous call's `results`
(a `search` answer), so a `fetch` can read what a `search` found.
"""

import asyncio
import json
import sys
from urllib.parse import parse_qs, urlparse

import httpx2
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import (
    AuthorizationCodeResult,
    OAuthClientInformationFull,
    OAuthClientMetadata,
    OAuthToken,
)


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


def emit(obj: dict) -> None:
    print(json.dumps(obj), flush=True)


def substitute(args: dict, previous: str) -> dict:
    out = {}
    for key, value in args.items():
        if isinstance(value, str) and value.startswith("$hit:"):
            prefix = value[len("$hit:"):]
            hits = json.loads(previous).get("results", []) if previous else []
            value = next((h["id"] for h in hits if h["id"].startswith(prefix)), value)
        out[key] = value
    return out


async def main(url: str, redirect_uri: str, calls: list | None) -> None:
    async def redirect_handler(authorize_url: str) -> None:
        emit({"authorize": authorize_url})

    async def callback_handler() -> AuthorizationCodeResult:
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        query = parse_qs(urlparse(line.strip()).query)
        return AuthorizationCodeResult(
            code=query["code"][0],
            state=query.get("state", [None])[0],
            iss=query.get("iss", [None])[0],
        )

    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="MCP Python SDK test",
            redirect_uris=[redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=MemoryStorage(),
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = await session.list_tools()
                if calls is not None:
                    results, previous = [], ""
                    for tool, args in calls:
                        r = await session.call_tool(tool, substitute(args, previous))
                        previous = " ".join(getattr(c, "text", "") for c in r.content)
                        results.append({"is_error": bool(r.is_error), "text": previous})
                    emit({"tools": len(tools.tools), "results": results})
                    return
                result = await session.call_tool("locations_get-location", {})
                text = " ".join(getattr(c, "text", "") for c in result.content)
                emit({"tools": len(tools.tools), "is_error": bool(result.is_error), "text": text})


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]) if len(sys.argv) > 3 else None))
