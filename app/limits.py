"""Request limits: body size (413), per-user rate (429) and a generation queue (503)."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections.abc import Callable

from limits import RateLimitItemPerMinute
from limits.errors import ConfigurationError, StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.pipeline.errors import Overloaded
from core.errors import ConfigError

log = logging.getLogger(__name__)

_STORE_TIMEOUT_S = 0.25


def _masked(uri: str) -> str:
    """A storage URI without its password (``redis://:secret@host`` is logged as ``***``)."""
    return re.sub(r"(://[^/@]*:)[^/@]*@", r"\1***@", uri)


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
    """Requests per user per minute, over a moving window.

    The counts live in ``storage_uri`` (the ``limits`` library's storage): ``memory://``
    for one process, ``redis://host:6379/0`` so that every API replica counts against the
    same limit. When that store cannot be reached, requests are let through and the failure
    is logged: an outage of the limiter's store must not take the answers down with it.
    """

    def __init__(self, per_minute: int, storage_uri: str = "memory://") -> None:
        self.per_minute = per_minute
        self._item = RateLimitItemPerMinute(per_minute)
        options: dict[str, float | str | bool] = {"wrap_exceptions": True}
        if storage_uri.startswith(("redis://", "rediss://")):
            # a Redis that hangs must cost a request a fraction of a second, not the replica
            options.update(socket_timeout=_STORE_TIMEOUT_S, socket_connect_timeout=_STORE_TIMEOUT_S)
        try:
            self._storage = storage_from_string(storage_uri, **options)
        except (ConfigurationError, ValueError, TypeError) as exc:
            raise ConfigError(
                f"DOCENT_RATE_LIMIT_STORAGE={_masked(storage_uri)!r} is not a storage the "
                "`limits` library knows: use memory:// or redis://host:6379/0."
            ) from exc
        self._window = MovingWindowRateLimiter(self._storage)
        # while the shared store is unreachable, each process limits on its own
        self._fallback = MovingWindowRateLimiter(storage_from_string("memory://"))
        self._failing_since: float | None = None
        self.store_up = True

    def check(self, user_id: str) -> int | None:
        """None when allowed, else the seconds to wait."""
        try:
            if self._window.hit(self._item, "docent", user_id):
                self._recovered()
                return None
            reset, _ = self._window.get_window_stats(self._item, "docent", user_id)
        except StorageError as exc:  # the shared store is down: limit in this process
            self._failed(exc)
            if self._fallback.hit(self._item, "docent", user_id):
                return None
            reset, _ = self._fallback.get_window_stats(self._item, "docent", user_id)
        else:
            self._recovered()
        return max(1, math.ceil(reset - time.time()))

    def _failed(self, exc: Exception) -> None:
        self.store_up = False
        if self._failing_since is None:
            self._failing_since = time.monotonic()
            log.error(
                "rate-limit store unreachable; each process limits on its own until it is back",
                extra={"fields": {"error": str(exc)}},
            )

    def _recovered(self) -> None:
        if self._failing_since is not None:
            log.warning("rate-limit store reachable again")
        self._failing_since = None
        self.store_up = True


class GenerationGate:
    """At most ``slots`` answers generating at once. The next ``max_queued`` questions wait
    up to ``wait_s`` for a slot; a question past the queue, or one that waited that long,
    gets 503 with Retry-After."""

    def __init__(
        self,
        slots: int,
        *,
        max_queued: int,
        wait_s: float,
        on_refused: Callable[[], object] = lambda: None,
    ) -> None:
        self.on_refused = on_refused  # counts each 503 (docent_rejections_total{overloaded})
        self.slots = slots
        self.max_queued = max_queued
        self.wait_s = wait_s
        self._sem = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self.waiting = 0

    def acquire(self) -> None:
        if self._sem.acquire(blocking=False):
            return
        with self._lock:
            if self.waiting >= self.max_queued:
                self.on_refused()
                raise Overloaded(
                    "All answer slots are busy and the queue is full. Try again in a moment.",
                    retry_after_s=2,
                )
            self.waiting += 1
        try:
            admitted = self._sem.acquire(timeout=self.wait_s)
        finally:
            with self._lock:
                self.waiting -= 1
        if not admitted:
            self.on_refused()
            raise Overloaded(
                f"No answer slot came free within {self.wait_s:g} s. Try again in a moment.",
                retry_after_s=max(1, math.ceil(self.wait_s / 4)),
            )

    def release(self) -> None:
        self._sem.release()
