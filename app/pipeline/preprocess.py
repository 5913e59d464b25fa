"""Stage 1: normalize the question and enforce limits. Spelling is never "corrected"."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from app.pipeline.errors import InvalidQuestion
from app.pipeline.types import Turn
from core.text import INVISIBLE

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Preprocessed:
    text: str  # what the rest of the pipeline uses
    cache_key: str  # case- and space-insensitive form for the answer cache


class Preprocessor:
    def __init__(self, *, max_chars: int, max_turns: int) -> None:
        if max_chars < 10 or max_turns < 1:
            raise ValueError("max_chars must be at least 10, and max_turns at least 1")
        self.max_chars = max_chars
        self.max_turns = max_turns

    @staticmethod
    def _normalise(text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        text = INVISIBLE.sub("", text)
        text = _CONTROL.sub(" ", text)
        return " ".join(text.split())

    def history(self, turns: list[Turn]) -> list[Turn]:
        """The last ``max_turns`` earlier turns, questions and answers normalised like a
        question and cut to its limit. History comes from clients too (the chat protocol
        sends it whole): it is bounded, never refused, so that no stage reads more than
        ``max_turns`` question lengths of it."""
        return [
            replace(
                t,
                question=self._normalise(t.question)[: self.max_chars],
                answer=self._normalise(t.answer)[: self.max_chars],
            )
            for t in turns[len(turns) - self.max_turns :]
        ]

    def key(self, text: str) -> str:
        """The answer-cache key of an accepted question or of a follow-up's rewrite (which
        may be longer than a question may be: it is not refused)."""
        return self._normalise(text).lower().rstrip("?!. ")

    def run(self, question: str) -> Preprocessed:
        text = self._normalise(question)
        if not text:
            raise InvalidQuestion("The question is empty: type a question about your documents.")
        if len(text) > self.max_chars:
            raise InvalidQuestion(
                f"The question is {len(text)} characters long; the limit is {self.max_chars}. "
                "Shorten it or split it into several questions."
            )
        return Preprocessed(text=text, cache_key=self.key(text))
