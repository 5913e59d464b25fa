"""Stage 1: normalize the question and enforce limits. Spelling is never "corrected"."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.pipeline.errors import InvalidQuestion
from core.text import INVISIBLE

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Preprocessed:
    text: str  # what the rest of the pipeline uses
    cache_key: str  # case- and space-insensitive form for the answer cache


class Preprocessor:
    def __init__(self, max_chars: int = 2000) -> None:
        if max_chars < 10:
            raise ValueError("max_chars must be at least 10")
        self.max_chars = max_chars

    @staticmethod
    def _normalise(text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        text = INVISIBLE.sub("", text)
        text = _CONTROL.sub(" ", text)
        return " ".join(text.split())

    def earlier(self, question: str) -> str:
        """An earlier turn's question, normalised like a question and cut to the limit.
        History comes from clients too (the chat protocol sends it whole): it is bounded,
        never refused, so that no stage reads more than a question's length of it."""
        return self._normalise(question)[: self.max_chars]

    def run(self, question: str) -> Preprocessed:
        text = self._normalise(question)
        if not text:
            raise InvalidQuestion("The question is empty: type a question about your documents.")
        if len(text) > self.max_chars:
            raise InvalidQuestion(
                f"The question is {len(text)} characters long; the limit is {self.max_chars}. "
                "Shorten it or split it into several questions."
            )
        return Preprocessed(text=text, cache_key=text.lower().rstrip("?!. "))
