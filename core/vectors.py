"""Vector value types shared by the encoders and the index backends."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SparseVec:
    """BM25 term ids and weights (the IDF part is applied by Qdrant)."""

    indices: list[int]
    values: list[float]
