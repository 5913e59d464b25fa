"""Request limits: body size (413), per-user rate (429) and a generation gate (503)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.pipeline.errors import Overloaded


class BodySizeLimit:
    """ASGI middleware: reject bodies over ``max_bytes`` before reading them whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        if declared is None and scope.get("method") in ("POST", "PUT", "PATCH"):
            # chunked: read it here, bounded, so that an oversized body is a 413 and never
            # reaches the app's body parser (which would answer 400)
            body = await self._read_bounded(receive)
            if body is False:
                return  # the client left mid-body: nothing to answer
            if body is None:
                await self._reject(send)
                return
            assert isinstance(body, bytes)
            await self.app(scope, _replay(body, receive), send)
            return
        seen = 0
        too_big = False

        async def limited() -> Message:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._reject(send)

    async def _read_bounded(self, receive: Receive) -> bytes | bool | None:
        """The whole body; None as soon as it passes ``max_bytes``; False if the client
        disconnected before sending all of it."""
        parts: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return False
            part = message.get("body", b"")
            seen += len(part)
            if seen > self.max_bytes:
                return None
            parts.append(part)
            if not message.get("more_body", False):
                break
        return b"".join(parts)

    async def _reject(self, send: Send) -> None:
        body = (
            b'{"error": {"code": "too_large", "message": "The request body is over '
            + str(self.max_bytes).encode()
            + b' bytes."}}'
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body once, then defers to the real one (for
    disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class RateLimiter:
    """A sliding one-minute window per user."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, user_id: str) -> int | None:
        """None when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits[user_id]
            while hits and now - hits[0] >= 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(1, math.ceil(60 - (now - hits[0])))
            hits.append(now)
            return None


class GenerationGate:
    """At most ``limit`` generations at once; the next caller gets 503, never a queue."""

    def __init__(self, limit: int) -> None:
        self._sem = threading.BoundedSemaphore(limit)

    def acquire(self) -> None:
        if not self._sem.acquire(blocking=False):
            raise Overloaded("All answer slots are busy. Try again in a moment.", retry_after_s=2)

    def release(self) -> None:
        self._sem.release()
