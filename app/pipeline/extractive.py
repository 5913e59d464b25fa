"""Stage 7b: the deterministic extractive answer, quoting the best-supported sentences.

Used when the generated answer fails the citation check (the tiny CPU model often does),
and as the whole answer with the extractive generator.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.pipeline.answerability import TermScorer
from app.pipeline.citations import CITATION, split_sentences
from app.pipeline.retrieve import cosine
from app.pipeline.types import RetrievedChunk, SentenceCheck
from core.encoders import Embedder

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_NUMBERISH = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"hundred|half|once|twice)\b",
    re.I,
)
_WHEN = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|"
    r"april|may|june|july|august|september|october|november|december|daily|weekly|monthly|"
    r"annually|quarter|day|week|month|year)s?\b|\d{4}",
    re.I,
)
_URL = re.compile(r"https?://|www\.|\.gov\b|\.com\b")
_MONEY = re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:dollars|usd|eur|gbp)\b", re.I)
# (what the question asks for, what a sentence that answers it contains)
_ANSWER_TYPES = [
    (re.compile(r"\be-?mail\b", re.I), _EMAIL),
    (re.compile(r"\bhow (?:many|much|long|often|old)\b|\bpercent|\bnumber of\b", re.I), _NUMBERISH),
    (
        re.compile(
            r"\bwhen\b|\bwhat (?:day|date|time)\b|\bwhich (?:day|weekday|month)\b|"
            r"\bdeadline\b",
            re.I,
        ),
        _WHEN,
    ),
    (re.compile(r"\b(?:url|link|website|site)\b", re.I), _URL),
    (re.compile(r"\b(?:stipend|allowance|budget|cost|price|fee|salary)s?\b", re.I), _MONEY),
]


def answer_type_bonus(question: str, sentence: str) -> float:
    """A sentence holding the kind of thing the question asks for (a date, an address) ranks up."""
    return sum(
        0.15 for asks, has in _ANSWER_TYPES if asks.search(question) and has.search(sentence)
    )


@dataclass(frozen=True)
class QuoteSelection:
    text: str
    sentences: list[SentenceCheck]
    cited: list[int]
    score: float  # best sentence's score: low means the sources do not answer


_WORDS = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


_EMPHASIS = re.compile(r"\*\*|__")
_ANSWER_LABEL = re.compile(r"^(?:A|Answer)\s*:\s*", re.I)
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_QUOTE_MARK = re.compile(r"(?:^|\s)>(?=\s)")  # block-quote marks, kept in a joined paragraph
_MAX_UNIT_WORDS = 80


def _list_under_lead(lines: list[str], start: int) -> tuple[list[str], int]:
    """The list items that follow a lead-in line ending in a colon, and the line after them.

    Blank lines between items are skipped; the list ends at the first other line.
    """
    items: list[str] = []
    i = start
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        if not _LIST_ITEM.match(lines[i]) or lines[i].endswith(":"):
            break
        items.append(_LIST_ITEM.sub("", lines[i]).rstrip(".;"))
        i += 1
    return items, i


def quotable_units(text: str) -> list[str]:
    """Quotable units: sentences of prose, table rows as "cell: cell; cell", and a short list
    under a lead-in as "lead: item; item".

    A list is quoted whole with its lead ("Amount (per month): Internet: $50; Phone: $75"):
    an item alone ("Internet: $50") loses what the amount is for.

    Questions are not quotable: an FAQ's "Q: ...?" repeats the asker's words and states
    nothing, so it would outrank the answer that follows it.
    """
    out: list[str] = []
    lines = [_EMPHASIS.sub("", line).strip() for line in text.split("\n")]
    i = 0
    while i < len(lines):
        stripped = lines[i]
        i += 1
        if stripped.startswith("|") and stripped.endswith("|"):
            cells = [c.strip().strip("`* ") for c in stripped.strip("|").split("|")]
            cells = [c for c in cells if c and not set(c) <= set("-: ")]
            if len(cells) >= 2:
                out.append(f"{cells[0]}: " + "; ".join(cells[1:]))
            continue
        if not stripped:
            continue
        # a line is a paragraph or a list item: sentences never run across lines
        sentences = split_sentences(_QUOTE_MARK.sub(" ", _LIST_ITEM.sub("", stripped)).strip())
        if sentences and sentences[-1].endswith(":"):
            items, after = _list_under_lead(lines, i)
            unit = f"{sentences[-1]} " + "; ".join(items)
            if items and len(unit.split()) <= _MAX_UNIT_WORDS:
                sentences[-1] = unit
                i = after
        out += [_ANSWER_LABEL.sub("", s) for s in sentences if not s.endswith("?")]
    return out


class ExtractiveAnswerer:
    """Picks the sentences most likely to state the answer, and cites their chunks."""

    def __init__(
        self,
        embedder: Embedder,
        scorer: TermScorer,
        max_sentences: int = 2,
        from_chunks: int = 5,
        embed_limit: int = 2,
    ) -> None:
        self.embedder = embedder
        self.embed_limit = embed_limit
        self.scorer = scorer
        self.max_sentences = max_sentences
        self.from_chunks = from_chunks

    def _score(
        self,
        question: str,
        weights: dict[int, float],
        qvec: list[float],
        vec: list[float],
        text: str,
    ) -> float:
        return (
            0.4 * cosine(qvec, vec)
            + 0.4 * self.scorer.coverage(weights, text)
            + answer_type_bonus(question, text)
        )

    def relevance(self, question: str, answer: str, dense_text: str = "") -> float:
        """How well an answer text addresses the question, on the same scale as ``run``.

        The context bonus is credited in full: a supported answer comes from the sources.
        An answer that only restates the question ("GSA processes badges on weekdays")
        scores 0, however close it is.
        """
        if not self.scorer.adds_to(question, CITATION.sub("", answer)):
            return 0.0
        qvec, vec = self.embedder.embed([dense_text or question, answer])
        return self._score(question, self.scorer.weights(question), qvec, vec, answer) + 0.2

    def run(
        self,
        question: str,
        sources: list[RetrievedChunk],
        prefetch: Sequence[str] = (),
        dense_text: str = "",
    ) -> QuoteSelection:
        """The best-supported sentences.

        ``dense_text``: the text to compare sentences with by embedding, when it differs
        from the question (retrieval's topic query, without scope names such as the
        company's: a sentence that names the company is not closer to the answer).
        ``prefetch``: texts to embed in the same batch for calls to come, such as the claims
        the citation check must embed (one model call instead of several, when the embedder
        caches)."""
        weights = self.scorer.weights(question)
        candidates: list[tuple[int, int, str, float]] = []  # (source n, order, text, context)
        for n, chunk in enumerate(sources[: self.from_chunks], start=1):
            context = self.scorer.coverage(weights, f"{chunk.title} {chunk.section} {chunk.text}")
            for order, sentence in enumerate(quotable_units(chunk.text)):
                if 3 <= len(sentence.split()) <= 80:
                    candidates.append((n, order, sentence, context))
        dense_text = dense_text or question
        if not candidates:
            if prefetch:
                self.embedder.embed([dense_text, *prefetch])
            return QuoteSelection("", [], [], 0.0)
        # embedding every sentence is the slow part: embed only the lexically best ones
        lexical = [
            (
                0.4 * self.scorer.coverage(weights, c[2])
                + answer_type_bonus(question, c[2])
                + 0.2 * c[3]
                + 0.02 * (self.from_chunks - c[0]),
                i,
            )
            for i, c in enumerate(candidates)
        ]
        keep = sorted(i for _, i in sorted(lexical, reverse=True)[: self.embed_limit])
        candidates = [candidates[i] for i in keep]
        vectors = self.embedder.embed([dense_text] + [c[2] for c in candidates] + list(prefetch))
        qvec = vectors[0]
        scored = []
        for (n, order, sentence, context), vec in zip(
            candidates, vectors[1 : 1 + len(candidates)], strict=True
        ):
            score = (
                self._score(question, weights, qvec, vec, sentence)
                + 0.2 * context
                + 0.02 * (self.from_chunks - n)
            )
            scored.append((score, n, order, sentence))
        scored.sort(key=lambda t: -t[0])
        best = scored[0]
        chosen = [best]
        for cand in scored[1:]:
            if len(chosen) >= self.max_sentences:
                break
            # a second quote comes from the best one's document: on the tuning questions a
            # quote from another document never added a fact and often cited a wrong one
            if sources[cand[1] - 1].doc_id != sources[best[1] - 1].doc_id:
                continue
            if any(_words(cand[3]) == _words(c[3]) for c in chosen):
                continue  # the same sentence in two chunks (a page's repeated boilerplate)
            next_to_best = cand[1] == best[1] and abs(cand[2] - best[2]) == 1
            if cand[0] >= best[0] * (0.8 if next_to_best else 0.92):
                chosen.append(cand)
        parts, checks, cited = [], [], []
        for _, n, _, sentence in chosen:  # best first: a reader wants the answer first
            body = sentence.rstrip()
            tail = body[-1] if body[-1:] in ".!?" else "."
            body = body[:-1] if body[-1:] in ".!?" else body
            parts.append(f"{body} [{n}]{tail}")
            checks.append(SentenceCheck(sentence, (n,), True))
            if n not in cited:
                cited.append(n)
        return QuoteSelection(" ".join(parts), checks, cited, best[0])
