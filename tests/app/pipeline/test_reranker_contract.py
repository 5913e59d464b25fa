"""The Reranker seam's contract: a permutation of its input (nothing added, nothing lost),
deterministic, and an empty list stays empty."""

from __future__ import annotations

import pytest

from app.pipeline.retrieve import FusionReranker, Reranker
from app.pipeline.types import RetrievedChunk

pytestmark = pytest.mark.unit

CHUNKS = [
    RetrievedChunk(f"c{i}", f"d{i % 3}", "p.md", "T", "S", f"text {i}", score)
    for i, score in enumerate([0.2, 0.9, 0.5, 0.5, 0.1])
]


@pytest.mark.parametrize("reranker", [FusionReranker(rank_weight=w) for w in (0.0, 0.7, 1.0)])
def test_a_deterministic_permutation(reranker: Reranker) -> None:
    out = reranker.rerank("q", CHUNKS)
    assert sorted(c.id for c in out) == sorted(c.id for c in CHUNKS)
    assert out == reranker.rerank("q", list(CHUNKS))
    assert reranker.rerank("q", []) == []


def test_the_weight_moves_between_rank_and_similarity() -> None:
    assert FusionReranker(rank_weight=1.0).rerank("q", CHUNKS) == CHUNKS  # rank alone
    by_score = FusionReranker(rank_weight=0.0).rerank("q", CHUNKS)
    assert [c.score for c in by_score] == sorted((c.score for c in CHUNKS), reverse=True)
