"""The query pipeline: wires the stages together and records timings for every answer."""

from __future__ import annotations

import collections.abc as cabc
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from app.generation.base import GenerationParams, Generator
from app.pipeline.answerability import AnswerabilityCheck
from app.pipeline.cache import AnswerCache, CacheKey
from app.pipeline.citations import CitationChecker, split_sentences
from app.pipeline.errors import GenerationUnavailable
from app.pipeline.extractive import ExtractiveAnswerer
from app.pipeline.leak_guard import PromptLeakGuard, finished_part
from app.pipeline.linking import EntityLinker, boost_terms
from app.pipeline.output_safety import sanitize
from app.pipeline.preprocess import Preprocessor
from app.pipeline.prompt import PromptBuilder
from app.pipeline.retrieve import Retriever
from app.pipeline.rewrite import Rewriter
from app.pipeline.safety import SafetyChecker, quarantine_sources
from app.pipeline.types import (
    AnswerSource,
    Citation,
    LinkedEntity,
    QueryResult,
    RetrievedChunk,
    Turn,
    User,
)
from app.settings import CacheScope
from ingest.embedder import cache_scope

log = logging.getLogger("docent.pipeline")

ABSTAIN_TEXT = "I could not find this in the documents you can access."


class Gate(Protocol):
    """Admission to generation (the API's concurrency cap)."""

    def acquire(self) -> None: ...
    def release(self) -> None: ...


class OpenGate:
    """No cap: for the CLI, eval and tests."""

    def acquire(self) -> None:
        return None

    def release(self) -> None:
        return None


@dataclass(frozen=True)
class AbstainPolicy:
    """When the sources are too weak to answer from. Tuned on the dev and docent sets."""

    min_similarity: float = 0.30  # best chunk's cosine similarity to the dense query
    min_coverage: float = 0.6  # IDF-weighted share of the question's terms in the top chunks
    min_chunk_coverage: float = 0.55  # the same share in the best single one of them
    min_extract_score: float = 0.35  # best extractive sentence's score
    # term coverage is lexical ("bought" is not "purchased"): a quote the embedding model
    # puts this close to the question answers it even when coverage is low
    strong_quote: float = 0.85


@dataclass
class PipelineEvent:
    """``token`` (raw model text), ``citations`` (verified) or ``result`` (final)."""

    kind: str
    data: Any


@dataclass
class _Timer:
    marks: dict[str, float] = field(default_factory=dict)
    _t: float = field(default_factory=time.perf_counter)
    _start: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.marks[stage] = round((now - self._t) * 1000, 2)
        self._t = now

    def total(self) -> dict[str, float]:
        return {**self.marks, "total": round((time.perf_counter() - self._start) * 1000, 2)}


def _allowed(text: str, guard: PromptLeakGuard, sep: str = " ") -> str:
    """The sentences of ``text`` the guard lets through, joined by ``sep``."""
    return sep.join(s for s in split_sentences(text) if guard.allows(s))


def _citation(n: int, chunk: RetrievedChunk, snippet: str | None = None) -> Citation:
    return Citation(
        n=n,
        doc_id=chunk.doc_id,
        path=chunk.path,
        title=chunk.title,
        section=chunk.section,
        snippet=(snippet or chunk.text)[:400],
        score=round(chunk.score, 4),
        pages=chunk.pages,
    )


