"""Embedded backend: the real Qdrant engine in-process (``qdrant-edge-py``, beta API).

One process at a time may open a shard (the WAL is locked); a second open raises
``IndexLockedError`` so the caller can hand the work to the process that holds it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import qdrant_edge as q

from core.vectors import SparseVec
from indexes.errors import IndexLockedError, IndexUnavailableError, vendor_boundary
from indexes.plan import plan
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


def _match(m: Match) -> q.FieldCondition:
    if len(m.values) == 1:
        return q.FieldCondition(key=m.key, match=q.MatchValue(m.values[0]))
    return q.FieldCondition(key=m.key, match=q.MatchAny(any=list(m.values)))  # type: ignore[arg-type]


def to_edge_filter(f: PointFilter) -> q.Filter:
    return q.Filter(
        must=[_match(m) for m in f.must] or None,
        must_not=[_match(m) for m in f.must_not] or None,
    )


def _sparse(v: SparseVec) -> q.SparseVector:
    return q.SparseVector(indices=v.indices, values=v.values)


def _vector(query: list[float] | SparseVec) -> Any:
    return query if isinstance(query, list) else _sparse(query)


def _locked(path: Path) -> IndexLockedError:
    return IndexLockedError(
        f"The embedded index at {path} is open in another process "
        "(the API service, usually). Stop it, or load through the service: "
        "ingest load ... --via-api http://127.0.0.1:8000"
    )


class _ShardLock:
    """An exclusive lock taken before qdrant-edge touches the shard.

    A second ``EdgeShard.load`` of a shard another process holds fails on the WAL lock, but
    only after it has already rewritten parts of the sparse-vector storage, which breaks the
    holder's next flush (seen with qdrant-edge-py 0.9.0). So no second open is ever attempted.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = path.open("a")
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self._file.close()
            self._file = None
            raise _locked(path.parent) from exc

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _binding_error(exc: BaseException) -> bool:
    """qdrant-edge raises bare ``Exception``s (and OSError for files)."""
    return type(exc) is Exception or isinstance(exc, OSError)


@vendor_boundary(_binding_error, "the embedded index")
class EdgeIndex:
    """A collection version stored as a qdrant-edge shard in ``path``."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self._lock = _ShardLock(path.parent / f"{path.name}.lock")
        try:
            self._shard = self._open(path)
        except BaseException:
            self._lock.release()
            raise

    @staticmethod
    def _config() -> q.EdgeConfig:
        return q.EdgeConfig(
            vectors={DENSE: q.EdgeVectorParams(size=DENSE_DIM, distance=q.Distance.Cosine)},
            sparse_vectors={SPARSE: q.EdgeSparseVectorParams(modifier=q.Modifier.Idf)},
        )

    def _open(self, path: Path) -> q.EdgeShard:
        try:
            if (path / "wal").exists():
                return q.EdgeShard.load(str(path))
            path.mkdir(parents=True, exist_ok=True)
            shard = q.EdgeShard.create(str(path), self._config())
        except Exception as exc:  # the binding raises bare Exception
            if "WouldBlock" in str(exc) or "lock" in str(exc).lower():
                raise _locked(path) from exc
            raise IndexUnavailableError(
                f"Could not open the embedded index at {path}: {exc}"
            ) from exc
        for name in KEYWORD_FIELDS:
            shard.update(q.UpdateOperation.create_field_index(name, q.PayloadSchemaType.Keyword))
        for name in INTEGER_FIELDS:
            shard.update(q.UpdateOperation.create_field_index(name, q.PayloadSchemaType.Integer))
        return shard

    def upsert(self, points: Sequence[ChunkPoint]) -> None:
        if not points:
            return
        self._shard.update(
            q.UpdateOperation.upsert_points(
                [
                    q.Point(p.id, {DENSE: p.dense, SPARSE: _sparse(p.sparse)}, p.payload)
                    for p in points
                ]
            )
        )

    def delete(self, where: PointFilter) -> None:
        self._shard.update(q.UpdateOperation.delete_points_by_filter(to_edge_filter(where)))

    def set_payload(self, where: PointFilter, payload: dict[str, Any]) -> None:
        self._shard.update(q.UpdateOperation.set_payload_by_filter(to_edge_filter(where), payload))

    def search(self, request: SearchRequest) -> list[Hit]:
        p = plan(request)
        if p is None:
            return []
        queries = [q.Query.Nearest(_vector(r.query), using=r.using) for r in p.rankings]
        common: dict[str, Any] = {
            "limit": p.limit,
            "filter": to_edge_filter(p.where),
            "with_payload": p.with_payload,
            "with_vector": p.with_vectors,
        }
        if p.fused:
            request_ = q.QueryRequest(
                prefetches=[
                    q.Prefetch(limit=p.depth, query=qr, filter=to_edge_filter(r.where))
                    for qr, r in zip(queries, p.rankings, strict=True)
                ],
                query=q.Fusion.Rrf(k=RRF_K, weights=[r.weight for r in p.rankings]),  # type: ignore[arg-type]
                **common,
            )
        else:
            request_ = q.QueryRequest(query=queries[0], **common)
        return [hit_from(point) for point in self._shard.query(request_)]

    def scroll(self, where: PointFilter, fields: Sequence[str] | None = None) -> list[Hit]:
        out: list[Hit] = []
        offset: Any = None
        flt = to_edge_filter(where)
        while True:
            records, offset = self._shard.scroll(
                q.ScrollRequest(
                    offset=offset,
                    limit=_SCROLL_PAGE,
                    filter=flt,
                    with_payload=list(fields) if fields is not None else True,
                )
            )
            out.extend(hit_from(r) for r in records)
            if offset is None:
                return out

    def count(self, where: PointFilter | None = None) -> int:
        flt = to_edge_filter(where) if where else None
        return int(self._shard.count(q.CountRequest(filter=flt, exact=True)))

    def chunk_counts(self, where: PointFilter | None = None) -> dict[str, int]:
        flt = to_edge_filter(where) if where else None
        facet = self._shard.facet(
            q.FacetRequest(key=F_DOC_ID, limit=10_000_000, exact=True, filter=flt)
        )
        # exact facets list deleted values with count 0 (seen with qdrant-edge 0.9)
        return {str(h.value): int(h.count) for h in facet if h.count > 0}

    def documents(self) -> dict[str, DocRecord]:
        return doc_records(self.scroll(FIRST_CHUNKS, DOC_FIELDS), self.chunk_counts())

    def flush(self) -> None:
        self._shard.flush()

    def close(self) -> None:
        try:
            self._shard.flush()
        finally:
            self._shard.close()
            self._lock.release()
