"""Reads made once per question: within ``one_request()``, a function wrapped by
``once_per_request`` runs on its first call and returns that value to every later call.

The index generation is the case in point: with a Qdrant server it is two HTTP requests,
and the cache key, the term statistics and the rerank each want it, once per query term
for the statistics. Outside a request (a load, a test) the function runs every time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")

_MEMO: ContextVar[dict[int, object] | None] = ContextVar("docent_request_memo", default=None)


@contextmanager
def one_request() -> Iterator[None]:
    token = _MEMO.set({})
    try:
        yield
    finally:
        with suppress(ValueError):  # closed from another context, which never saw the set
            _MEMO.reset(token)


def once_per_request(read: Callable[[], T]) -> Callable[[], T]:
    key = id(read)

    def memoized() -> T:
        memo = _MEMO.get()
        if memo is None:
            return read()
        if key not in memo:
            memo[key] = read()
        return memo[key]  # type: ignore[return-value]

    return memoized


class PerGeneration(Generic[T]):
    """A value derived from the whole index (term statistics, per-collection counts),
    rebuilt by ``build`` the first time it is read after the index generation changed."""

    def __init__(self, generation: Callable[[], str], build: Callable[[], T]) -> None:
        self.generation = generation
        self.build = build
        self._value: T | None = None
        self._built_for: str | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        current = self.generation()
        if current != self._built_for or self._value is None:
            with self._lock:
                if current != self._built_for or self._value is None:
                    self._value = self.build()
                    self._built_for = current
        return self._value
