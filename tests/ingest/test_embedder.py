"""The real embedding model: a query-sized batch takes a short path with the same vectors."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.embedder import SentenceEmbedder

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
