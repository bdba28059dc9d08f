"""The ASGI layer in front of each emulated API: logs every request and applies the faults that
match it (latency, vendor error answers, held requests, dropped connections, truncated JSON)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.faults import Fault, FaultBook
from sandbox.traffic import RequestLog

TRANSPORT_KEY = "sandbox.transport"  # set by the sandbox's HTTP protocol, so a fault can drop the connection
ADMIN_PREFIX = "/_admin"

FaultResponder = Callable[[Fault], Response]


class TrafficMiddleware:
    def __init__(self, app: ASGIApp, service: str, faults: FaultBook, log: RequestLog, respond: FaultResponder):
        self.app, self.service, self.faults, self.log, self.respond = app, service, faults, log, respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method, path = scope["method"], scope["path"]
        template = self._template(scope)
        chosen = self.faults.pick(self.service, method, path, template)
        status, recorded = [0], [False]
        self.log.opened()

        def record() -> None:
            """Log the request once: before its last byte leaves, so a client never sees it unlogged."""
            if not recorded[0]:
                recorded[0] = True
                self.log.record(
                    at=time.time(), service=self.service, method=method, path=path,
                    query=scope.get("query_string", b"").decode("latin-1"), route=template or "",
                    status=status[0], ms=round((time.perf_counter() - started) * 1000, 2), fault="+".join(f.kind for f in chosen),
                )

        async def send_and_log(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                record()
            await send(message)

        fault = next((f for f in chosen if f.kind != "latency"), None)
        try:
            # A request that arrived whole is served, like a real server does, even if its client dies
            # waiting for the answer: a killed sync's last POST still creates its comment.
            body = await _whole_body(receive)
            if body is None:  # the client went away before its request arrived: nobody to serve
                return
            for slow in (f for f in chosen if f.kind == "latency"):
                await asyncio.sleep((slow.latency_ms + random.uniform(0, slow.jitter_ms)) / 1000)
            if fault is not None and fault.kind == "drop":
                record()
                await _drop(scope)
            else:
                await self._answer(fault, scope, _replaying(body, receive), send_and_log)
        finally:
            record()

    async def _answer(self, fault: Fault | None, scope: Scope, receive: Receive, send: Send) -> None:
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.kind == "timeout":
            try:
                await asyncio.sleep(fault.seconds)
            except asyncio.CancelledError:  # the sandbox is stopping: let the held request go quietly
                await _drop(scope)
                return
            await self.app(scope, receive, send)
        elif fault.kind == "malformed_json":
            await self.app(scope, receive, _truncating(send))
        else:
            await self.respond(fault)(scope, receive, send)

    def _template(self, scope: Scope) -> str | None:
        """The path template of the route that serves this request (for counts and fault routes)."""
        partial = None
        for route in getattr(self.app, "routes", []):
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(route.path)
            if match is Match.PARTIAL and partial is None:
                partial = str(route.path)
        return partial


async def _whole_body(receive: Receive) -> list[Message] | None:
    """The request's body messages, or None if the client disconnected first."""
    messages: list[Message] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        messages.append(message)
        if not message.get("more_body"):
            return messages


def _replaying(body: list[Message], receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then listens to the client again."""
    pending = list(body)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _drop(scope: Scope) -> None:
    """Close the connection without a byte of answer, as a crashed proxy would."""
    transport: Any = scope.get(TRANSPORT_KEY)
    if transport is None:
        raise RuntimeError("dropping a connection needs the sandbox's HTTP protocol")
    transport.close()
    for _ in range(3):  # let the server notice the closed connection, so it sends no 500 instead
        await asyncio.sleep(0)


def _truncating(send: Send) -> Send:
    """A `send` that delivers the answer's body cut in half (with a matching Content-Length)."""
    held: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def truncate(message: Message) -> None:
        if message["type"] == "http.response.start":
            held.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(chunks)
        cut = body[: len(body) // 2] if len(body) > 1 else body
        headers = [(k, v) for k, v in held.get("headers", []) if k.lower() != b"content-length"]
        await send({**held, "headers": [*headers, (b"content-length", str(len(cut)).encode())]})
        await send({"type": "http.response.body", "body": cut})

    return truncate
