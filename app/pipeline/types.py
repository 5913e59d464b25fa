"""Typed values passed between stages, and the final result."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class User:
    """The verified identity: groups come from here, never from a request body."""

    id: str
    groups: tuple[str, ...]
    name: str = ""
    via_key: str | None = None  # signed in with this personal API key (app/storage/keys.py)


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of the conversation."""

    question: str
    answer: str = ""
    entities: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()  # the documents its answer showed (re-checked on reuse)


@dataclass(frozen=True)
class LinkedEntity:
    mention: str
    canonical: str
    label: str


@dataclass(frozen=True)
class RetrievedChunk:
    """A chunk the user may read, as ranked by retrieval."""

    id: str
    doc_id: str
    path: str
    title: str
    section: str
    text: str
    score: float
    pages: tuple[int, ...] = ()
    entities: tuple[str, ...] = ()
    suspicious: bool = False
    dense: tuple[float, ...] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_payload(
        cls, id_: str, score: float, p: dict[str, Any], dense: list[float] | None = None
    ) -> RetrievedChunk:
        return cls(
            id=id_,
            doc_id=str(p.get("doc_id", "")),
            path=str(p.get("path", "")),
            title=str(p.get("title", "")),
            section=str(p.get("section", "")),
            text=str(p.get("text", "")),
            score=score,
            pages=tuple(p.get("pages") or ()),
            entities=tuple(p.get("entities") or ()),
            suspicious=bool(p.get("suspicious", False)),
            dense=tuple(dense) if dense is not None else None,
        )


class AnswerSource(enum.StrEnum):
    """Which path produced the final answer text."""

    GENERATED = "generated"
    EXTRACTIVE = "extractive"  # the model's answer failed the check; best sentences quoted
    ABSTAINED = "abstained"
    CACHE = "cache"


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    path: str
    title: str
    section: str
    snippet: str
    score: float
    pages: tuple[int, ...] = ()


@dataclass(frozen=True)
class SentenceCheck:
    text: str
    cited: tuple[int, ...]
    supported: bool


@dataclass
class QueryResult:
    """Everything the caller gets back, and everything the trace records."""

    answer: str
    citations: list[Citation]
    abstained: bool
    question: str
    standalone_question: str
    entities: list[LinkedEntity]
    prompt_version: str
    generator: str
    answer_source: AnswerSource
    sentences: list[SentenceCheck] = field(default_factory=list)
    dropped_citations: int = 0
    closest_sources: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    tokens_in: int = 0
    tokens_out: int = 0
    safety: dict[str, Any] = field(default_factory=dict)
    retrieved: list[RetrievedChunk] = field(default_factory=list)
    trace_id: str = ""
    answerability: float = 0.0  # IDF-weighted term coverage of the top chunks
    # the model was down, hung or crashed: the answer is quoted from the sources instead
    degraded: bool = False
    reason: str = ""  # why the answer policy answered, quoted or abstained
    model_sentences: int = 0  # the sentences the model wrote, as the citation check split them
    model_unsupported: int = 0  # of those, the ones no cited source supports
    # for drift monitoring (app/drift.py): the question's dense vector and its best chunk's
    # similarity; empty and 0 when no retrieval ran (a refused question)
    question_vector: tuple[float, ...] = ()
    top_similarity: float = 0.0


@dataclass(frozen=True)
class TokenEvent:
    """Model text, a sentence at a time, after the system-prompt leak guard read it."""

    text: str


@dataclass(frozen=True)
class CitationsEvent:
    """The verified citations, before the result."""

    citations: list[Citation]


@dataclass(frozen=True)
class ResultEvent:
    """The final result; its answer replaces any streamed text."""

    result: QueryResult


PipelineEvent = TokenEvent | CitationsEvent | ResultEvent
