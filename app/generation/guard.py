"""Fail fast while the model is down, so questions fall back to quotes at once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from app.generation.base import Delta, GenerationParams, Generator
from app.pipeline.errors import GenerationRejected, GenerationUnavailable

log = logging.getLogger("docent.model")


class GuardedGenerator:
    """Wraps any ``Generator``: any failure while generating becomes
    ``GenerationUnavailable`` and opens the guard for ``cooldown_s``, during which requests
    fail at once instead of waiting on a dead or hung server. The pipeline answers them with
    quotes. A successful readiness probe closes the guard early."""

    def __init__(
        self,
        inner: Generator,
        *,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._down_until = 0.0

    @property
    def name(self) -> str:
        return self.inner.name  # read each time: a server's model can change under its alias

    @property
    def is_open(self) -> bool:
        """True while recent failures make the guard refuse without trying."""
        return self._clock() < self._down_until

    def ready(self) -> bool:
        ok = self.inner.ready()
        if ok:
            self._down_until = 0.0
        return ok

    def stream(self, messages: list[dict[str, str]], params: GenerationParams) -> Iterator[Delta]:
        if self.is_open:
            raise GenerationUnavailable("The model is unavailable; answering with quotes.")
        try:
            yield from self.inner.stream(messages, params)
        except GenerationRejected:
            raise  # this request only: the server is up
        except GenerationUnavailable:
            self._trip()
            raise
        except Exception as exc:  # any backend failure means the same to the caller
            self._trip()
            raise GenerationUnavailable(f"The model failed: {type(exc).__name__}") from exc

    def _trip(self) -> None:
        self._down_until = self._clock() + self.cooldown_s
        log.warning("model unavailable", extra={"fields": {"cooldown_s": self.cooldown_s}})

    def warm_up(self) -> None:
        warm = getattr(self.inner, "warm_up", None)
        if callable(warm):
            warm()

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()
