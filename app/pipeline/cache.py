"""The answer cache: keyed by standalone question, groups, scope (the user, unless shared),
index version, prompt and model."""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from app.pipeline.types import QueryResult


@dataclass(frozen=True)
class CacheKey:
    question: str  # normalized standalone question
    groups: tuple[str, ...]  # sorted: the same groups see the same documents
    scope: str  # the user, or "" where users with the same groups share answers
    index_version: str
    prompt_version: str
    model: str


class AnswerCache:
    """A thread-safe LRU of finished results; entries never cross group boundaries.

    Entries are shallow copies: a hit gets its own result object, whose top-level fields
    (trace id, question, timings) the caller sets, while the immutable-by-convention parts
    (citations, chunks, sentences) are shared. Nothing downstream mutates those.
    """

    def __init__(
        self,
        *,
        size: int,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self.ttl_s = ttl_s  # a bound on staleness whatever the index version says
        self._clock = clock
        self._data: OrderedDict[CacheKey, tuple[float, QueryResult]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: CacheKey) -> QueryResult | None:
        with self._lock:
            found = self._data.get(key)
            if found is not None and self._clock() - found[0] > self.ttl_s:
                del self._data[key]
                found = None
            if found is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return copy.copy(found[1])

    def put(self, key: CacheKey, result: QueryResult) -> None:
        if self.size <= 0:
            return
        kept = copy.copy(result)
        # a hit needs the chunks' ids and text, not their vectors (384 floats each)
        kept.retrieved = [replace(c, dense=None) for c in result.retrieved]
        with self._lock:
            self._data[key] = (self._clock(), kept)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def forget(self, scope: str) -> None:
        """Drops every entry of ``scope`` (a user whose data is purged)."""
        with self._lock:
            for key in [k for k in self._data if k.scope == scope]:
                del self._data[key]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
