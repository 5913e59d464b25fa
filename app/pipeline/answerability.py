"""Can the retrieved chunks answer the question at all?

IDF-weighted term coverage: the share of the question's BM25 terms, weighted by how rare
they are in the index, that appear in the top chunks. A question hinging on a term that
no retrieved chunk contains ("solar panels") scores low even when the rest matches.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from app.pipeline.request_scope import PerGeneration
from app.pipeline.types import RetrievedChunk
from core.encoders import SparseEncoder
from indexes.protocol import VectorIndex
from indexes.schema import PointFilter


class TermStats:
    """Document frequencies of BM25 terms over all chunks, rebuilt when the index changes."""

    def __init__(
        self, index: Callable[[], VectorIndex], generation: Callable[[], str], sparse: SparseEncoder
    ) -> None:
        self.index = index
        self.sparse = sparse
        self._counts = PerGeneration(generation, self._count)

    def _count(self) -> tuple[Counter[int], int]:
        df: Counter[int] = Counter()
        hits = self.index().scroll(PointFilter(), ["text", "title", "section"])
        for h in hits:
            p = h.payload
            df.update(
                self.sparse.terms(
                    f"{p.get('title', '')} {p.get('section', '')} {p.get('text', '')}"
                )
            )
        return df, len(hits)

    def idf(self, term: int) -> float:
        df, n = self._counts.get()
        return math.log((n + 1) / (df.get(term, 0) + 0.5))

    def chunks_with(self, text: str) -> int:
        """How many chunks hold every BM25 term of ``text`` (at most: the rarest term's
        count); 0 for a text of stop words only."""
        df, _ = self._counts.get()
        return min((df.get(t, 0) for t in self.sparse.terms(text)), default=0)

    def warm_up(self) -> None:
        self._counts.get()


class TermScorer:
    """IDF-weighted coverage of a question's terms by some text."""

    def __init__(self, stats: TermStats, sparse: SparseEncoder) -> None:
        self.stats = stats
        self.sparse = sparse

    def weights(self, question: str) -> dict[int, float]:
        return {t: self.stats.idf(t) for t in self.sparse.terms(question)}

    def coverage(self, weights: dict[int, float], text: str) -> float:
        return self.share(weights, self.sparse.terms(text))

    @staticmethod
    def share(weights: dict[int, float], have: set[int]) -> float:
        """The weighted share of the question's terms among the term ids ``have``."""
        total = sum(weights.values())
        if not total:
            return 0.0
        return sum(w for t, w in weights.items() if t in have) / total

    def adds_to(self, question: str, text: str) -> bool:
        """Whether ``text`` has a term the question lacks: a restatement has none."""
        return bool(self.sparse.terms(text) - self.sparse.terms(question))


@dataclass(frozen=True)
class Answerability:
    together: float  # coverage by the top chunks taken together
    best: float  # coverage by the single best-covering one of them


class AnswerabilityCheck:
    """How much of the question the top chunks cover; low means abstain.

    Both together and one by one: an unanswerable question often has each of its terms
    somewhere in the top chunks ("free lunches" in one office's page, "cafeteria" in
    another) but no chunk about all of them.
    """

    def __init__(self, scorer: TermScorer, *, top: int) -> None:
        self.scorer = scorer
        self.top = top

    def score(self, question: str, chunks: list[RetrievedChunk]) -> Answerability:
        weights = self.scorer.weights(question)
        terms = [
            self.scorer.sparse.terms(f"{c.title} {c.section} {c.text}") for c in chunks[: self.top]
        ]
        if not terms:
            return Answerability(0.0, 0.0)
        return Answerability(
            together=self.scorer.share(weights, set().union(*terms)),
            best=max(self.scorer.share(weights, t) for t in terms),
        )
