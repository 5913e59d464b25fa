"""Stage 7a: parse ``[n]`` markers and check each cited sentence against the cited chunk.

A citation is kept when every number and name in the sentence appears in the chunk and
the sentence's content words overlap the chunk enough, or its embedding is close enough.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.pipeline.types import RetrievedChunk, SentenceCheck
from core.encoders import Embedder
from core.text import NUMBER_WORDS, STOPWORDS, split_sentences

CITATION = re.compile(r"\s?\[(\d{1,3})\]")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,:]\d+)*%?")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.I)


def numbers_in(text: str) -> set[str]:
    """Digits as written, plus number words as digits ("two weeks" -> "2")."""
    found = {n.rstrip("%").replace(",", "") for n in _NUMBER.findall(text)}
    return found | {str(NUMBER_WORDS[w.lower()]) for w in _NUMBER_WORD.findall(text)}


_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b([A-Z][a-zA-Z]+(?:\s[A-Z][a-zA-Z]+)*|[A-Z]{2,})\b")
_WORD = re.compile(r"[a-z0-9]+")


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 2]


def _stem(word: str) -> str:
    return word[:6]


@dataclass(frozen=True)
class CheckedAnswer:
    text: str  # the answer with invalid and unsupported markers removed
    sentences: list[SentenceCheck]
    kept: list[int]  # source numbers still cited, in order of first use
    dropped: int  # markers removed (out of range or unsupported)
    attributed: int = 0  # uncited sentences given the first source that supports them

    @property
    def supported(self) -> bool:
        return any(s.supported for s in self.sentences)


@dataclass(frozen=True, kw_only=True)
class SupportThresholds:
    """When a sentence counts as supported by its source (Settings: citation_overlap and
    citation_similarity, fitted with `python -m eval citations`)."""

    overlap: float  # share of the claim's content-word stems found in the source
    similarity: float  # embedding cosine, for claims the words alone leave undecided


@lru_cache(maxsize=512)
def _chunk_facts(title: str, section: str, text: str) -> tuple[str, set[str], frozenset[str]]:
    """A chunk's lower-cased text, numbers and content-word stems (checked many times)."""
    haystack = f"{title} {section} {text}"
    return (
        haystack.lower(),
        numbers_in(haystack),
        frozenset(_stem(w) for w in content_words(haystack)),
    )


def _claim(sentence: str) -> str:
    """What a sentence claims: its text without citation markers."""
    return CITATION.sub("", sentence).strip()


class CitationChecker:
    """Verifies every ``[n]`` against source n; ``embedder`` gives the similarity test."""

    def __init__(
        self,
        embedder: Embedder | None,
        thresholds: SupportThresholds,
        attribute_uncited: bool = True,
    ) -> None:
        self.embedder = embedder
        self.t = thresholds
        # small models often state a supported fact without a marker: cite the source that
        # passes the same check, rather than throwing a correct sentence away
        self.attribute_uncited = attribute_uncited

    def supports(self, sentence: str, chunk: RetrievedChunk) -> bool:
        claim = _claim(sentence)
        lexical = self._lexical(claim, chunk)
        if lexical is not None or self.embedder is None:
            return bool(lexical)
        from app.pipeline.retrieve import cosine

        [a] = self.embedder.embed([claim])
        b = list(chunk.dense) if chunk.dense is not None else self.embedder.embed([chunk.text])[0]
        return cosine(a, b) >= self.t.similarity

    def _lexical(self, claim: str, chunk: RetrievedChunk) -> bool | None:
        """The verdict from the words alone, or None when it takes the embedding test."""
        lower, numbers, chunk_stems = _chunk_facts(chunk.title, chunk.section, chunk.text)
        if not numbers_in(claim) <= numbers:
            return False
        for name in _NAME.findall(claim):
            if name.lower() not in lower:
                return False
        words = content_words(claim)
        if not words:
            return False
        overlap = sum(_stem(w) in chunk_stems for w in words) / len(words)
        if overlap >= self.t.overlap:
            return True
        if overlap < self.t.overlap / 2:
            return False
        return None

    def open_claims(self, answer: str, sources: Sequence[RetrievedChunk]) -> list[str]:
        """The claims ``run`` will have to embed: those the words alone leave undecided
        against a source they are checked with. Embedding them ahead, in one batch with other
        texts, saves a model call per sentence (the embedder caches)."""
        if self.embedder is None:
            return []
        k = len(sources)
        open_: list[str] = []
        for sentence in split_sentences(answer):
            cited = [int(n) for n in CITATION.findall(sentence) if 1 <= int(n) <= k]
            if cited:
                against = [sources[n - 1] for n in dict.fromkeys(cited)]
            else:
                against = list(sources) if self.attribute_uncited else []
            claim = _claim(sentence)
            if any(self._lexical(claim, c) is None for c in against):
                open_.append(claim)
        return list(dict.fromkeys(open_))

    def run(self, answer: str, sources: Sequence[RetrievedChunk]) -> CheckedAnswer:
        k = len(sources)
        checks: list[SentenceCheck] = []
        out_sentences: list[str] = []
        kept: list[int] = []
        dropped = attributed = 0
        for sentence in split_sentences(answer):
            cited = [int(n) for n in CITATION.findall(sentence)]
            valid = []
            for n in dict.fromkeys(cited):
                if 1 <= n <= k and self.supports(sentence, sources[n - 1]):
                    valid.append(n)
                else:
                    dropped += 1
            bare = CITATION.sub("", sentence).strip()
            if not cited and self.attribute_uncited:
                first = next((n for n, c in enumerate(sources, 1) if self.supports(bare, c)), None)
                if first is not None:
                    valid.append(first)
                    attributed += 1
            marked = bare
            if valid:
                tail = bare[-1] if bare[-1:] in ".!?" else ""
                body = bare[:-1] if tail else bare
                marked = body + "".join(f" [{n}]" for n in valid) + tail
            out_sentences.append(marked)
            checks.append(SentenceCheck(bare, tuple(valid), bool(valid)))
            kept.extend(n for n in valid if n not in kept)
        return CheckedAnswer(" ".join(out_sentences), checks, kept, dropped, attributed)
