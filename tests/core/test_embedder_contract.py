"""The Embedder seam's contract, held by every implementation: the model itself, the
per-user query cache in front of it, and the SQLite cache the ingest uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.encoders import Embedder, QueryEmbeddingCache, cache_scope
from ingest.embed_cache import PersistentEmbeddingCache

pytestmark = pytest.mark.integration

TEXTS = ["How do I request annual leave?", "Badges are processed on Wednesdays.", ""]


@pytest.fixture(params=["model", "query-cache", "sqlite-cache"])
def implementation(
    request: pytest.FixtureRequest, embedder: Any, tmp_path: Path
) -> Iterator[Embedder]:
    if request.param == "model":
        yield embedder
    elif request.param == "query-cache":
        yield QueryEmbeddingCache(embedder)
    else:
        cache = PersistentEmbeddingCache(embedder, tmp_path / "cache.sqlite")
        yield cache
        cache.close()


def test_one_unit_vector_per_text_in_order(implementation: Embedder, embedder: Any) -> None:
    vectors = implementation.embed(TEXTS)
    assert len(vectors) == len(TEXTS)
    assert {len(v) for v in vectors} == {384}
    norms = np.linalg.norm(np.asarray(vectors[:2]), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-3)
    reference = embedder.embed(TEXTS[:2])
    for got, want in zip(vectors[:2], reference, strict=True):
        assert float(np.dot(got, want)) > 0.999  # the same vectors as the model's


def test_repeatable_and_batch_independent(implementation: Embedder) -> None:
    with cache_scope("alice"):
        alone = implementation.embed([TEXTS[0]])[0]
        again = implementation.embed([TEXTS[1], TEXTS[0]])[1]
    assert float(np.dot(alone, again)) > 0.999
    assert implementation.embed([]) == []
    assert implementation.model_id
