"""One contract suite, run against every VectorIndex backend.

The server backend runs against qdrant-client's in-memory stand-in, and against a real
Qdrant server when DOCENT_QDRANT_URL is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from indexes.access import readable_documents
from indexes.edge import EdgeIndex
from indexes.errors import IndexLockedError
from indexes.protocol import VectorIndex
from indexes.schema import (
    DENSE_DIM,
    F_GROUPS,
    ChunkPoint,
    Match,
    PointFilter,
    SearchRequest,
    SparseVec,
    point_id,
)
from indexes.server import ServerIndex
from indexes.store import EdgeStore

pytestmark = pytest.mark.integration

BACKENDS = ["edge", "server-memory"] + (
    ["server-real"] if os.environ.get("DOCENT_QDRANT_URL") else []
)


def _vec(i: int) -> list[float]:
    v = [0.0] * DENSE_DIM
    v[i % DENSE_DIM] = 1.0
    v[(i + 1) % DENSE_DIM] = 0.5
    return v


def _point(
    doc: str, idx: int, groups: list[str], word: int, ents: list[str] | None = None
) -> ChunkPoint:
    return ChunkPoint(
        id=point_id(doc, idx),
        dense=_vec(word),
        sparse=SparseVec([word, 1000 + idx], [1.0, 0.5]),
        payload={
            "doc_id": doc,
            "chunk_index": idx,
            "chunk_count": 2,
            "groups": groups,
            "doc_hash": f"h-{doc}",
            "path": f"{doc}.md",
            "title": doc,
            "text": f"t{word}",
            "entities": ents or [],
        },
    )


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndex]:
    if request.param == "edge":
        idx: VectorIndex = EdgeIndex(tmp_path / "shard", "c_v1")
        yield idx
        idx.close()
        return
    from qdrant_client import QdrantClient

    if request.param == "server-real":
        client = QdrantClient(
            url=os.environ["DOCENT_QDRANT_URL"], api_key=os.environ.get("DOCENT_QDRANT_API_KEY")
        )
    else:
        client = QdrantClient(location=":memory:")
    name = f"contract_{uuid.uuid4().hex[:8]}"
    yield ServerIndex(client, name)
    client.delete_collection(name)
    client.close()


@pytest.fixture
def loaded(index: VectorIndex) -> VectorIndex:
    index.upsert(
        [
            _point("hr", 0, ["hr"], 1),
            _point("hr", 1, ["hr"], 2),
            _point("eng", 0, ["eng", "everyone"], 3, ["Slack"]),
            _point("eng", 1, ["eng", "everyone"], 4),
        ]
    )
    return index


def test_upsert_is_idempotent_by_deterministic_id(loaded: VectorIndex) -> None:
    loaded.upsert([_point("hr", 0, ["hr"], 1)])
    assert loaded.count() == 4
    assert loaded.chunk_counts() == {"hr": 2, "eng": 2}


def test_readable_documents_are_those_with_a_chunk_in_the_groups(loaded: VectorIndex) -> None:
    assert loaded.chunk_counts(PointFilter(must=(Match(F_GROUPS, ("hr",)),))) == {"hr": 2}
    assert readable_documents(loaded, ["everyone"]) == {"eng"}
    assert readable_documents(loaded, ["everyone", "hr"]) == {"eng", "hr"}
    assert readable_documents(loaded, []) == frozenset()  # default-deny


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid"])
def test_search_never_returns_chunks_outside_the_groups(loaded: VectorIndex, mode: str) -> None:
    req = SearchRequest(
        groups=("everyone",),
        limit=10,
        dense=_vec(1) if mode != "sparse" else None,
        sparse=SparseVec([1, 3], [1.0, 1.0]) if mode != "dense" else None,
    )
    hits = loaded.search(req)
    assert hits and {h.payload["doc_id"] for h in hits} == {"eng"}
    assert all(h.dense is not None and len(h.dense) == DENSE_DIM for h in hits)


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_a_ranking_only_search_returns_the_same_order_without_content(
    loaded: VectorIndex, mode: str
) -> None:
    req = SearchRequest(
        groups=("hr", "eng"),
        limit=4,
        dense=_vec(3),
        sparse=SparseVec([3], [1.0]) if mode == "hybrid" else None,
    )
    full = loaded.search(req)
    bare = loaded.search(replace(req, ranking_only=True))
    assert full and [h.id for h in bare] == [h.id for h in full]
    assert all(h.payload == {} and h.dense is None for h in bare)


def test_no_groups_means_no_results(loaded: VectorIndex) -> None:
    assert loaded.search(SearchRequest(groups=(), limit=10, dense=_vec(1))) == []


def test_hybrid_ranks_and_entity_filter(loaded: VectorIndex) -> None:
    hits = loaded.search(
        SearchRequest(
            groups=("hr", "eng"),
            limit=4,
            dense=_vec(3),
            sparse=SparseVec([3], [1.0]),
            boost_entities=("Slack",),
        )
    )
    assert hits[0].payload["doc_id"] == "eng" and hits[0].payload["chunk_index"] == 0
    only = loaded.search(
        SearchRequest(groups=("hr", "eng"), limit=4, dense=_vec(1), require_entities=("Slack",))
    )
    assert [h.payload["chunk_index"] for h in only] == [0] and only[0].payload["doc_id"] == "eng"


def test_entity_boost_keeps_the_dense_sparse_balance(index: VectorIndex) -> None:
    # dense puts "a" first and BM25 "b"; Qdrant's weighted RRF scores rank r as
    # 1 / (r / w + k - 1), so at w = 0.9 BM25's gap between its first two decides it for
    # "b". Both mention the linked entity: boosting every ranking alike must keep that
    index.upsert([_point("a", 0, ["g"], 10, ["Slack"]), _point("b", 1, ["g"], 11, ["Slack"])])
    req = SearchRequest(
        groups=("g",),
        limit=2,
        dense=_vec(10),
        sparse=SparseVec([11, 1000], [1.0, 1.0]),
        sparse_weight=0.9,
    )
    plain = [h.payload["doc_id"] for h in index.search(req)]
    boosted = [h.payload["doc_id"] for h in index.search(replace(req, boost_entities=("Slack",)))]
    assert plain == boosted == ["b", "a"]


def test_delete_set_payload_scroll_and_documents(loaded: VectorIndex) -> None:
    loaded.set_payload(PointFilter(must=(Match("doc_id", ("hr",)),)), {"groups": ["everyone"]})
    assert {
        h.payload["doc_id"]
        for h in loaded.search(SearchRequest(groups=("everyone",), limit=10, dense=_vec(1)))
    } == {"hr", "eng"}
    loaded.delete(
        PointFilter(must=(Match("doc_id", ("hr",)),), must_not=(Match("chunk_index", (0,)),))
    )
    docs = loaded.documents()
    assert docs["hr"].stored_chunks == 1 and not docs["hr"].complete
    assert docs["eng"].complete
    assert len(loaded.scroll(PointFilter(), ["doc_id"])) == 3


def test_edge_shard_admits_one_process(tmp_path: Path) -> None:
    first = EdgeIndex(tmp_path / "s", "x")
    try:
        with pytest.raises(IndexLockedError, match="--via-api"):
            EdgeIndex(tmp_path / "s", "x")
    finally:
        first.close()


def test_edge_store_alias_switch(tmp_path: Path) -> None:
    store = EdgeStore(tmp_path / "idx")
    v1 = store.active()
    v2 = store.new_version()
    assert store.active_name() == v1.name != v2.name
    store.switch(v2)
    assert store.active_name() == v2.name
    store.drop(v1.name)
    assert store.versions() == [v2.name]
    store.close()
