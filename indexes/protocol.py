"""The ``VectorIndex`` protocol: everything Docent needs from a vector store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from indexes.schema import ChunkPoint, DocRecord, Hit, PointFilter, SearchRequest


class VectorIndex(Protocol):
    """One collection version. Implementations: ``EdgeIndex``, ``ServerIndex``."""

    name: str

    def upsert(self, points: Sequence[ChunkPoint]) -> None:
        """Insert or overwrite points by id."""

    def delete(self, where: PointFilter) -> None:
        """Delete every point matching ``where``."""

    def set_payload(self, where: PointFilter, payload: dict[str, Any]) -> None:
        """Merge ``payload`` into every point matching ``where`` (no re-embedding)."""

    def search(self, request: SearchRequest) -> list[Hit]:
        """Dense, sparse or hybrid (RRF) search with the ACL filter inside the query."""

    def scroll(self, where: PointFilter, fields: Sequence[str] | None = None) -> list[Hit]:
        """Every point matching ``where`` (score 0), with the named payload fields."""

    def count(self, where: PointFilter | None = None) -> int:
        """Number of points matching ``where``."""

    def chunk_counts(self, where: PointFilter | None = None) -> dict[str, int]:
        """Points stored per document id (of the points matching ``where``)."""

    def documents(self) -> dict[str, DocRecord]:
        """Every document with a chunk 0, with how many of its chunks are stored."""

    def flush(self) -> None:
        """Make writes durable."""

    def close(self) -> None:
        """Release the store (for the embedded shard: its lock)."""
