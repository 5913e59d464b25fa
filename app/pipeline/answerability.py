"""Can the retrieved chunks answer the question at all?

IDF-weighted term coverage: the share of the question's BM25 terms, weighted by how rare
they are in the index, that appear in the top chunks. A question hinging on a term that
no retrieved chunk contains ("solar panels") scores low even when the rest matches.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable

from app.pipeline.types import RetrievedChunk
from indexes.protocol import VectorIndex
from indexes.schema import PointFilter
from ingest.embedder import SparseEncoder


class TermStats:
    """Document frequencies of BM25 terms over all chunks, rebuilt when the index changes."""

    def __init__(self, index: Callable[[], VectorIndex], generation: Callable[[], str],
                 sparse: SparseEncoder) -> None:
        self.index = index
        self.generation = generation
        self.sparse = sparse
        self._df: Counter[int] = Counter()
        self._n = 0
        self._built_for: str | None = None
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        current = self.generation()
        if current == self._built_for:
            return
        with self._lock:
            if current == self._built_for:
                return
            df: Counter[int] = Counter()
            hits = self.index().scroll(PointFilter(), ["text", "title", "section"])
            for h in hits:
                p = h.payload
                df.update(self.sparse.terms(f"{p.get('title', '')} {p.get('section', '')} "
                                            f"{p.get('text', '')}"))
            self._df, self._n, self._built_for = df, len(hits), current

    def idf(self, term: int) -> float:
        self._refresh()
        return math.log((self._n + 1) / (self._df.get(term, 0) + 0.5))

    def warm_up(self) -> None:
        self._refresh()


class AnswerabilityCheck:
    def __init__(self, stats: TermStats, sparse: SparseEncoder, top: int = 3) -> None:
        self.stats = stats
        self.sparse = sparse
        self.top = top

    def score(self, question: str, chunks: list[RetrievedChunk]) -> float:
        terms = self.sparse.terms(question)
        if not terms or not chunks:
            return 0.0
        have: set[int] = set()
        for c in chunks[: self.top]:
            have |= self.sparse.terms(f"{c.title} {c.section} {c.text}")
        weights = {t: self.stats.idf(t) for t in terms}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in have) / total if total else 0.0
