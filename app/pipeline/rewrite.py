"""Stage 3a: rewrite a follow-up into a standalone question using the conversation.

Works without an LLM, on the previous (already standalone) question:
- a contrast ("what about sick leave?", "and at Acme?") replaces the slot of the previous
  question it contrasts with: the phrase sharing its head word ("annual leave"), the
  entity of the same kind (one organisation for another), or the group of people
  ("employees" for "contractors");
- an elliptical qualifier ("and for contractors?", "only in the first year?") replaces the
  previous question's phrase after the same preposition, or is added to it;
- a pronoun ("how do I request it?") becomes the previous question's topic.
The previous turn's entities are carried over for retrieval, except those a contrast
replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from app.generation.base import GenerationParams, Generator, collect
from app.pipeline.errors import GenerationUnavailable
from app.pipeline.types import LinkedEntity, Turn
from core.text import STOPWORDS

_CONNECTIVE = re.compile(r"^(?:and|also|but|so|ok(?:ay)?|then|or)\b[\s,]*", re.I)
_CONTRAST = re.compile(
    r"^(?:(?:what|how) about|what if|same (?:for|with)|is (?:that|this|it) (?:also |the same )?"
    r"(?:true |the case )?(?:for|at|in|with)|does (?:that|this|it) (?:also )?apply (?:to|for|at|"
    r"in)|(?:and |what )?(?:the )?same (?:for|at))\b[\s,]*(.*)$",
    re.I,
)
_ONLY = re.compile(r"^(?:only|just|even|except|not)\b\s*", re.I)
_PREPOSITION = re.compile(
    r"^(for|at|in|on|to|with|during|after|before|from|outside|inside|within|without|while|"
    r"as|under|over|by)\s+(.+)$",
    re.I,
)
# a pronoun standing for the previous topic: it/they/them anywhere; this/that/these/those
# only when no noun follows ("who approves that?", not "that form")
_PRONOUN = re.compile(
    r"\b(?:it|its|they|them)\b|\b(?:this|that|these|those)\b(?=\s*(?:[?.!,]|$|"
    r"(?:for|to|in|at|on|with|from|if|when|be|is|are|was|were|work|works|apply|applies|"
    r"mean|means|cover|covers|cost|costs|take|takes|happen|happens)\b))",
    re.I,
)
_QUESTION_WORD = re.compile(
    r"^(who|whom|what|when|where|why|how|which|is|are|was|were|do|does|did|can|could|should|"
    r"would|will|may|must|have|has)\b",
    re.I,
)
# nouns for groups of people: a follow-up naming one replaces the group the question named
_PEOPLE = re.compile(
    r"\b(?:employees?|staff|teammates?|contractors?|interns?|managers?|engineers?|members?|"
    r"people|new hires?|hires|volunteers?|fellows?|consultants?|vendors?|supervisors?|"
    r"executives?|leads?|officers?|workers?|partners?|parents?|veterans?|students?|"
    r"candidates?|directors?|users?|customers?|admins?|designers?|part-timers?|"
    r"(?:full|part)[- ]time \w+|remote \w+|federal \w+|everyone|anyone|folks)\b",
    re.I,
)
_WORD = re.compile(r"[\w'.-]+")
# where a prepositional phrase of the previous question ends
_CLAUSE_END = r"(?:and|or|if|when|for|at|in|on|to|with|during)\b"
_SCOPE_LABELS = frozenset({"ORG", "GPE", "ACRONYM", "NORP", "LOC", "FAC", "CARRIED"})


@dataclass(frozen=True)
class Rewrite:
    standalone: str
    is_follow_up: bool
    carried_entities: tuple[str, ...]


def _runs(question: str) -> list[tuple[int, int]]:
    """Character spans of the runs of content words: the phrases a follow-up can replace."""
    spans: list[tuple[int, int]] = []
    start = end = -1
    for m in _WORD.finditer(question):
        word = m.group().strip(".'")
        if word.lower() in STOPWORDS or not word:
            if start >= 0:
                spans.append((start, end))
            start = -1
            continue
        if start < 0:
            start = m.start()
        end = m.end()
    if start >= 0:
        spans.append((start, end))
    return spans


def _stem(word: str) -> str:
    word = word.lower()
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _topic(turn: Turn) -> str:
    """The previous turn's subject: its first entity, else its longest content phrase."""
    if turn.entities:
        return turn.entities[0]
    runs = _runs(turn.question)
    if not runs:
        return ""
    a, b = max(runs, key=lambda r: len(turn.question[r[0] : r[1]].split()))
    return turn.question[a:b]


def _finish(text: str) -> str:
    text = " ".join(text.split()).rstrip("?.! ,")
    return (text[:1].upper() + text[1:] + "?") if text else text


