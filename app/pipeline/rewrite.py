"""Stage 3a: rewrite a follow-up into a standalone question using the conversation.

Works without an LLM: pronouns are replaced by the previous turn's topic, elliptical
follow-ups ("and for contractors?") are merged into the previous question, and the
previous turn's entities are carried over for retrieval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
