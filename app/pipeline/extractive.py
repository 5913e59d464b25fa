"""Stage 7b: the deterministic extractive answer, quoting the best-supported sentences.

Used when the generated answer fails the citation check (the tiny CPU model often does),
and as the whole answer with the extractive generator.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.pipeline.answer_type import (
    AnswerType,
    AnswerTyper,
    asked_abbreviation,
    asked_contact,
    asked_unit,
    is_navigational,
    literals,
    question_focus,
    spells_out,
    states_contact,
    states_unit,
)
from app.pipeline.answerability import SynonymMatcher, TermScorer
from app.pipeline.citations import CITATION
from app.pipeline.retrieve import cosine
from app.pipeline.types import RetrievedChunk, SentenceCheck
from core.encoders import Embedder
from core.settings import QuoteScoring
from core.text import is_table_row, is_table_rule, split_sentences


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
    header: list[str] = []  # the column names of the table being read
    i = 0
    while i < len(lines):
        stripped = lines[i]
        i += 1
        if is_table_row(stripped):
            cells = [c.strip().strip("`* ") for c in stripped.strip("|").split("|")]
            if i < len(lines) and is_table_row(lines[i]) and is_table_rule(lines[i]):
                header = cells  # a row above a markdown rule row names the columns
                continue
            out += _row_unit(cells, header if len(header) == len(cells) else [])
            continue
        header = []
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


def _row_unit(cells: list[str], header: list[str]) -> list[str]:
    """A table row as one quotable unit, each value with its column's name: "Managers and
    Directors: Default monthly credit limit $1,000" (a value alone loses what it is)."""
    named = [
        (h, c)
        for h, c in zip(header or [""] * len(cells), cells, strict=True)
        if c and not set(c) <= set("-: ")
    ]
    if len(named) < 2:
        return []
    first, rest = named[0][1], named[1:]
    return [f"{first}: " + "; ".join(f"{h} {c}" if h else c for h, c in rest)]


_RESIDUE = re.compile(r"`+|(?<!\w)[*_]{1,3}(?=\w)|(?<=\w)[*_]{1,3}(?!\w)|</?[a-zA-Z][^<>]*>")


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


def clean_quote(text: str) -> str:
    """A quote as a reader should see it: entities decoded ("&amp;" is "&"), markdown's
    backslash escapes resolved ("\\-" is "-"), and the marks that survived parsing
    (backticks, emphasis, tags) removed."""
    text = _ESCAPED.sub(r"\1", html.unescape(text))
    return " ".join(_RESIDUE.sub("", text).split())


