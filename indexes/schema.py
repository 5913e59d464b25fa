"""Collection schema and the backend-neutral types that cross the index seam."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from core.vectors import SparseVec

DENSE = "dense"
SPARSE = "bm25"
DENSE_DIM = 384
RRF_K = 60

# payload fields with an index (filtering on them must be cheap)
F_GROUPS = "groups"
F_DOC_ID = "doc_id"
F_ENTITIES = "entities"
F_CHUNK_INDEX = "chunk_index"
F_DOC_HASH = "doc_hash"
KEYWORD_FIELDS = (F_GROUPS, F_DOC_ID, F_ENTITIES, F_DOC_HASH)
INTEGER_FIELDS = (F_CHUNK_INDEX,)

# the namespace makes point ids stable across machines and runs
_POINT_NS = uuid.UUID("6f1c2a9e-51b7-4c0e-9d3b-8c1f0e7a2b44")


def point_id(doc_id: str, chunk_index: int) -> str:
    """Deterministic id: the same chunk of the same document always lands on the same point."""
    return str(uuid.uuid5(_POINT_NS, f"{doc_id}#{chunk_index}"))


@dataclass(frozen=True)
class ChunkPoint:
    """One chunk as stored: both vectors and the payload."""

    id: str
    dense: list[float]
    sparse: SparseVec
    payload: dict[str, Any]


@dataclass(frozen=True)
class Match:
    """``key`` holds any of ``values`` (for list fields: shares one value with them)."""

    key: str
    values: tuple[str | int, ...]


@dataclass(frozen=True)
class PointFilter:
    """All of ``must`` and none of ``must_not``."""

    must: tuple[Match, ...] = ()
    must_not: tuple[Match, ...] = ()

    def and_(self, *more: Match) -> PointFilter:
        return PointFilter(must=self.must + more, must_not=self.must_not)


@dataclass(frozen=True)
class SearchRequest:
    """A retrieval over the index. ``groups`` is mandatory: no groups, no results."""

    groups: tuple[str, ...]
    limit: int
    dense: list[float] | None = None
    sparse: SparseVec | None = None
    boost_entities: tuple[str, ...] = ()
    require_entities: tuple[str, ...] = ()
    sparse_weight: float = 1.0  # RRF weight of BM25; Qdrant scores rank r as 1/(r/w + k - 1)
    boost_weight: float = 0.5  # an entity-filtered ranking's weight, times its base one's
    extra_filter: PointFilter = field(default_factory=PointFilter)
    ranking_only: bool = False  # ids and scores only: no payload, no vectors


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    payload: dict[str, Any]
    dense: list[float] | None = None  # filled by search(), for similarity checks downstream


@dataclass(frozen=True)
class DocRecord:
    """What the index knows about one loaded document (from its chunk 0)."""

    doc_id: str
    path: str
    title: str
    doc_hash: str
    chunk_count: int
    groups: tuple[str, ...]
    stored_chunks: int = 0

    @property
    def complete(self) -> bool:
        """All chunks written and nothing stale: the load of this document finished."""
        return self.stored_chunks == self.chunk_count


def scoped_filter(request: SearchRequest) -> PointFilter:
    """The filter every search runs under: the user's groups, plus any required entities."""
    base = PointFilter(
        must=(Match(F_GROUPS, request.groups), *request.extra_filter.must),
        must_not=request.extra_filter.must_not,
    )
    if request.require_entities:
        base = base.and_(Match(F_ENTITIES, request.require_entities))
    return base
