"""The answer policy: every decision to answer, fall back to quotes or abstain, in one place.

The pipeline asks twice. Before generation: are the sources strong enough to try? After:
keep the model's checked answer, quote the sources instead, or abstain? Each answer is a
typed ``Decision`` with its reason, which the result and its trace carry. The thresholds
come from ``Settings`` (where each says what it was fitted on); there are no defaults here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from app.pipeline.answerability import Answerability


class Outcome(enum.StrEnum):
    GENERATE = "generate"  # before generation: the sources can answer, ask the model
    GENERATED = "generated"  # keep the model's verified answer
    QUOTED = "quoted"  # the model's answer failed; quote the best sentences instead
    ABSTAIN = "abstain"  # nothing readable supports an answer


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str


@dataclass(frozen=True, kw_only=True)
class AnswerPolicy:
    """Decides from retrieval, term coverage, the citation check and quote scores."""

    min_similarity: float  # best chunk's cosine to the dense query
    min_coverage: float  # IDF-weighted share of the question's terms in the top chunks
    min_chunk_coverage: float  # the same share in the best single one of them
    min_quote_score: float  # a best quote weaker than this answers nothing
    # coverage is lexical ("bought" is not "purchased"): a quote the embedding model puts
    # this close to the question answers it even when coverage is low
    strong_quote: float
    # a small model's answer can be supported and still miss the question: it is kept only
    # when it addresses the question at least this share as well as the best quote
    relevance_ratio: float

    def before_generation(
        self,
        *,
        has_sources: bool,
        out_of_scope: int,
        top_similarity: float,
        coverage: Answerability,
        quote_score: Callable[[], float],
        anchored: bool,
    ) -> Decision:
        """``quote_score`` is called only when coverage alone cannot decide (it embeds).
        ``anchored``: some source names what the question is most about."""
        if not has_sources and out_of_scope:
            return Decision(
                Outcome.ABSTAIN, "the matching sources are about another organisation or place"
            )
        if not has_sources:
            return Decision(Outcome.ABSTAIN, "no readable source matched the question")
        if top_similarity < self.min_similarity:
            return Decision(Outcome.ABSTAIN, "the closest source is far from the question")
        if not anchored:
            return Decision(Outcome.ABSTAIN, "no source names what the question is most about")
        covered = (
            coverage.together >= self.min_coverage and coverage.best >= self.min_chunk_coverage
        )
        if not covered and quote_score() < self.strong_quote:
            return Decision(
                Outcome.ABSTAIN, "the sources lack the question's terms and no quote is close"
            )
        return Decision(Outcome.GENERATE, "the sources cover the question")

    def after_generation(
        self,
        *,
        supported: bool,
        relevance: Callable[[], float],
        quote_score: float,
        has_quote: bool,
        cites_anchored: bool,
    ) -> Decision:
        """``relevance`` (of the supported sentences to the question) is called only for a
        supported answer. ``cites_anchored``: the answer cites a source naming what the
        question is most about."""
        if supported and cites_anchored and relevance() >= quote_score * self.relevance_ratio:
            return Decision(Outcome.GENERATED, "the model's answer is supported and on topic")
        if not supported:
            why = "supported by the sources"
        elif not cites_anchored:
            why = "from a source naming what the question is most about"
        else:
            why = "on topic"
        if has_quote and quote_score >= self.min_quote_score:
            return Decision(Outcome.QUOTED, f"the model's answer was not {why}: quoted instead")
        return Decision(Outcome.ABSTAIN, f"the model's answer was not {why}, and no quote was")