class ExtractiveAnswerer:
    """Picks the sentences most likely to state the answer, and cites their chunks.

    A sentence that only points elsewhere is never quoted, and when the question asks for a
    kind of thing (a number, a duration, a tool), only sentences holding one are: if no
    sentence of the top chunks does, there is no quote and the policy abstains. Nor is a
    sentence quoted that shares no word of the question's topic, or that does not state
    what a what/which question asks about (its focus: "the Wi-Fi *password*"), in its own
    words, its heading's, or (``synonyms``) others close to them.
    """

    def __init__(
        self,
        embedder: Embedder,
        scorer: TermScorer,
        typer: AnswerTyper,
        *,
        weights: QuoteScoring,
        synonyms: SynonymMatcher | None = None,
    ) -> None:
        self.embedder = embedder
        self.scorer = scorer
        self.typer = typer
        self.w = weights
        self.synonyms = synonyms

    def _stating(self, focus: str, texts: list[str]) -> list[bool]:
        """Which texts state a question's focus: in its words, or (when none does) in
        words the embedding model puts close to them."""
        need = self.scorer.sparse.terms(focus)
        if not need:
            return [True] * len(texts)
        lexical = [need <= self.scorer.sparse.terms(text) for text in texts]
        if any(lexical) or self.synonyms is None:
            return lexical
        return [need <= found for found in self.synonyms.matched(focus, need, texts)]

    def _score(
        self,
        typed: bool,
        weights: dict[int, float],
        qvec: list[float],
        vec: list[float],
        text: str,
    ) -> float:
        return (
            self.w.similarity * cosine(qvec, vec)
            + self.w.coverage * self.scorer.coverage(weights, text)
            + (self.w.answer_type if typed else 0.0)
        )

    def answers(self, question: str, text: str) -> bool:
        """Whether ``text`` could answer ``question``: it holds the asked-for kind of thing
        and is not only pointers elsewhere."""
        sentences = [s for s in split_sentences(CITATION.sub("", text)) if s.strip()]
        if not sentences or all(is_navigational(s) for s in sentences):
            return False
        focus = question_focus(question)
        if focus and not self._stating(focus, [text])[0]:
            return False
        return self.typer.answers(question, text)

    def relevance(self, question: str, answer: str, dense_text: str = "") -> float:
        """How well an answer text addresses the question, on the same scale as ``run``.

        The context bonus is credited in full: a supported answer comes from the sources.
        An answer that only restates the question ("GSA processes badges on weekdays"),
        only points elsewhere, or lacks the asked-for kind of thing scores 0.
        """
        plain = CITATION.sub("", answer)
        if not self.scorer.adds_to(question, plain) or not self.answers(question, plain):
            return 0.0
        qvec, vec = self.embedder.embed([dense_text or question, answer])
        typed = self.typer.classify(question) not in _FREE
        return self._score(typed, self.scorer.weights(question), qvec, vec, answer) + self.w.context

    def run(
        self,
        question: str,
        sources: list[RetrievedChunk],
        prefetch: Sequence[str] = (),
        dense_text: str = "",
        quotable: Sequence[bool] = (),
    ) -> QuoteSelection:
        """The best-supported sentences.

        ``dense_text``: the text to compare sentences with by embedding, when it differs
        from the question (retrieval's topic query, without scope names such as the
        company's: a sentence that names the company is not closer to the answer).
        ``prefetch``: texts to embed in the same batch for calls to come, such as the claims
        the citation check must embed (one model call instead of several, when the embedder
        caches). ``quotable``: per source, whether it may be quoted (all, when empty)."""
        w = self.w
        weights = self.scorer.weights(question)
        kind = self.typer.classify(question)
        contact = asked_contact(question) if kind is AnswerType.CONTACT else ""
        # (source n, order, text, context coverage, holds the asked-for kind)
        candidates: list[tuple[int, int, str, float, bool]] = []
        for n, chunk in enumerate(sources[: w.from_chunks], start=1):
            if quotable and not quotable[n - 1]:
                continue
            context = self.scorer.coverage(weights, f"{chunk.title} {chunk.section} {chunk.text}")
            for order, unit in enumerate(quotable_units(chunk.text)):
                sentence = clean_quote(unit)
                if w.min_words <= len(sentence.split()) <= w.max_words and not is_navigational(
                    sentence
                ):
                    typed = self.typer.holds(kind, sentence, question) and states_contact(
                        sentence, contact
                    )
                    candidates.append((n, order, sentence, context, typed))
        # "how many weeks": a sentence giving weeks answers, one giving months does not
        # (when any sentence gives weeks at all)
        unit = asked_unit(question)
        if unit and any(c[4] and states_unit(c[2], unit) for c in candidates):
            candidates = [(*c[:4], c[4] and states_unit(c[2], unit)) for c in candidates]
        constrained = kind not in _FREE
        own_case = False  # every quote must state the question's figures or affixes
        # "annual leave for more than 15 years of service": a sentence with the question's
        # own figures ("15+ years: 8 hours") answers its case; one with other figures ("4
        # hours per pay period") another case (when any sentence states them at all). So
        # with an affix: "the g- prefix" is not answered by a sentence on "#chat-dev-"
        if asked := literals(question):
            case = [asked <= literals(c[2]) for c in candidates]
            if any(c[4] and ok for c, ok in zip(candidates, case, strict=True)):
                candidates = [(*c[:4], c[4] and ok) for c, ok in zip(candidates, case, strict=True)]
                constrained = own_case = True
        # "what does EAP stand for": a sentence spelling it out answers (when one does)
        abbreviation = asked_abbreviation(question)
        if abbreviation and any(spells_out(c[2], abbreviation) for c in candidates):
            candidates = [(*c[:4], spells_out(c[2], abbreviation)) for c in candidates]
            constrained = True
        # the best quote must share a word of the question's topic: a sentence that shares
        # none answers something else ("8 year appointment" for a leave-request question)
        topical = {
            c[2] for c in candidates if not weights or self.scorer.coverage(weights, c[2]) > 0
        }
        # ... and state what the question asks about ("password", not the network's name)
        if focus := question_focus(question):
            headed = [
                f"{sources[c[0] - 1].title} {sources[c[0] - 1].section} {c[2]}" for c in candidates
            ]
            topical &= {
                c[2]
                for c, states in zip(candidates, self._stating(focus, headed), strict=True)
                if states
            }
        dense_text = dense_text or question
        # the best quote must hold the asked-for kind of thing (a second one need not)
        if not any((c[4] or not constrained) and c[2] in topical for c in candidates):
            if prefetch:
                self.embedder.embed([dense_text, *prefetch])
            return QuoteSelection("", [], [], 0.0)
        # embedding every sentence is the slow part: embed only the lexically best ones,
        # those that may be the answer (the asked-for kind, on topic) first
        lexical = [
            (
                c[4] and c[2] in topical,
                w.coverage * self.scorer.coverage(weights, c[2])
                + w.context * c[3]
                + w.rank * (w.from_chunks - c[0]),
                i,
            )
            for i, c in enumerate(candidates)
        ]
        keep = sorted(i for _, _, i in sorted(lexical, reverse=True)[: w.embed_limit])
        candidates = [candidates[i] for i in keep]
        vectors = self.embedder.embed([dense_text] + [c[2] for c in candidates] + list(prefetch))
        qvec = vectors[0]
        scored = []
        for (n, order, sentence, context, typed), vec in zip(
            candidates, vectors[1 : 1 + len(candidates)], strict=True
        ):
            score = (
                self._score(typed and constrained, weights, qvec, vec, sentence)
                + w.context * context
                + w.rank * (w.from_chunks - n)
            )
            scored.append((score, n, order, sentence, typed or not constrained))
        scored.sort(key=lambda t: -t[0])
        eligible = [c for c in scored if c[4] and c[3] in topical]
        # an example illustrates the rule ("For example: you have 182 hours…"); it is the
        # answer only when no statement of the rule is eligible
        best = next((c for c in eligible if not _EXAMPLE.match(c[3])), None) or next(
            iter(eligible), None
        )
        if best is None:  # the lexically best were not topical, nor the asked-for kind
            return QuoteSelection("", [], [], 0.0)
        chosen = [best]
        for cand in scored:
            if len(chosen) >= w.max_sentences:
                break
            if cand is best or _EXAMPLE.match(cand[3]) or (own_case and not cand[4]):
                continue
            # a second quote comes from the best one's document: on the tuning questions a
            # quote from another document never added a fact and often cited a wrong one
            if sources[cand[1] - 1].doc_id != sources[best[1] - 1].doc_id:
                continue
            if any(_words(cand[3]) == _words(c[3]) for c in chosen):
                continue  # the same sentence in two chunks (a page's repeated boilerplate)
            next_to_best = cand[1] == best[1] and abs(cand[2] - best[2]) == 1
            if cand[0] >= best[0] * (w.neighbour_ratio if next_to_best else w.second_ratio):
                chosen.append(cand)
        parts, checks, cited = [], [], []
        for _, n, _, sentence, _ in chosen:  # best first: a reader wants the answer first
            body = sentence.rstrip()
            tail = body[-1] if body[-1:] in ".!?" else "."
            body = body[:-1] if body[-1:] in ".!?" else body
            parts.append(f"{body} [{n}]{tail}")
            checks.append(SentenceCheck(sentence, (n,), True))
            if n not in cited:
                cited.append(n)
        return QuoteSelection(" ".join(parts), checks, cited, best[0])


_EXAMPLE = re.compile(r"^\W*(?:(?:for example|for instance|example)\b|e\.g\.)", re.I)

# kinds any statement can answer: nothing to require of a sentence
_FREE = frozenset({AnswerType.YESNO, AnswerType.PROCEDURE, AnswerType.OTHER})
