"""Helpers shared by both backends: document records from chunk-0 payloads, hits, and
what a search returns with each point."""

from __future__ import annotations

from typing import Any

from indexes.schema import (
    DENSE,
    F_CHUNK_INDEX,
    F_DOC_HASH,
    F_DOC_ID,
    F_GROUPS,
    DocRecord,
    Hit,
    Match,
    PointFilter,
    SearchRequest,
)

DOC_FIELDS = [F_DOC_ID, "path", "title", F_DOC_HASH, "chunk_count", F_GROUPS]
FIRST_CHUNKS = PointFilter(must=(Match(F_CHUNK_INDEX, (0,)),))


def doc_records(first_chunks: list[Hit], counts: dict[str, int]) -> dict[str, DocRecord]:
    out: dict[str, DocRecord] = {}
    for hit in first_chunks:
        p = hit.payload
        doc_id = str(p[F_DOC_ID])
        out[doc_id] = DocRecord(
            doc_id=doc_id,
            path=str(p.get("path", "")),
            title=str(p.get("title", "")),
            doc_hash=str(p.get(F_DOC_HASH, "")),
            chunk_count=int(p.get("chunk_count", 0)),
            groups=tuple(p.get(F_GROUPS) or ()),
            stored_chunks=counts.get(doc_id, 0),
        )
    return out


def vectors_returned(request: SearchRequest) -> list[str] | bool:
    """The dense vector comes back with each hit (for similarity checks downstream),
    except for a ranking-only search."""
    return False if request.ranking_only else [DENSE]


def hit_from(point: Any) -> Hit:
    """A backend's scored point or record (same attribute names in both clients) as a Hit."""
    vector = getattr(point, "vector", None)
    dense = vector.get(DENSE) if isinstance(vector, dict) else None
    return Hit(
        id=str(point.id),
        score=float(getattr(point, "score", 0.0)),
        payload=dict(point.payload or {}),
        dense=list(dense) if dense is not None else None,
    )
