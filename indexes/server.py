"""Server backend: a Qdrant server through ``qdrant-client``.

In tests the stand-in server is qdrant-client's in-memory mode (``location=":memory:"``);
a real server is used when ``DOCENT_QDRANT_URL`` is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from core.vectors import SparseVec
from indexes.errors import IndexUnavailableError, vendor_boundary
from indexes.plan import Ranking, plan
from indexes.records import (
    DOC_FIELDS,
    FIRST_CHUNKS,
    doc_records,
    hit_from,
)
from indexes.schema import (
    DENSE,
    DENSE_DIM,
    F_DOC_ID,
    INTEGER_FIELDS,
    KEYWORD_FIELDS,
    RRF_K,
    SPARSE,
    ChunkPoint,
    DocRecord,
    Hit,
    Match,
    PointFilter,
    SearchRequest,
)

_SCROLL_PAGE = 1000
_UPSERT_BATCH = 256


# what qdrant-client raises when the server is down, slow or refuses a request
_CLIENT_ERRORS = (
    ResponseHandlingException,
    UnexpectedResponse,
    ConnectionError,
    TimeoutError,
    httpx.HTTPError,
)


def _match(m: Match) -> models.FieldCondition:
    if len(m.values) == 1:
        return models.FieldCondition(key=m.key, match=models.MatchValue(value=m.values[0]))
    return models.FieldCondition(key=m.key, match=models.MatchAny(any=list(m.values)))


def to_client_filter(f: PointFilter) -> models.Filter:
    return models.Filter(
        must=[_match(m) for m in f.must] or None,
        must_not=[_match(m) for m in f.must_not] or None,
    )


def _sparse(v: SparseVec) -> models.SparseVector:
    return models.SparseVector(indices=v.indices, values=v.values)


def _client_error(exc: BaseException) -> bool:
    return isinstance(exc, _CLIENT_ERRORS)


@dataclass(frozen=True)
class Layout:
    """How a new collection version spreads over a Qdrant cluster: ``shards`` split its
    points between nodes, ``replication`` copies of each shard survive a node's loss."""

    shards: int = 1
    replication: int = 1


@vendor_boundary(_client_error, "the Qdrant server")
class ServerIndex:
    """A collection version ``name`` on a Qdrant server."""

    def __init__(self, client: QdrantClient, name: str, layout: Layout = Layout()) -> None:
        self.client = client
        self.name = name
        self.layout = layout
        try:
            if not client.collection_exists(name):
                self._create()
        except _CLIENT_ERRORS as exc:
            raise IndexUnavailableError(
                f"Cannot reach the Qdrant server for collection {name!r}: {exc}. "
                "Check DOCENT_QDRANT_URL and DOCENT_QDRANT_API_KEY."
            ) from exc

    def _create(self) -> None:
        self.client.create_collection(
            self.name,
            vectors_config={
                DENSE: models.VectorParams(size=DENSE_DIM, distance=models.Distance.COSINE)
            },
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            shard_number=self.layout.shards,
            replication_factor=self.layout.replication,
            # a write is acknowledged once a majority of a shard's copies hold it
            write_consistency_factor=self.layout.replication // 2 + 1,
        )
        for field in KEYWORD_FIELDS:
            self.client.create_payload_index(self.name, field, models.PayloadSchemaType.KEYWORD)
        for field in INTEGER_FIELDS:
            self.client.create_payload_index(self.name, field, models.PayloadSchemaType.INTEGER)

    def upsert(self, points: Sequence[ChunkPoint]) -> None:
        for start in range(0, len(points), _UPSERT_BATCH):
            batch = points[start : start + _UPSERT_BATCH]
            self.client.upsert(
                self.name,
                points=[
                    models.PointStruct(
                        id=p.id,
                        vector={DENSE: p.dense, SPARSE: _sparse(p.sparse)},
                        payload=p.payload,
                    )
                    for p in batch
                ],
                wait=True,
            )

    def delete(self, where: PointFilter) -> None:
        self.client.delete(
            self.name,
            points_selector=models.FilterSelector(filter=to_client_filter(where)),
            wait=True,
        )

    def set_payload(self, where: PointFilter, payload: dict[str, Any]) -> None:
        self.client.set_payload(
            self.name, payload=payload, points=to_client_filter(where), wait=True
        )

    def search(self, request: SearchRequest) -> list[Hit]:
        p = plan(request)
        if p is None:
            return []
        where = to_client_filter(p.where)

        def vector(r: Ranking) -> Any:
            return r.query if isinstance(r.query, list) else _sparse(r.query)

        if p.fused:
            res = self.client.query_points(
                self.name,
                prefetch=[
                    models.Prefetch(
                        query=vector(r),
                        using=r.using,
                        limit=p.depth,
                        filter=to_client_filter(r.where),
                    )
                    for r in p.rankings
                ],
                query=models.RrfQuery(
                    rrf=models.Rrf(k=RRF_K, weights=[r.weight for r in p.rankings])
                ),
                query_filter=where,
                limit=p.limit,
                with_payload=p.with_payload,
                with_vectors=p.with_vectors,
            )
        else:
            [only] = p.rankings
            res = self.client.query_points(
                self.name,
                query=vector(only),
                using=only.using,
                query_filter=where,
                limit=p.limit,
                with_payload=p.with_payload,
                with_vectors=p.with_vectors,
            )
        return [hit_from(point) for point in res.points]

    def scroll(self, where: PointFilter, fields: Sequence[str] | None = None) -> list[Hit]:
        out: list[Hit] = []
        offset: Any = None
        while True:
            records, offset = self.client.scroll(
                self.name,
                scroll_filter=to_client_filter(where),
                limit=_SCROLL_PAGE,
                offset=offset,
                with_payload=list(fields) if fields is not None else True,
            )
            out.extend(hit_from(r) for r in records)
            if offset is None:
                return out

    def count(self, where: PointFilter | None = None) -> int:
        flt = to_client_filter(where) if where else None
        return int(self.client.count(self.name, count_filter=flt, exact=True).count)

    def chunk_counts(self, where: PointFilter | None = None) -> dict[str, int]:
        res = self.client.facet(
            self.name,
            key=F_DOC_ID,
            facet_filter=to_client_filter(where) if where else None,
            limit=10_000_000,
            exact=True,
        )
        return {str(h.value): int(h.count) for h in res.hits if h.count > 0}

    def documents(self) -> dict[str, DocRecord]:
        return doc_records(self.scroll(FIRST_CHUNKS, DOC_FIELDS), self.chunk_counts())

    def flush(self) -> None:
        """Server writes use ``wait=True``: nothing to flush."""

    def close(self) -> None:
        """The client is owned by the ``IndexStore``."""
