"""The real embedding model: a query-sized batch takes a short path with the same vectors."""

from __future__ import annotations

import numpy as np
import pytest

from core.encoders import SentenceEmbedder

pytestmark = pytest.mark.integration


def test_a_small_batch_gets_the_vectors_encode_gives(embedder: SentenceEmbedder) -> None:
    texts = [
        "How many weeks of paid parental leave does Sourcegraph offer per birth?",
        "Fringe benefit amount (per month): Internet: $50; Phone: $75",
        "word " * 400,  # past the model's 256-token limit: truncated alike
    ]
    short = np.asarray(embedder.embed(texts))
    encoded = embedder._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert short.shape == (3, 384)
    assert np.abs(short - encoded).max() < 1e-5
    assert np.allclose(np.linalg.norm(short, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]) == []


class _Counting:
    model_id = "counting"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.calls += list(texts)
        return [[float(len(t))] for t in texts]


@pytest.mark.unit
def test_the_query_cache_is_partitioned_by_scope() -> None:
    from core.encoders import QueryEmbeddingCache, cache_scope

    inner = _Counting()
    cached = QueryEmbeddingCache(inner)  # type: ignore[arg-type]
    with cache_scope("alice"):
        cached.embed(["salary bands"])
        cached.embed(["salary bands"])
    with cache_scope("bob"):
        cached.embed(["salary bands"])  # bob's first time: a miss, as slow as any miss
    assert inner.calls == ["salary bands", "salary bands"]
    assert (cached.hits, cached.misses) == (1, 2)
