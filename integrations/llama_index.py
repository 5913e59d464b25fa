"""Docent inside llama-index apps: a retriever and a query engine over its HTTP API.

    from integrations.llama_index import DocentRetriever
    retriever = DocentRetriever("http://127.0.0.1:8000", api_key=KEY, top_k=5)
    for hit in retriever.retrieve("How long is parental bereavement leave?"):
        print(hit.score, hit.node.metadata["path"], hit.node.metadata["section"])

Both call the API as the key's owner, so permissions are Docent's: a retriever never sees
a chunk its user may not read. ``DocentQueryEngine`` asks ``/v1/ask`` and keeps Docent's
verified citations (as source nodes) and its abstentions (``metadata["abstained"]``).
Install with ``pip install docent[llama-index]``.
"""

from __future__ import annotations

from typing import Any

import httpx
from llama_index.core.base.response.schema import Response
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from pydantic import ConfigDict


class DocentApiError(RuntimeError):
    """The service refused or failed the request; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Docent answered {status}: {message}")
        self.status = status


def _call(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    try:
        response = client.post(path, json=body)
    except httpx.HTTPError as exc:
        raise DocentApiError(0, f"the service is not reachable ({exc})") from exc
    if response.status_code != 200:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        raise DocentApiError(response.status_code, message)
    data: dict[str, Any] = response.json()
    return data


def _client(base_url: str, api_key: str, timeout_s: float) -> httpx.Client:
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        headers={"Authorization": f"Bearer {api_key}"},
        timeout=timeout_s,
    )


def _node(chunk: dict[str, Any], text_key: str) -> TextNode:
    metadata = {
        "doc_id": chunk["doc_id"],
        "path": chunk["path"],
        "title": chunk["title"],
        "section": chunk["section"],
        "pages": list(chunk.get("pages") or []),
    }
    if chunk.get("id"):  # a retrieved chunk's id; a citation gets a fresh one
        return TextNode(id_=chunk["id"], text=chunk[text_key], metadata=metadata)
    return TextNode(text=chunk[text_key], metadata=metadata)


class DocentRetriever(BaseRetriever):
    """``/v1/retrieve`` as a llama-index retriever: Docent's hybrid search, entity boost
    and rerank, filtered by the key owner's groups inside the query."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        top_k: int = 5,
        timeout_s: float = 60.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.top_k = top_k
        self._http = _client(base_url, api_key, timeout_s)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        data = _call(
            self._http, "/v1/retrieve", {"query": query_bundle.query_str, "top_k": self.top_k}
        )
        return [
            NodeWithScore(node=_node(chunk, "text"), score=float(chunk["score"]))
            for chunk in data["chunks"]
        ]


class DocentQueryEngine(CustomQueryEngine):
    """``/v1/ask`` as a llama-index query engine: the answer Docent verified, its cited
    passages as source nodes, and whether it abstained."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    http: httpx.Client

    @classmethod
    def connect(cls, base_url: str, api_key: str, timeout_s: float = 180.0) -> DocentQueryEngine:
        return cls(http=_client(base_url, api_key, timeout_s))

    def custom_query(self, query_str: str) -> Response:
        data = _call(self.http, "/v1/ask", {"question": query_str})
        sources = [
            NodeWithScore(node=_node(c, "snippet"), score=float(c["score"]))
            for c in data["citations"]
        ]
        metadata = {
            "abstained": data["abstained"],
            "trace_id": data["trace_id"],
            "citations": data["citations"],
            "closest_sources": data["closest_sources"],
        }
        return Response(response=data["answer"], source_nodes=sources, metadata=metadata)
