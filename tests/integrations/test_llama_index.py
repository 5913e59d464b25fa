"""The llama-index retriever and query engine, with the real llama-index-core, against the
real service (real index, models, SQLite) on loopback."""

from __future__ import annotations

import pytest

from tests.service_fixtures import Service

pytest.importorskip("llama_index.core", reason="the llama-index extra is not installed")

from integrations.llama_index import (
    DocentApiError,
    DocentQueryEngine,
    DocentRetriever,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LEGAL = "Sourcegraph legal contract review process"


def test_the_retriever_returns_what_retrieve_returns_with_its_metadata(service: Service) -> None:
    hits = DocentRetriever(service.url, service.keys["bob"], top_k=8).retrieve(
        "On which weekday does GSA process new badges?"
    )
    with service.client("bob") as c:
        direct = c.post(
            "/v1/retrieve",
            json={"query": "On which weekday does GSA process new badges?", "top_k": 8},
        ).json()["chunks"]
    assert [(h.node.node_id, h.score) for h in hits] == [(d["id"], d["score"]) for d in direct]
    first = hits[0].node.metadata
    assert first["path"].endswith(".md") and set(first) == {
        "doc_id",
        "path",
        "title",
        "section",
        "pages",
    }
    assert "wednesday" in hits[0].node.get_content().lower() or any(
        "wednesday" in h.node.get_content().lower() for h in hits
    )


def test_the_retriever_sees_what_its_key_may_read_and_nothing_else(service: Service) -> None:
    def paths(user: str) -> list[str]:
        retriever = DocentRetriever(service.url, service.keys[user], top_k=20)
        return [h.node.metadata["path"] for h in retriever.retrieve(LEGAL)]

    assert any("/departments/legal/" in p for p in paths("carol"))
    assert not any("/departments/legal/" in p for p in paths("bob"))
    assert paths("guest") == []
    with pytest.raises(DocentApiError) as bad:
        DocentRetriever(service.url, "dk_not_a_key").retrieve(LEGAL)
    assert bad.value.status == 401


def test_the_query_engine_keeps_citations_and_abstentions(service: Service) -> None:
    engine = DocentQueryEngine.connect(service.url, service.keys["bob"])
    answer = engine.query(
        "How many hours of administrative leave can I take for each election event?"
    )
    assert "4 hours" in str(answer) and not answer.metadata["abstained"]
    assert answer.source_nodes and answer.source_nodes[0].node.metadata["path"].endswith("leave.md")
    unknown = engine.query("What is the dress code for the annual company ski trip to Aspen?")
    assert unknown.metadata["abstained"] and unknown.source_nodes == []
