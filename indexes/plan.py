"""One search plan for every backend: which rankings to run, over which filters, how deep,
and how to fuse them. The embedded and the server backends only translate it into their
client's query objects, so the two cannot drift apart.

A plan has one ranking per query vector (dense first, then BM25), each under the user's
groups. With linked entities to boost, each ranking runs again over the chunks that mention
one, at ``boost_weight`` times its weight: the boost keeps the dense/BM25 balance instead
of doubling one side. Several rankings are fused with weighted RRF; a single one runs alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.vectors import SparseVec
from indexes.schema import (
    DENSE,
    F_ENTITIES,
    SPARSE,
    Match,
    PointFilter,
    SearchRequest,
    scoped_filter,
)

# how deep each ranking goes before fusion (at least the request's limit): fusion and the
# reranker need candidates beyond the few that are returned
MIN_CANDIDATES = 20


@dataclass(frozen=True)
class Ranking:
    using: str  # DENSE or SPARSE
    query: list[float] | SparseVec
    where: PointFilter
    weight: float


@dataclass(frozen=True)
class SearchPlan:
    rankings: tuple[Ranking, ...]
    where: PointFilter  # the user's scope, on the outer query too
    limit: int
    depth: int  # each ranking's limit before fusion
    with_payload: bool
    with_vectors: list[str] | bool

    @property
    def fused(self) -> bool:
        return len(self.rankings) > 1


def plan(request: SearchRequest) -> SearchPlan | None:
    """The plan for ``request``; None when it can return nothing (no groups: default-deny,
    or no query vector)."""
    if not request.groups:
        return None
    where = scoped_filter(request)
    rankings: list[Ranking] = []
    if request.dense is not None:
        rankings.append(Ranking(DENSE, request.dense, where, 1.0))
    if request.sparse is not None and request.sparse.indices:
        rankings.append(Ranking(SPARSE, request.sparse, where, request.sparse_weight))
    if not rankings:
        return None
    if request.boost_entities:
        boosted = where.and_(Match(F_ENTITIES, request.boost_entities))
        rankings += [
            Ranking(r.using, r.query, boosted, r.weight * request.boost_weight) for r in rankings
        ]
    return SearchPlan(
        rankings=tuple(rankings),
        where=where,
        limit=request.limit,
        depth=max(request.limit, MIN_CANDIDATES),
        with_payload=not request.ranking_only,
        with_vectors=False if request.ranking_only else [DENSE],
    )