class QueryPipeline:
    """Question in, grounded and verified answer out. Stages are injected, not global."""

    def __init__(
        self,
        *,
        preprocessor: Preprocessor,
        safety: SafetyChecker,
        linker: EntityLinker,
        rewriter: Rewriter,
        retriever: Retriever,
        prompts: PromptBuilder,
        generator: Generator,
        checker: CitationChecker,
        extractive: ExtractiveAnswerer,
        answerability: AnswerabilityCheck,
        cache: AnswerCache,
        index_version: Callable[[], str],
        params: GenerationParams,
        abstain: AbstainPolicy | None = None,
        allowed_hosts: list[str] | None = None,
        gate: Gate | None = None,
        cache_scope: CacheScope = CacheScope.USER,
    ) -> None:
        self.preprocessor = preprocessor
        self.safety = safety
        self.linker = linker
        self.rewriter = rewriter
        self.retriever = retriever
        self.prompts = prompts
        self.generator = generator
        self.checker = checker
        self.extractive = extractive
        self.answerability = answerability
        self.cache = cache
        self.index_version = index_version
        self.params = params
        self.abstain = abstain or AbstainPolicy()
        self.allowed_hosts = allowed_hosts or []
        self.gate = gate or OpenGate()
        self.cache_scope = cache_scope

    def _scope(self, user: User) -> str:
        """Whose cache entries a user's question may read and fill (see Settings)."""
        return user.id if self.cache_scope is CacheScope.USER else ""

    def run(self, question: str, user: User, history: list[Turn] | None = None) -> QueryResult:
        result: QueryResult | None = None
        for event in self.stream(question, user, history):
            if event.kind == "result":
                result = event.data
        assert result is not None
        return result

    def cached(self, question: str, user: User, trace_id: str) -> QueryResult | None:
        """The cached answer to a first question (no history), or None; takes well under a
        millisecond, so a server can answer hits without handing off to a worker thread.
        Raises what ``stream`` raises for a question that is too long or refused."""
        timer = _Timer()
        pre = self.preprocessor.run(question)
        timer.lap("preprocess")
        self.safety.run(pre.text)
        timer.lap("safety")
        key = self._cache_key(pre.text, user)
        return self._from_cache(key, pre.text, trace_id, timer)

    def rank(self, question: str, user: User, limit: int) -> list[RetrievedChunk]:
        """The ranked chunks an answer to this first question would be packed from: the
        same linking, boost and rerank as ``stream``, without the answer. Raises what
        ``stream`` raises for a question that is too long or refused."""
        pre = self.preprocessor.run(question)
        self.safety.run(pre.text)
        query_text, boost, topic = self._search_terms(
            pre.text, self.linker.run(pre.text, user.groups)
        )
        with cache_scope(self._scope(user)):
            ranked = self.retriever.ranked(query_text, user.groups, boost, limit, topic)
        return quarantine_sources(ranked[:limit])[0]

    def _search_terms(
        self, standalone: str, linked: list[LinkedEntity]
    ) -> tuple[str, tuple[str, ...], str]:
        """What retrieval reads: the BM25 text, the entity boost and the dense text."""
        return (
            self.linker.expand(standalone, linked),
            boost_terms(self.linker, linked),
            self.linker.topic(standalone, linked),
        )

    def _cache_key(self, standalone: str, user: User) -> CacheKey:
        return CacheKey(
            self.preprocessor.run(standalone).cache_key,
            tuple(sorted(user.groups)),
            self._scope(user),
            self.index_version(),
            self.prompts.version_for(user.id),
            self.generator.name,
        )

    def stream(
        self,
        question: str,
        user: User,
        history: list[Turn] | None = None,
        trace_id: str | None = None,
    ) -> cabc.Generator[PipelineEvent, None, None]:
        """Events for one question: ``token``s (sentences that passed the leak guard),
        then ``citations``, then the ``result``."""
        with cache_scope(self._scope(user)):
            yield from self._stream(question, user, history, trace_id)

    def _stream(
        self,
        question: str,
        user: User,
        history: list[Turn] | None,
        trace_id: str | None,
    ) -> cabc.Generator[PipelineEvent, None, None]:
        timer = _Timer()
        trace_id = trace_id or uuid.uuid4().hex
        pre = self.preprocessor.run(question)
        timer.lap("preprocess")
        safety = self.safety.run(pre.text)
        timer.lap("safety")
        version = self.prompts.version_for(user.id)

        # without history the question is already standalone: look in the cache before
        # paying for entity linking
        key = self._cache_key(pre.text, user) if not history else None
        hit = self._from_cache(key, pre.text, trace_id, timer) if key else None
        if hit is not None:
            yield PipelineEvent("citations", hit.citations)
            yield PipelineEvent("result", hit)
            return

        linked = self.linker.run(pre.text, user.groups)
        rewrite = self.rewriter.run(pre.text, list(history or []), linked)
        if rewrite.is_follow_up:
            known = {e.canonical for e in linked}
            linked += [
                e
                for e in self.linker.run(rewrite.standalone, user.groups)
                if e.canonical not in known
            ]
            linked += [
                LinkedEntity(c, c, "CARRIED")
                for c in rewrite.carried_entities
                if c not in {e.canonical for e in linked} and self.linker.visible(c, c, user.groups)
            ]
        standalone = rewrite.standalone
        query_text, boost, topic = self._search_terms(standalone, linked)
        timer.lap("grounding")
        if key is None:
            key = self._cache_key(standalone, user)
            hit = self._from_cache(key, pre.text, trace_id, timer)
            if hit is not None:
                yield PipelineEvent("citations", hit.citations)
                yield PipelineEvent("result", hit)
                return

        retrieval = self.retriever.run(query_text, user.groups, boost, dense_query=topic)
        # planted instructions leave the sources before the model, quotes or checks see them
        chunks, quarantined = quarantine_sources(retrieval.chunks)
        timer.lap("retrieve")

        base: dict[str, Any] = dict(
            question=pre.text,
            standalone_question=standalone,
            entities=linked,
            prompt_version=version,
            generator=self.generator.name,
            safety={**safety.as_trace(), "quarantined_sentences": quarantined},
            retrieved=chunks,
            trace_id=trace_id,
        )
        answerability = self.answerability.score(standalone, chunks)
        base["answerability"] = round(answerability.together, 3)
        covered = (
            answerability.together >= self.abstain.min_coverage
            and answerability.best >= self.abstain.min_chunk_coverage
        )
        weak = (
            not chunks
            or retrieval.top_similarity < self.abstain.min_similarity
            or (
                not covered
                and self.extractive.run(standalone, chunks, dense_question=topic).score
                < self.abstain.strong_quote
            )
        )
        if weak:
            result = self._abstained(base, chunks, timer)
            yield PipelineEvent("citations", [])
            yield PipelineEvent("result", result)
            self.cache.put(key, result)
            return

        prompt = self.prompts.run(standalone, chunks, version)
        timer.lap("prompt")
        parts: list[str] = []
        tokens_in = tokens_out = 0
        # tokens are released a sentence at a time, once the leak guard has read it
        guard = PromptLeakGuard(prompt.messages[0]["content"], [c.text for c in chunks], standalone)
        pending = ""
        self.gate.acquire()  # raises Overloaded when every generation slot is busy
        try:
            for delta in self.generator.stream(prompt.messages, self.params):
                if delta.text:
                    parts.append(delta.text)
                    finished, pending = finished_part(pending + delta.text)
                    if shown := _allowed(finished, guard):
                        yield PipelineEvent("token", shown + " ")
                if delta.done:
                    tokens_in, tokens_out = delta.tokens_in or 0, delta.tokens_out or 0
            if shown := _allowed(pending, guard):
                yield PipelineEvent("token", shown)
        except GenerationUnavailable as exc:
            # the model crashed, hung or is unreachable: the answer is quoted instead, and
            # any text it streamed before failing is discarded (the result replaces it)
            log.warning("answering with quotes", extra={"fields": {"why": str(exc)}})
            parts, base["degraded"] = [], True
        finally:
            self.gate.release()
        timer.lap("generate")

        # one sentence per paragraph: the check splits them exactly as it would have
        generated = _allowed("".join(parts), guard, sep="\n\n")
        # the quotes and the claims the check must embed go to the model in one batch
        extract = self.extractive.run(
            standalone,
            chunks,
            prefetch=self.checker.open_claims(generated, chunks),
            dense_question=topic,
        )
        checked = self.checker.run(generated, chunks)
        source = AnswerSource.GENERATED
        text, sentences, cited = checked.text, checked.sentences, checked.kept
        supported = " ".join(s.text for s in checked.sentences if s.supported)
        # a small model's answer can be supported by its source and still miss the question:
        # keep it only when it addresses the question about as well as the best quote does
        if (
            checked.supported
            and self.extractive.relevance(standalone, supported, topic) < extract.score * 0.9
        ):
            checked = replace(
                checked, sentences=[replace(s, supported=False) for s in checked.sentences]
            )
        if not checked.supported:
            if extract.score < self.abstain.min_extract_score or not extract.text:
                result = self._abstained(
                    base, chunks, timer, tokens_in, tokens_out, checked.dropped
                )
                yield PipelineEvent("citations", [])
                yield PipelineEvent("result", result)
                if not result.degraded:
                    self.cache.put(key, result)
                return
            source = AnswerSource.EXTRACTIVE
            text, sentences, cited = extract.text, extract.sentences, extract.cited
        citations = [_citation(n, chunks[n - 1]) for n in cited]
        timer.lap("postprocess")
        result = QueryResult(
            answer=sanitize(text, self.allowed_hosts),
            citations=citations,
            abstained=False,
            answer_source=source,
            sentences=sentences,
            dropped_citations=checked.dropped,
            timings_ms=timer.total(),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            **base,
        )
        yield PipelineEvent("citations", citations)
        yield PipelineEvent("result", result)
        if not result.degraded:  # a quote-only stand-in is not kept once the model is back
            self.cache.put(key, result)

    def _from_cache(
        self, key: CacheKey, question: str, trace_id: str, timer: _Timer
    ) -> QueryResult | None:
        cached = self.cache.get(key)
        if cached is None:
            return None
        cached.trace_id = trace_id
        cached.question = question
        cached.answer_source = AnswerSource.CACHE
        cached.timings_ms = timer.total()
        return cached

    def _abstained(
        self,
        base: dict[str, Any],
        chunks: list[RetrievedChunk],
        timer: _Timer,
        tokens_in: int = 0,
        tokens_out: int = 0,
        dropped: int = 0,
    ) -> QueryResult:
        timer.lap("postprocess")
        return QueryResult(
            answer=ABSTAIN_TEXT,
            citations=[],
            abstained=True,
            answer_source=AnswerSource.ABSTAINED,
            dropped_citations=dropped,
            closest_sources=[_citation(i, c) for i, c in enumerate(chunks[:3], start=1)],
            timings_ms=timer.total(),
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            **base,
        )
