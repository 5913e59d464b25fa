"""What the pipeline's stages hand each other on the way to a result: the grounded
question, the per-question basis every result shares, the generation, and stage timings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from app.pipeline.policy import Decision, Outcome
from app.pipeline.types import (
    AnswerSource,
    Citation,
    LinkedEntity,
    QueryResult,
    RetrievedChunk,
    SentenceCheck,
)

ABSTAIN_TEXT = "I could not find this in the documents you can access."


@dataclass
class Timer:
    marks: dict[str, float] = field(default_factory=dict)
    _t: float = field(default_factory=time.perf_counter)
    _start: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.marks[stage] = round((now - self._t) * 1000, 2)
        self._t = now

    def total(self) -> dict[str, float]:
        return {**self.marks, "total": round((time.perf_counter() - self._start) * 1000, 2)}


def citation_of(n: int, chunk: RetrievedChunk, snippet: str | None = None) -> Citation:
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


@dataclass(frozen=True)
class Grounded:
    """The question after grounding: standalone, its entities and what retrieval reads."""

    standalone: str
    entities: list[LinkedEntity]
    query_text: str  # BM25 text, acronyms expanded
    boost: tuple[str, ...]  # linked entities' boost terms
    dense_text: str  # the dense query (company-wide scope entities left out)


@dataclass(frozen=True)
class Basis:
    """What every result of one question shares, whichever way it is answered."""

    question: str
    grounded: Grounded
    prompt_version: str
    generator: str
    safety: dict[str, Any]
    chunks: list[RetrievedChunk]
    trace_id: str
    answerability: float
    question_vector: tuple[float, ...] = ()
    top_similarity: float = 0.0

    def result(
        self,
        timer: Timer,
        decision: Decision,
        *,
        answer: str = ABSTAIN_TEXT,
        citations: list[Citation] | None = None,
        source: AnswerSource = AnswerSource.ABSTAINED,
        sentences: list[SentenceCheck] | None = None,
        generated: Generated | None = None,
        dropped: int = 0,
        checked: list[SentenceCheck] | None = None,
    ) -> QueryResult:
        """``checked``: the model's sentences as the citation check judged them, whatever
        the answer finally used (the live unsupported-sentence rate counts them all)."""
        abstained = decision.outcome is Outcome.ABSTAIN
        timer.lap("postprocess")
        return QueryResult(
            answer=answer,
            citations=citations or [],
            abstained=abstained,
            question=self.question,
            standalone_question=self.grounded.standalone,
            entities=self.grounded.entities,
            prompt_version=self.prompt_version,
            generator=self.generator,
            answer_source=source,
            sentences=sentences or [],
            dropped_citations=dropped,
            closest_sources=[citation_of(i, c) for i, c in enumerate(self.chunks[:3], start=1)]
            if abstained
            else [],
            timings_ms=timer.total(),
            tokens_in=generated.tokens_in if generated else 0,
            tokens_out=generated.tokens_out if generated else 0,
            safety=self.safety,
            retrieved=self.chunks,
            trace_id=self.trace_id,
            answerability=self.answerability,
            degraded=generated.degraded if generated else False,
            reason=decision.reason,
            question_vector=self.question_vector,
            top_similarity=self.top_similarity,
            model_sentences=len(checked or ()),
            model_unsupported=sum(not s.supported for s in checked or ()),
        )


@dataclass(frozen=True)
class Generated:
    text: str  # the sentences the leak guard let through
    tokens_in: int
    tokens_out: int
    degraded: bool  # the model failed: nothing it said is used
