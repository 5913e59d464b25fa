"""Stage 3a: rewrite a follow-up into a standalone question using the conversation.

Works without an LLM: pronouns are replaced by the previous turn's topic, elliptical
follow-ups ("and for contractors?") are merged into the previous question, and the
previous turn's entities are carried over for retrieval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from app.generation.base import GenerationParams, Generator, collect
from app.pipeline.errors import GenerationUnavailable
from app.pipeline.types import LinkedEntity, Turn

_ELLIPSIS = re.compile(
    r"^(?:and|also|but|or|what about|how about|and what about|same for|what if|"
    r"is that (?:also )?true for|does (?:that|this|it) (?:also )?apply to)\b[\s,]*(.*)$",
    re.I,
)
_PRONOUN = re.compile(r"\b(it|this|that|they|them|those|these|there|its)\b", re.I)
_QUESTION_WORD = re.compile(
    r"^(who|what|when|where|why|how|which|is|are|do|does|can|should|will)\b", re.I
)
_STOP = {
    "the",
    "a",
    "an",
    "of",
    "for",
    "to",
    "in",
    "on",
    "my",
    "our",
    "your",
    "i",
    "we",
    "do",
    "does",
    "is",
    "are",
    "what",
    "how",
    "many",
    "much",
    "when",
    "where",
    "who",
    "which",
    "can",
    "should",
    "get",
    "there",
    "any",
    "at",
    "by",
    "with",
    "and",
    "or",
    "about",
    "me",
}


@dataclass(frozen=True)
class Rewrite:
    standalone: str
    is_follow_up: bool
    carried_entities: tuple[str, ...]


def _topic(turn: Turn) -> str:
    """The previous turn's subject: its first entity, else its longest content phrase."""
    if turn.entities:
        return turn.entities[0]
    words = re.findall(r"[\w'-]+", turn.question)
    best: list[str] = []
    run: list[str] = []
    for w in [*words, "."]:
        if w.lower() not in _STOP and w != ".":
            run.append(w)
        else:
            if len(run) > len(best):
                best = run
            run = []
    return " ".join(best)


class FollowUpRewriter:
    """Heuristic rewriter with entity carry-over; an LLM rewrite can be layered on top."""

    def run(self, question: str, history: list[Turn], linked: list[LinkedEntity]) -> Rewrite:
        if not history:
            return Rewrite(question, False, ())
        prev = history[-1]
        text = question.strip()
        words = text.split()
        ellipsis = _ELLIPSIS.match(text)
        pronoun = _PRONOUN.search(text)
        short_fragment = len(words) <= 4 and not _QUESTION_WORD.match(text) and not linked
        if not (ellipsis or (pronoun and not linked) or short_fragment):
            return Rewrite(question, False, ())
        carried = tuple(e for e in prev.entities if e not in {x.canonical for x in linked})
        base = prev.question.strip().rstrip("?.! ")
        if ellipsis or short_fragment:
            rest = (ellipsis.group(1) if ellipsis else text).strip().rstrip("?.! ")
            standalone = f"{base}, {rest}?" if rest else f"{base}?"
        else:
            topic = _topic(prev)
            if not topic:
                return Rewrite(question, False, carried)
            standalone = _PRONOUN.sub(lambda m: topic, text, count=1)
        return Rewrite(standalone, True, carried)


class Rewriter(Protocol):
    def run(self, question: str, history: list[Turn], linked: list[LinkedEntity]) -> Rewrite: ...


_LLM_PROMPT = (
    "Rewrite the last question so that it can be understood without the conversation. "
    "Keep names and acronyms exactly as written. Reply with the question only.\n\n"
    "Conversation:\n{turns}\nLast question: {question}\nStandalone question:"
)


class LlmRewriter:
    """Asks the generator for the standalone question; the heuristic result is the fallback.

    Only follow-ups (as the heuristics see them) go to the model, and its answer is kept
    only when it looks like one question that still mentions the previous topic.
    """

    def __init__(self, generator: Generator, fallback: FollowUpRewriter | None = None) -> None:
        self.generator = generator
        self.fallback = fallback or FollowUpRewriter()

    def run(self, question: str, history: list[Turn], linked: list[LinkedEntity]) -> Rewrite:
        heuristic = self.fallback.run(question, history, linked)
        if not heuristic.is_follow_up:
            return heuristic
        turns = "\n".join(f"Q: {t.question}\nA: {t.answer[:300]}" for t in history[-3:])
        prompt = [{"role": "user", "content": _LLM_PROMPT.format(turns=turns, question=question)}]
        try:
            text = collect(self.generator, prompt, GenerationParams(0.0, 60, ("\n",))).text
        except GenerationUnavailable:  # the model is down: the heuristic rewrite stands
            return heuristic
        text = text.strip()
        previous = {w.lower() for w in re.findall(r"[\w'-]+", history[-1].question)} - _STOP
        words = {w.lower() for w in re.findall(r"[\w'-]+", text)}
        if not text or len(text) > 300 or text.count("?") > 1 or not (words & previous):
            return heuristic
        return Rewrite(text, True, heuristic.carried_entities)
