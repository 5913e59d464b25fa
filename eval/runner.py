"""Run a dataset in-process (the configured pipeline) or against a running service."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from app.pipeline.factory import PipelineParts, build_pipeline
from app.pipeline.types import Turn, User
from core.settings import Settings
from eval.dataset import Case
from eval.metrics import CitationRecord, Outcome
from indexes.factory import open_catalogue, open_store
from indexes.store import IndexStore
from ingest.acl import AclResolver
from ingest.service import IngestService

EVAL_USER = User("eval", ("everyone",))


class Asker(Protocol):
    def ask(self, case: Case) -> Outcome: ...


def default_cache() -> Path:
    return Path.home() / ".cache" / "docent" / "embed-cache.sqlite"


@dataclass
class LocalAsker:
    """Asks through the pipeline in this process, as ``user``."""

    components: PipelineParts
    user: User = EVAL_USER

    def ask(self, case: Case) -> Outcome:
        pipeline = self.components.pipeline
        history: list[Turn] = []
        for earlier in case.history:
            r = pipeline.run(earlier, self.user, history)
            history.append(
                Turn(r.standalone_question, r.answer, tuple(e.canonical for e in r.entities))
            )
        result = pipeline.run(case.question, self.user, history)
        ranked = pipeline.rank(result.standalone_question, self.user, limit=10)
        by_n = {n: c for n, c in enumerate(result.retrieved, start=1)}
        return Outcome(
            case=case,
            answer=result.answer,
            abstained=result.abstained,
            ranked_paths=[c.path for c in ranked],
            citations=[
                CitationRecord(c.path, by_n[c.n].text if c.n in by_n else c.snippet)
                for c in result.citations
            ],
            dropped_citations=result.dropped_citations,
            timings_ms=result.timings_ms,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            answer_source=str(result.answer_source),
            retrieved_paths=[c.path for c in result.retrieved],
            standalone=result.standalone_question,
            reason=result.reason,
        )


class ApiAsker:
    """Asks a running Docent service over HTTP with one user's key.

    A citation is judged on the section it cites, read through ``GET /v1/documents/{id}``
    as a reader opening it would (the answer's snippet is cut short, and judging on it
    under-counted correct citations: 0.569 against 0.741 in-process on docent.jsonl). A 429
    waits the Retry-After it names (at most ``max_wait_s`` in all), so a scheduled run
    at the service's rate limit finishes instead of failing.
    """

    def __init__(
        self,
        url: str,
        key: str,
        timeout_s: float = 180,
        max_wait_s: float = 600,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.client = httpx.Client(
            base_url=url.rstrip("/"),
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {key}"},
            transport=transport,
        )
        self.max_wait_s = max_wait_s
        self.waited_s = 0.0
        self._sections: dict[tuple[str, str], str | None] = {}

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        while True:
            resp = self.client.request(method, path, **kw)
            if resp.status_code != 429:
                return resp
            try:  # seconds, as Docent sends it; an HTTP date or nonsense waits 1 s
                wait = max(1.0, float(resp.headers.get("Retry-After", "1")))
            except ValueError:
                wait = 1.0
            if self.waited_s + wait > self.max_wait_s:
                raise RuntimeError(f"{path}: still rate-limited after {self.waited_s:.0f} s")
            time.sleep(wait)
            self.waited_s += wait

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self._call("POST", path, json=body)
        if resp.status_code != 200:
            raise RuntimeError(f"{path} answered {resp.status_code}: {resp.text[:300]}")
        data: dict[str, Any] = resp.json()
        return data

    def _cited_text(self, citation: dict[str, Any]) -> str:
        key = (citation["doc_id"], citation["section"])
        if key not in self._sections:
            resp = self._call(
                "GET",
                f"/v1/documents/{citation['doc_id']}",
                params={"section": citation["section"]},
            )
            sections = resp.json()["sections"] if resp.status_code == 200 else []
            self._sections[key] = "\n".join(s["text"] for s in sections) or None
        return self._sections[key] or citation["snippet"]

    def ask(self, case: Case) -> Outcome:
        conversation: str | None = None
        for earlier in case.history:
            conversation = self._post(
                "/v1/ask", {"question": earlier, "conversation_id": conversation}
            )["conversation_id"]
        r = self._post("/v1/ask", {"question": case.question, "conversation_id": conversation})
        ranked = self._post("/v1/retrieve", {"query": r["standalone_question"], "top_k": 10})
        return Outcome(
            case=case,
            answer=r["answer"],
            abstained=r["abstained"],
            ranked_paths=[c["path"] for c in ranked["chunks"]],
            citations=[CitationRecord(c["path"], self._cited_text(c)) for c in r["citations"]],
            dropped_citations=r.get("dropped_citations", 0),
            timings_ms=r["timings_ms"],
            tokens_in=r.get("tokens_in", 0),
            tokens_out=r.get("tokens_out", 0),
            answer_source=r.get("answer_source", ""),
            standalone=r.get("standalone_question", ""),
            reason=r.get("reason", ""),
        )


DEMO_GLOSSARY = Path(__file__).resolve().parent.parent / "deploy" / "demo-glossary.yaml"


@dataclass
class LocalRun:
    components: PipelineParts
    settings: Settings
    store: IndexStore
    close: Callable[[], None]


def open_local(
    corpus: Path, settings: Settings, acl_file: Path | None = None, data_dir: Path | None = None
) -> LocalRun:
    """Load ``corpus`` into a fresh temporary index (the same code path as ``ingest``).
    Without a glossary configured, the demo corpus's (deploy/demo-glossary.yaml) is used, as
    ``make run`` does, so that a bare ``python -m eval run`` measures what people get."""
    tmp = tempfile.TemporaryDirectory(prefix="docent-eval-")
    settings = settings.model_copy(
        update={
            "glossary_file": settings.glossary_file or DEMO_GLOSSARY,
            "data_dir": data_dir or Path(tmp.name),
            "embedding": settings.embedding.model_copy(
                update={"cache_path": settings.embedding.cache_path or default_cache()}
            ),
        }
    )
    store = open_store(settings)
    catalogue = open_catalogue(settings)
    service = IngestService(settings, store, catalogue)
    acl = AclResolver.from_options(None if acl_file else "everyone", acl_file)
    try:
        report = service.load([corpus], acl)
    finally:
        service.close()
    if report.failed:
        print(f"eval: {len(report.failed)} files were not loaded (see `ingest load` for reasons)")
    # the pipeline builds its own query embedder, as the service does (its dtype may differ)
    components = build_pipeline(settings, store, catalogue)

    def close() -> None:
        components.close()
        catalogue.close()
        store.close()
        tmp.cleanup()

    return LocalRun(components, settings, store, close)
