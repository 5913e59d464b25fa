"""Pure-logic tests of retrieval's ordering (no index)."""

from __future__ import annotations

import pytest

from app.pipeline.retrieve import order_within_documents
from indexes.schema import Hit

pytestmark = pytest.mark.unit


def _hit(chunk: str) -> Hit:
    return Hit(id=chunk, score=0.0, payload={"doc_id": chunk[0]})


def test_the_boost_orders_documents_and_the_plain_ranking_orders_their_chunks() -> None:
    # document "a" holds chunks a1 (names the boosted entity) and a2 (answers the question)
    boosted = [_hit("a1"), _hit("b1"), _hit("a2"), _hit("c1")]
    plain = [_hit("a2"), _hit("c1"), _hit("b1"), _hit("a1")]
    ordered = [h.id for h in order_within_documents(boosted, plain)]
    assert ordered == ["a2", "b1", "a1", "c1"]  # a's slots stay a's, its best chunk first


def test_chunks_only_the_boost_found_follow_their_documents_plain_ones() -> None:
    boosted = [_hit("a1"), _hit("a2"), _hit("a3")]
    plain = [_hit("a3")]  # a1 and a2 only made the boosted candidate pool
    ordered = [h.id for h in order_within_documents(boosted, plain)]
    assert ordered == ["a3", "a1", "a2"]
    assert order_within_documents([], plain) == []
