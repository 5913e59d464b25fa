"""Stage 4: hybrid retrieval with the ACL filter inside the query, then rerank, dedupe,
diversify and pack to a token budget."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from app.pipeline.types import RetrievedChunk
from core.encoders import Embedder, SparseEncoder
from core.settings import RetrievalMode
from core.text import count_tokens
from indexes.protocol import VectorIndex
from indexes.schema import F_DOC_ID, Hit, SearchRequest

_WORD = re.compile(r"[a-z0-9]+")


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return cosines(a, [b])[0]


def cosines(query: Sequence[float], vectors: Sequence[Sequence[float]]) -> list[float]:
    """Cosine similarity of ``query`` to each vector (0 for a zero vector), vectorized."""
    if not vectors:
        return []
    q = np.asarray(query, dtype=np.float32)
    m = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1) * float(np.linalg.norm(q))
    dots = m @ q
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0).tolist()


class Reranker(Protocol):
    """Reorders candidates; a cross-encoder can be plugged in where a deployment has one."""

    def rerank(self, query: str, chunks: list[RetrievedChunk]) -> list[RetrievedChunk]: ...


class FusionReranker:
    """Today's reranker: keeps Qdrant's RRF order, blended with dense similarity.

    ``score`` on the way in is the cosine similarity; the fused rank gives the rest.
    """

    def __init__(self, *, rank_weight: float) -> None:
        self.rank_weight = rank_weight

    def rerank(self, query: str, chunks: list[RetrievedChunk]) -> list[RetrievedChunk]:
        n = len(chunks)
        scored = [
            (self.rank_weight * (1 - i / max(n, 1)) + (1 - self.rank_weight) * c.score, c)
            for i, c in enumerate(chunks)
        ]
        return [c for _, c in sorted(scored, key=lambda t: -t[0])]


@dataclass(frozen=True)
class Retrieval:
    chunks: list[RetrievedChunk]  # packed for the prompt, best first
    candidates: int  # how many the index returned
    top_similarity: float  # cosine of the best candidate: the abstention signal
    query_vector: tuple[float, ...] = ()  # the question's dense vector (drift monitoring)


# a chunk whose word set overlaps a kept one's this much (Jaccard) adds nothing to the prompt
# (a copy of a page under another path); a structural choice, not fitted on an eval set
NEAR_DUPLICATE = 0.85
# a lone chunk over the token budget is cut to this many words per budget token (English
# prose runs about 1.3 tokens a word), so that it fits
WORDS_PER_TOKEN = 0.7


def _near_duplicate(a: str, b: str) -> bool:
    sa, sb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    if not sa or not sb:
        return a == b
    return len(sa & sb) / len(sa | sb) >= NEAR_DUPLICATE


def order_within_documents(boosted: list[Hit], plain: list[Hit]) -> list[Hit]:
    """The boosted ranking's document order, each document's chunks in the plain order.

    An entity boost says where to look (the documents about it), not which passage
    answers: a chunk that names the company ("Acme") should not outrank, in its own document,
    the one that answers the question without the name.
    """
    plain_rank = {h.id: i for i, h in enumerate(plain)}
    by_doc: dict[object, list[Hit]] = {}
    for h in boosted:
        by_doc.setdefault(h.payload.get(F_DOC_ID), []).append(h)
    queues = {
        d: iter(sorted(hs, key=lambda h: plain_rank.get(h.id, len(plain_rank))))
        for d, hs in by_doc.items()
    }
    return [next(queues[h.payload.get(F_DOC_ID)]) for h in boosted]


class Retriever:
    """Searches the live index as the user, never outside their groups."""

    def __init__(
        self,
        index: Callable[[], VectorIndex],
        embedder: Embedder,
        sparse: SparseEncoder,
        reranker: Reranker,
        *,
        mode: RetrievalMode,
        candidates: int,
        max_chunks: int,
        token_budget: int,
        per_doc: int,
        sparse_weight: float,
        boost_weight: float,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.sparse = sparse
        self.reranker = reranker
        self.mode = mode
        self.candidates = candidates
        self.max_chunks = max_chunks
        self.token_budget = token_budget
        self.per_doc = per_doc
        self.sparse_weight = sparse_weight
        self.boost_weight = boost_weight

    def search(
        self,
        query: str,
        groups: tuple[str, ...],
        *,
        limit: int | None = None,
        boost: tuple[str, ...] = (),
        mode: RetrievalMode | None = None,
        dense_text: str | None = None,
    ) -> list[RetrievedChunk]:
        """Ranked candidates (no packing), each scored by cosine similarity to the dense
        query. BM25 reads ``query``; so does the dense side, except that with an entity
        boost it reads ``dense_text`` when given (the boost then keeps what it left out).
        A boost orders documents; a second, ranking-only search without it orders the
        chunks within each document (``order_within_documents``)."""
        if not groups:
            return []  # default-deny before the index is even asked
        mode = mode or self.mode
        boost = boost if mode is RetrievalMode.HYBRID and self.boost_weight else ()
        qvec = self.embedder.embed([dense_text if boost and dense_text else query])[0]
        request = SearchRequest(
            groups=groups,
            limit=limit or self.candidates,
            dense=qvec if mode is not RetrievalMode.SPARSE else None,
            sparse=self.sparse.query(query) if mode is not RetrievalMode.DENSE else None,
            boost_entities=boost,
            sparse_weight=self.sparse_weight,
            boost_weight=self.boost_weight,
        )
        hits = self.index().search(request)
        if boost:
            hits = order_within_documents(
                hits, self.index().search(replace(request, boost_entities=(), ranking_only=True))
            )
        # a hit without a vector scores 0: cosines() gives 0 for a zero vector
        sims = cosines(qvec, [h.dense or [0.0] * len(qvec) for h in hits])
        return [
            RetrievedChunk.from_payload(h.id, sim, h.payload, h.dense)
            for h, sim in zip(hits, sims, strict=True)
        ]

    def ranked(
        self,
        query: str,
        groups: tuple[str, ...],
        boost: tuple[str, ...] = (),
        limit: int | None = None,
        dense_text: str | None = None,
    ) -> list[RetrievedChunk]:
        """Every candidate, in the order packing reads them: what recall is measured on.
        ``limit`` only ever widens the candidate pool (the rerank depends on its size)."""
        pool = max(limit or 0, self.candidates)
        found = self.search(query, groups, limit=pool, boost=boost, dense_text=dense_text)
        return self.reranker.rerank(query, found)

    def run(
        self,
        query: str,
        groups: tuple[str, ...],
        boost: tuple[str, ...] = (),
        dense_text: str | None = None,
    ) -> Retrieval:
        ranked = self.ranked(query, groups, boost, dense_text=dense_text)
        top = max((c.score for c in ranked), default=0.0)
        # the vector ranked() used, from the query-embedding cache: no second embedding
        vector = self.embedder.embed([dense_text if boost and dense_text else query])[0]
        return Retrieval(self._pack(ranked), len(ranked), top, tuple(vector))

    def _pack(self, ranked: list[RetrievedChunk]) -> list[RetrievedChunk]:
        kept: list[RetrievedChunk] = []
        per_doc: dict[str, int] = {}
        used = 0
        for chunk in ranked:
            if len(kept) >= self.max_chunks:
                break
            if per_doc.get(chunk.doc_id, 0) >= self.per_doc:
                continue  # diversity: no single document crowds out the rest
            if any(_near_duplicate(chunk.text, k.text) for k in kept):
                continue
            tokens = count_tokens(chunk.text)
            if kept and used + tokens > self.token_budget:
                continue
            if not kept and tokens > self.token_budget:
                words = chunk.text.split()
                chunk = replace(
                    chunk, text=" ".join(words[: int(self.token_budget * WORDS_PER_TOKEN)])
                )
                tokens = count_tokens(chunk.text)
            kept.append(chunk)
            per_doc[chunk.doc_id] = per_doc.get(chunk.doc_id, 0) + 1
            used += tokens
        return kept