class FollowUpRewriter:
    """Heuristic rewriter with entity carry-over; an LLM rewrite can be layered on top."""

    def run(
        self,
        question: str,
        history: list[Turn],
        linked: list[LinkedEntity],
        previous_linked: list[LinkedEntity] | None = None,
    ) -> Rewrite:
        """``previous_linked``: the entities of the previous question (its mentions as
        written), so that "and at Acme?" replaces the organisation it named."""
        if not history:
            return Rewrite(question, False, ())
        prev = history[-1]
        before = previous_linked or []
        text = question.strip().rstrip("?.! ")
        body = _CONNECTIVE.sub("", text)
        contrast = _CONTRAST.match(body)
        linked_names = {e.canonical for e in linked}
        if contrast or (
            len(body.split()) <= 5 and not _QUESTION_WORD.match(body) and not _PRONOUN.search(body)
        ):
            fragment = (contrast.group(1) if contrast else body).strip()
            if not fragment:
                return Rewrite(question, False, ())
            standalone, replaced = self._merge(prev.question, fragment, linked, before)
            gone = {_stem(w) for w in _WORD.findall(replaced) if w.lower() not in STOPWORDS}
            carried = tuple(
                e
                for e in prev.entities
                if e not in linked_names
                and e != replaced
                and not gone & {_stem(w) for w in _WORD.findall(e)}
            )
            return Rewrite(standalone, True, carried)
        carried = tuple(e for e in prev.entities if e not in linked_names)
        if (text != body or _PRONOUN.search(body)) and not (linked and not _PRONOUN.search(body)):
            topic = _topic(prev)
            if _PRONOUN.search(body) and topic:
                resolved = _PRONOUN.sub(lambda m: topic, body, count=1)
                return Rewrite(_finish(resolved), True, carried)
        return Rewrite(question, False, ())

    def _merge(
        self,
        base: str,
        fragment: str,
        linked: list[LinkedEntity],
        before: list[LinkedEntity],
    ) -> tuple[str, str]:
        """The previous question with ``fragment`` put in the slot it replaces, or added;
        and what it replaced (an entity's canonical name, or the replaced words)."""
        base = base.strip().rstrip("?.! ")
        only = _ONLY.match(fragment)
        phrase = fragment[only.end() :] if only else fragment
        prep_match = _PREPOSITION.match(phrase)
        prep = prep_match.group(1).lower() if prep_match else ""
        target = prep_match.group(2) if prep_match else phrase
        # one organisation or place for another: the previous question's entity of that kind
        new = [e for e in linked if e.label in _SCOPE_LABELS]
        if new:
            for old in (e for e in before if e.label in _SCOPE_LABELS):
                if old.canonical == new[0].canonical:
                    continue
                hit = re.search(rf"\b{re.escape(old.mention)}\b", base, re.I)
                if hit:
                    merged = base[: hit.start()] + target + base[hit.end() :]
                    return _finish(merged), old.canonical
        # the same preposition: "in the first year" replaces "in <...>"
        if prep:
            hit = re.search(rf"\b{prep}\s+([^,?]+?)(?=\s+{_CLAUSE_END}|[,?]|$)", base, re.I)
            if hit:
                merged = base[: hit.start(1)] + target + base[hit.end(1) :]
                return _finish(merged), hit.group(1)
        # the phrase sharing the fragment's head word: "sick leave" replaces "annual leave"
        heads = {_stem(w) for w in _WORD.findall(target) if w.lower() not in STOPWORDS}
        best: tuple[int, int] | None = None
        for a, b in _runs(base):
            words = {_stem(w) for w in _WORD.findall(base[a:b])}
            if heads & words and (best is None or b - a > best[1] - best[0]):
                best = (a, b)
        # a group of people for another: "contractors" replaces "employees"
        if best is None and _PEOPLE.search(target):
            people = _PEOPLE.search(base)
            if people:
                best = people.span()
        if best is not None:
            return _finish(base[: best[0]] + target + base[best[1] :]), base[best[0] : best[1]]
        addition = f"{prep} {target}" if prep else target
        if not prep and new:
            addition = f"at {target}"  # "and Acme?": the organisation the question is about
        elif not prep and _PEOPLE.search(target):
            addition = f"for {target}"
        if only:
            addition = f"{addition} only"
        return _finish(f"{base} {addition}"), ""


class Rewriter(Protocol):
    def run(
        self,
        question: str,
        history: list[Turn],
        linked: list[LinkedEntity],
        previous_linked: list[LinkedEntity] | None = None,
    ) -> Rewrite: ...


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

    def run(
        self,
        question: str,
        history: list[Turn],
        linked: list[LinkedEntity],
        previous_linked: list[LinkedEntity] | None = None,
    ) -> Rewrite:
        heuristic = self.fallback.run(question, history, linked, previous_linked)
        if not heuristic.is_follow_up:
            return heuristic
        turns = "\n".join(f"Q: {t.question}\nA: {t.answer[:300]}" for t in history[-3:])
        prompt = [{"role": "user", "content": _LLM_PROMPT.format(turns=turns, question=question)}]
        try:
            text = collect(self.generator, prompt, GenerationParams(0.0, 60, ("\n",))).text
        except GenerationUnavailable:  # the model is down: the heuristic rewrite stands
            return heuristic
        text = text.strip()
        previous = {w.lower() for w in re.findall(r"[\w'-]+", history[-1].question)} - STOPWORDS
        words = {w.lower() for w in re.findall(r"[\w'-]+", text)}
        if not text or len(text) > 300 or text.count("?") > 1 or not (words & previous):
            return heuristic
        return Rewrite(text, True, heuristic.carried_entities)
