"""Permission questions asked of the index itself, where the groups live."""

from __future__ import annotations

from collections.abc import Sequence

from indexes.protocol import VectorIndex
from indexes.schema import F_DOC_ID, F_GROUPS, Match, PointFilter


def any_readable(index: VectorIndex, doc_ids: Sequence[str], groups: Sequence[str]) -> bool:
    """Whether a user of ``groups`` may read at least one chunk of these documents.
    No groups or no documents: no (default-deny)."""
    if not groups or not doc_ids:
        return False
    where = PointFilter(must=(Match(F_DOC_ID, tuple(doc_ids)), Match(F_GROUPS, tuple(groups))))
    return index.count(where) > 0


def readable_documents(index: VectorIndex, groups: Sequence[str]) -> frozenset[str]:
    """The documents a user of ``groups`` may read a chunk of (one facet query). No groups:
    none (default-deny)."""
    if not groups:
        return frozenset()
    return frozenset(index.chunk_counts(PointFilter(must=(Match(F_GROUPS, tuple(groups)),))))
