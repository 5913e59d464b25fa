"""Can the retrieved chunks answer the question at all?

IDF-weighted term coverage: the share of the question's BM25 terms, weighted by how rare
they are in the index, that appear in the top chunks. A question hinging on a term that
no retrieved chunk contains ("solar panels") scores low even when the rest matches.

The terms are the question's topic: its answer-type wording ("how many", "stand for") and
light verbs are left out (app/pipeline/answer_type.py ``topic_words``). A term the chunks
say in other words ("bought" where they say "purchased") counts as covered when the
embedding model puts the two words close (``SynonymMatcher``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.pipeline.answer_type import topic_words
from app.pipeline.request_scope import PerGeneration
from app.pipeline.types import RetrievedChunk
from app.pipeline.word_roles import WordRoles
from core.encoders import Embedder, SparseEncoder
from indexes.protocol import VectorIndex
from indexes.schema import PointFilter


class TermStats:
    """Document frequencies of BM25 terms over all chunks, rebuilt when the index changes."""

    def __init__(
        self, index: Callable[[], VectorIndex], generation: Callable[[], str], sparse: SparseEncoder
    ) -> None:
        self.index = index
        self.sparse = sparse
        self._counts = PerGeneration(generation, self._count)

    def _count(self) -> tuple[Counter[int], int]:
        df: Counter[int] = Counter()
        hits = self.index().scroll(PointFilter(), ["text", "title", "section"])
        for h in hits:
            p = h.payload
            df.update(
                self.sparse.terms(
                    f"{p.get('title', '')} {p.get('section', '')} {p.get('text', '')}"
                )
            )
        return df, len(hits)

    def idf(self, term: int) -> float:
        df, n = self._counts.get()
        return math.log((n + 1) / (df.get(term, 0) + 0.5))

    def chunks_with(self, text: str) -> int:
        """How many chunks hold every BM25 term of ``text`` (at most: the rarest term's
        count); 0 for a text of stop words only."""
        df, _ = self._counts.get()
        return min((df.get(t, 0) for t in self.sparse.terms(text)), default=0)

    def warm_up(self) -> None:
        self._counts.get()


_TOKEN = re.compile(r"[\w']+")


class TermScorer:
    """IDF-weighted coverage of a question's terms by some text.

    With ``roles``, a term the question uses only as a light word (a verb, an adverb, a
    preposition: word_roles.py) weighs ``light_weight`` of its IDF: the topic is in the
    nouns, and a source answers in its own verbs.
    """

    def __init__(
        self,
        stats: TermStats,
        sparse: SparseEncoder,
        *,
        roles: WordRoles | None = None,
        light_weight: float = 1.0,
    ) -> None:
        self.stats = stats
        self.sparse = sparse
        self.roles = roles
        self.light_weight = light_weight
        self._factors = lru_cache(maxsize=2048)(self._light_factors)

    def _light_factors(self, question: str) -> dict[int, float]:
        """The terms the question uses only as light words, with their reduced factor."""
        if self.roles is None or self.light_weight >= 1.0:
            return {}
        light = self.roles.light_words(question)
        factors: dict[int, float] = {}
        for word in _TOKEN.findall(question):
            factor = self.light_weight if word.lower() in light else 1.0
            for term in self.sparse.terms(word):
                factors[term] = max(factors.get(term, 0.0), factor)
        return {t: f for t, f in factors.items() if f < 1.0}

    def warm_up(self) -> None:
        """Count the index's terms and load the tagger now, not on the first question."""
        self.stats.warm_up()
        if self.roles is not None:
            self.roles.light_words("Warm up the tagger.")

    def weights(self, question: str) -> dict[int, float]:
        """The question's topic terms, each weighted by its IDF (less for light words)."""
        factors = self._factors(question)
        return {
            t: self.stats.idf(t) * factors.get(t, 1.0)
            for t in self.sparse.terms(topic_words(question))
        }

    def coverage(self, weights: dict[int, float], text: str) -> float:
        return self.share(weights, self.sparse.terms(text))

    @staticmethod
    def share(weights: dict[int, float], have: set[int]) -> float:
        """The weighted share of the question's terms among the term ids ``have``."""
        total = sum(weights.values())
        if not total:
            return 0.0
        return sum(w for t, w in weights.items() if t in have) / total

    def adds_to(self, question: str, text: str) -> bool:
        """Whether ``text`` has a term the question lacks: a restatement has none."""
        return bool(self.sparse.terms(text) - self.sparse.terms(question))


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
_COMPOUND = re.compile(r"[A-Za-z0-9']+(?:-[A-Za-z0-9']+)*")


class SynonymMatcher:
    """Which of a question's terms a text says in other words: "bought" is covered by a
    text saying "purchased", "staff" by one saying "employees".

    Words are compared one to one by the sentence-embedding model, each question word
    missing from the text against the text's distinct words. ``min_similarity`` is high
    enough that related-but-different words ("instrument" and "piano", "cafeteria" and
    "lunch") stay apart.
    """

    def __init__(
        self,
        embedder: Embedder,
        sparse: SparseEncoder,
        *,
        min_similarity: float,
        max_words: int = 600,
    ) -> None:
        self.embedder = embedder
        self.sparse = sparse
        self.min_similarity = min_similarity
        self.max_words = max_words

    def _words(self, text: str) -> dict[str, set[int]]:
        """The distinct words of ``text`` with their BM25 terms (stop words have none)."""
        out: dict[str, set[int]] = {}
        for word in _WORD.findall(text):
            lower = word.lower()
            if lower not in out and len(out) < self.max_words:
                out[lower] = self.sparse.terms(lower)
        return {w: t for w, t in out.items() if t}

    def matched(self, question: str, missing: set[int], texts: list[str]) -> list[set[int]]:
        """For each text, the ``missing`` terms of ``question`` it has a close word for."""
        asked = {w: t & missing for w, t in self._words(question).items() if t & missing}
        if not asked or self.min_similarity > 1.0:
            return [set() for _ in texts]
        vocabularies = [list(self._words(text)) for text in texts]
        every = sorted({w for v in vocabularies for w in v} - set(asked))
        if not every:
            return [set() for _ in texts]
        vectors = np.asarray(self.embedder.embed([*asked, *every]), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
        close = (vectors[: len(asked)] @ vectors[len(asked) :].T) >= self.min_similarity
        position = {w: i for i, w in enumerate(every)}
        out: list[set[int]] = []
        for vocabulary in vocabularies:
            columns = [position[w] for w in vocabulary if w in position]
            found: set[int] = set()
            for row, terms in enumerate(asked.values()):
                if columns and close[row, columns].any():
                    found |= terms
            out.append(found)
        return out


@dataclass(frozen=True)
class Answerability:
    together: float  # coverage by the top chunks taken together
    best: float  # coverage by the single best-covering one of them


class AnswerabilityCheck:
    """How much of the question the top chunks cover; low means abstain.

    Both together and one by one: an unanswerable question often has each of its terms
    somewhere in the top chunks ("free lunches" in one office's page, "cafeteria" in
    another) but no chunk about all of them.
    """

    def __init__(
        self,
        scorer: TermScorer,
        *,
        top: int,
        synonyms: SynonymMatcher | None = None,
        anchor_words: int,
    ) -> None:
        self.scorer = scorer
        self.top = top
        self.synonyms = synonyms
        self.anchor_words = anchor_words

    def anchors(self, question: str) -> list[list[set[int]]]:
        """The question's ``anchor_words`` heaviest topic words, each as the term sets that
        state it ("Wi-Fi" by "Wi-Fi" or "WiFi"). A word is as heavy as its rarest term. Words
        no chunk holds (a typo, the asker's own figure, a person's name) anchor nothing and
        are left out, as are words without a letter."""
        if self.anchor_words <= 0:
            return []
        weights = self.scorer.weights(question)
        words: dict[frozenset[int], tuple[float, list[set[int]]]] = {}
        for word in _COMPOUND.findall(topic_words(question)):
            terms = self.scorer.sparse.terms(word) & set(weights)
            if (
                not terms
                or frozenset(terms) in words
                or not any(ch.isalpha() for ch in word)
                or not self.scorer.stats.chunks_with(word)
            ):
                continue
            forms = [terms]
            if "-" in word and (joined := self.scorer.sparse.terms(word.replace("-", ""))):
                forms.append(joined)
            words[frozenset(terms)] = (max(weights[t] for t in terms), forms)
        ranked = sorted(words.values(), key=lambda pair: -pair[0])
        return [forms for _, forms in ranked[: self.anchor_words]]

    def anchored(self, question: str, chunks: list[RetrievedChunk]) -> list[bool]:
        """Which chunks name at least one of the question's anchors, in its words or (with
        ``synonyms``) in words close to them; every chunk, when the question has none.

        A chunk naming none of the things a question is most about answers another
        question, however close its figures ("the maximum salary" for "the maximum student
        loan repayment").
        """
        anchors = self.anchors(question)
        if not anchors:
            return [True] * len(chunks)
        texts = [f"{c.title} {c.section} {c.text}" for c in chunks]
        # hyphens either way: "WiFi" in the question is "Wi-Fi" in a chunk
        have = [
            self.scorer.sparse.terms(t) | self.scorer.sparse.terms(t.replace("-", ""))
            for t in texts
        ]
        out = [any(form <= h for forms in anchors for form in forms) for h in have]
        unmatched = [i for i, ok in enumerate(out) if not ok]
        if self.synonyms and unmatched:
            need = set().union(*(forms[0] for forms in anchors))
            found = self.synonyms.matched(
                topic_words(question), need, [texts[i] for i in unmatched]
            )
            for i, extra in zip(unmatched, found, strict=True):
                out[i] = any(forms[0] <= have[i] | extra for forms in anchors)
        return out

    def score(self, question: str, chunks: list[RetrievedChunk]) -> Answerability:
        weights = self.scorer.weights(question)
        texts = [f"{c.title} {c.section} {c.text}" for c in chunks[: self.top]]
        terms = [self.scorer.sparse.terms(text) for text in texts]
        if not terms:
            return Answerability(0.0, 0.0)
        missing = set(weights) - terms[0].intersection(*terms[1:])  # absent from some chunk
        if self.synonyms and missing:
            topic = topic_words(question)
            terms = [
                have | found
                for have, found in zip(
                    terms, self.synonyms.matched(topic, missing, texts), strict=True
                )
            ]
        return Answerability(
            together=self.scorer.share(weights, set().union(*terms)),
            best=max(self.scorer.share(weights, t) for t in terms),
        )
