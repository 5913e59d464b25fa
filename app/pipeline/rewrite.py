"""Stage 3a: rewrite a follow-up into a standalone question using the conversation.

Works without an LLM, on the previous (already standalone) question:
- a contrast ("what about sick leave?", "and at Acme?") replaces the slot of the previous
  question it contrasts with: the phrase sharing its head word ("annual leave"), the
  entity of the same kind (one organisation for another), the group of people
  ("employees" for "contractors"), or else its topic noun phrase ("credit hours" for
  "comp time"), unless it asks about an aspect of that topic ("and the deadline?");
- an elliptical qualifier ("and for contractors?", "only in the first year?") replaces the
  previous question's phrase after the same preposition, or is added to it;
- a pronoun ("how do I request it?") becomes the previous question's topic.
The previous turn's entities are carried over for retrieval, except those a contrast
replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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
_CONDITION = re.compile(r"^what if\b", re.I)
# a clause, not a noun phrase: it starts with a subject ("I can't…", "it's only…")
_CLAUSE = re.compile(
    r"^(?:i|i'm|i've|i'd|we|we're|you|you're|they|they're|it|it's|he|she|my|our|your|"
    r"their|someone|somebody|there)\b",
    re.I,
)
_LETTERS = re.compile(r"[A-Za-z]{2}")
_ONLY = re.compile(r"^(?:only|just|even|except|not|including)\b\s*", re.I)
_PREPOSITION = re.compile(
    r"^(for|at|in|on|to|with|during|after|before|from|outside|inside|within|without|while|"
    r"as|under|over|by)\s+(.+)$",
    re.I,
)
# "the mid-year one", "a medium one": a new modifier for the previous question's noun
_ONE = re.compile(r"^(?:the|a|an|my|our)?\s*(.+?)\s+ones?$", re.I)
# a pronoun standing for the previous topic: it/they/them anywhere; this/that/these/those
# only when no noun follows ("who approves that?", not "that form"); "one" at the end
# ("does Acme have one too?")
_PRONOUN = re.compile(
    r"\b(?:it|its|they|them)\b|\b(?:this|that|these|those)\b(?=\s*(?:[?.!,]|$|"
    r"(?:for|to|in|at|on|with|from|if|when|be|is|are|was|were|work|works|apply|applies|"
    r"mean|means|cover|covers|cost|costs|take|takes|happen|happens|happening|too|also)\b))|"
    r"\bone\b(?=\s*(?:too|as well|also)?\s*[?.!]?\s*$)",
    re.I,
)
_QUESTION_WORD = re.compile(
    r"^(who|whom|what|what's|when|where|why|how|which|is|are|was|were|do|does|did|can|could|"
    r"should|would|will|may|must|have|has)\b",
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
# units a question counts or measures in: never its subject
_MEASURE = re.compile(
    r"(?:minutes?|hours?|days?|business days?|weeks?|months?|years?|percent|dollars?|times?)",
    re.I,
)
_WORD = re.compile(r"[\w'.-]+")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,.]*\d(?![\w.])|(?<![\w.])\d(?![\w.])")
_DETERMINERS = r"(?:the|a|an|my|our|your|their|its)"
# between an attribute and what it belongs to: "the maximum length *of a* term appointment"
_ATTRIBUTE_OF = re.compile(rf"\s+of\s+(?:{_DETERMINERS}\s+)?", re.I)
_DETERMINER = re.compile(rf"^{_DETERMINERS}\s+", re.I)
_ENDS_IN_DETERMINER = re.compile(rf"\b{_DETERMINERS}\s+$", re.I)
# a fragment that asks about an aspect of the previous topic rather than naming another
# topic: "and the deadline?" is the deadline *of* what was asked about, as is a phrase
# ending in one of these nouns ("the filing deadline", "what about eligibility?"), a bare
# noun after "the" or "its", or a time ("and next year?")
_ASPECT = re.compile(
    r"^(?:the|its)\s+[\w-]+$|^(?:next|last|this|every|each|previous)\s|"
    r"(?:^|\s)(?:eligibility|approval|cost|costs|pricing|price|fees?|deadlines?|timing|"
    r"timeline|process|steps|paperwork|forms?|requirements?|rules?|limits?|exceptions?)$",
    re.I,
)
# where a prepositional phrase of the previous question ends
_CLAUSE_END = r"(?:and|or|if|when|for|at|in|on|to|with|during)\b"
# entities a new name of the follow-up replaces before other kinds ("and at Acme?")
_SCOPE_LABELS = frozenset({"ORG", "GPE", "ACRONYM", "NORP", "LOC", "FAC"})

# how informative a phrase is (the sum of its terms' IDF), and how many documents name an
# entity: what the rewriter reads of the corpus
Weight = Callable[[str], float]
Prominence = Callable[[str], int]
# character spans of the phrases of a question that a follow-up can replace or refer to
# (noun phrases, when a tagger finds them; else runs of content words)
Phrases = Callable[[str], Sequence[tuple[int, int]]]


@dataclass(frozen=True)
class Rewrite:
    standalone: str
    is_follow_up: bool
    carried_entities: tuple[str, ...]


def _word(token: str) -> str:
    return token.strip(".'").lower().removesuffix("'s")


def _runs(question: str) -> list[tuple[int, int]]:
    """Character spans of the runs of content words: the phrases a follow-up can replace."""
    spans: list[tuple[int, int]] = []
    start = end = -1
    for m in _WORD.finditer(question):
        word = _word(m.group())
        if not word or word in STOPWORDS:
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


def _parts(text: str) -> set[str]:
    """Content-word stems, hyphenated words split ("end-of-year" -> end, year)."""
    out = set()
    for token in _WORD.findall(text):
        for part in re.split(r"[-.]", _word(token)):
            if part and part not in STOPWORDS:
                out.add(part[:-1] if part.endswith("s") and len(part) > 3 else part)
    return out


def _subjects(
    question: str, names: set[str], spans: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The phrases of ``question`` (``spans``) that can be its subject: not only the names
    of the organisations it asks about (proper names: written capitalised, so that "paid
    parental leave" stays a subject though NER tags it an organisation), the audience
    ("TTS employees"), the unit it counts in ("how many weeks"), the unit of a rate ("per
    birth"), or an attribute of another phrase ("the *maximum length* of a term
    appointment")."""
    out = []
    for i, (a, b) in enumerate(spans):
        if question[max(0, a - 8) : a].split()[-1:] == ["per"]:  # the word before only
            continue
        if i + 1 < len(spans) and _ATTRIBUTE_OF.fullmatch(question[b : spans[i + 1][0]]):
            continue
        rest = question[a:b]
        for name in names:
            pattern = rf"(?<!\w){re.escape(name)}(?:'s)?(?!\w)"
            rest = re.sub(pattern, lambda m: " " if m[0][0].isupper() else m[0], rest, flags=re.I)
        rest = " ".join(rest.split())
        if rest and not _PEOPLE.fullmatch(rest) and not _MEASURE.fullmatch(rest):
            out.append((a, b))
    return out


def _names_people(phrase: str) -> bool:
    """Whether ``phrase`` is a group of people ("remote employees"), not a thing one
    qualifies ("a vendor contract")."""
    return any(m.end() == len(phrase.rstrip()) for m in _PEOPLE.finditer(phrase))


def _kind(label: str) -> str:
    """The kind of thing an entity label names, for swapping one for another."""
    if label == "PERSON":
        return "person"
    return "place" if label in {"GPE", "LOC", "FAC"} else "name"


def _replace(base: str, span: tuple[int, int], target: str) -> str:
    """``base`` with the phrase at ``span`` replaced by ``target``, whose determiner takes
    the place of the phrase's ("review an NDA" and "a vendor contract" give "review a
    vendor contract")."""
    a, b = span
    head = base[:a]
    own = _ENDS_IN_DETERMINER.search(head)
    if own and _DETERMINER.match(target):
        head = head[: own.start()]
    return _finish(head + target + base[b:])


def _keep_name(slot: str, target: str, names: set[str]) -> str:
    """``target`` led by the name ``slot`` starts with, unless it names it already:
    "Slack DMs" and "support channels" give "Slack support channels"."""
    for name in sorted(names, key=len, reverse=True):
        named = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.I)
        if (
            named.match(slot)
            and slot[len(name) : len(name) + 1] == " "
            and not named.search(target)
        ):
            return f"{slot[: len(name)]} {target}"
    return target


def _finish(text: str) -> str:
    text = " ".join(text.split()).rstrip("?.! ,")
    return (text[:1].upper() + text[1:] + "?") if text else text


def _no_weight(phrase: str) -> float:
    return float(len(phrase.split()))


def _no_prominence(canonical: str) -> int:
    return 0


class FollowUpRewriter:
    """Heuristic rewriter with entity carry-over; an LLM rewrite can be layered on top."""

    def __init__(
        self,
        *,
        weight: Weight = _no_weight,
        prominence: Prominence = _no_prominence,
        phrases: Phrases | None = None,
    ) -> None:
        """``weight``: how informative a phrase is, to find the previous question's topic
        (default: its length). ``prominence``: how many documents name an entity, to find
        the organisation a new one replaces (the most named: a company's own name).
        ``phrases``: the noun phrases of a question (from a part-of-speech tagger), which
        its topic can be; without them, runs of content words are, and a contrast that
        shares no word with the previous question is added to it rather than replacing
        a phrase (a run takes in the verbs)."""
        self.weight = weight
        self.prominence = prominence
        self.phrases: Phrases = phrases or _runs
        self.tagged = phrases is not None

    @staticmethod
    def _names(turn: Turn, before: list[LinkedEntity]) -> set[str]:
        """The names of what a question is scoped to: its organisations, places, acronyms."""
        names = {e.mention for e in before if e.label in _SCOPE_LABELS} | set(turn.entities)
        return {n for n in names if n.strip()}

    def _topic(self, turn: Turn, before: list[LinkedEntity]) -> str:
        """The previous turn's subject: its most informative content phrase that is not
        only an organisation's name; else its first entity."""
        names = self._names(turn, before)
        if span := self._heaviest(turn.question, names):
            return turn.question[span[0] : span[1]]
        # every phrase is a name, the audience or a unit: not a name
        lower = {n.lower() for n in names}
        runs = [turn.question[a:b] for a, b in _runs(turn.question)]
        candidates = [r for r in runs if r.lower() not in lower]
        if candidates:
            return max(reversed(candidates), key=self.weight)
        return turn.entities[0] if turn.entities else ""

    def _heaviest(self, question: str, names: set[str]) -> tuple[int, int] | None:
        """The span of the question's most informative phrase that can be its subject (the
        first of equals)."""
        spans = _subjects(question, names, self.phrases(question))
        if not spans:
            return None
        return max(reversed(spans), key=lambda span: self.weight(question[span[0] : span[1]]))

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
        # a name has letters: a tokenizer's piece of a contraction ("n't") is none
        fresh = [
            e
            for e in linked
            if e.canonical not in {b.canonical for b in before} and _LETTERS.search(e.mention)
        ]
        if contrast and _CONDITION.match(body) and _CLAUSE.match(contrast.group(1)):
            # "what if I can't cover my week?": the previous question, on that condition
            base = prev.question.strip().rstrip("?.! ")
            standalone = _finish(f"{base} if {contrast.group(1)}")
            return Rewrite(standalone, True, self._carried(prev, linked_names, ""))
        elliptical = bool(_ONLY.match(body) or _PREPOSITION.match(body)) and len(body.split()) <= 10
        short = len(body.split()) <= 5 and not _QUESTION_WORD.match(body)
        # "the mid-year one" is a new modifier, not the pronoun "one"
        fragment_like = short and (not _PRONOUN.search(body) or _ONE.match(body))
        fragment = (contrast.group(1) if contrast else body).strip()
        slot_filler = bool(contrast or elliptical or fragment_like)
        if slot_filler and not fragment:
            return Rewrite(question, False, ())
        # a fragment that is only a pronoun ("what about them?") has no slot to fill: it is
        # resolved below like any pronoun
        if slot_filler and _parts(_PRONOUN.sub(" ", fragment)):
            standalone, replaced = self._merge(prev, fragment, fresh, before)
            return Rewrite(standalone, True, self._carried(prev, linked_names, replaced))
        # a full question naming another organisation ("and what's available at Acme?",
        # "how does it work at Acme?"): the previous question, asked of that organisation
        leans_back = text != body or _PRONOUN.search(body)
        if leans_back and (swapped := self._swap(prev.question, fresh, before)):
            standalone, replaced = swapped
            return Rewrite(standalone, True, self._carried(prev, linked_names, replaced))
        topic = self._topic(prev, before)
        if _PRONOUN.search(body) and topic:
            resolved = _PRONOUN.sub(lambda m: topic, body, count=1)
            return Rewrite(_finish(resolved), True, self._carried(prev, linked_names, ""))
        if text != body and topic and not _parts(topic) & _parts(body):
            # "and do I need to sign an agreement?": a new question about the same topic
            standalone = f"{_finish(body)[:-1]} ({topic})?"
            return Rewrite(standalone, True, self._carried(prev, linked_names, ""))
        return Rewrite(question, False, ())

    @staticmethod
    def _carried(prev: Turn, linked_names: set[str], replaced: str) -> tuple[str, ...]:
        """The previous turn's entities still in play: not named again, not replaced."""
        gone = _parts(replaced)
        return tuple(
            e
            for e in prev.entities
            if e not in linked_names and e != replaced and not gone & _parts(e)
        )

    def _swap(
        self, base: str, fresh: list[LinkedEntity], before: list[LinkedEntity]
    ) -> tuple[str, str] | None:
        """``base`` with its organisation (or other entity) replaced by the follow-up's new
        one, and the replaced entity's canonical name; None if there is nothing to swap.
        The replaced one is of the new one's kind (an organisation, a person, a place): of
        its label if any is, else the most named."""
        if not fresh:
            return None
        base = base.strip().rstrip("?.! ")
        label = fresh[0].label
        # an organisation for an organisation, not for a term NER called a person
        alike = [e for e in before if _kind(e.label) == _kind(label)]
        olds = sorted(
            alike, key=lambda e: (e.label == label, self.prominence(e.canonical)), reverse=True
        )
        for old in olds:
            hit = re.search(rf"\b{re.escape(old.mention)}\b", base, re.I)
            if hit:
                merged = base[: hit.start()] + fresh[0].mention + base[hit.end() :]
                return _finish(merged), old.canonical
        return None

    def _merge(
        self,
        prev: Turn,
        fragment: str,
        fresh: list[LinkedEntity],
        before: list[LinkedEntity],
    ) -> tuple[str, str]:
        """The previous question with ``fragment`` put in the slot it replaces, or added;
        and what it replaced (an entity's canonical name, or the replaced words)."""
        base = prev.question.strip().rstrip("?.! ")
        only = _ONLY.match(fragment)
        phrase = fragment[only.end() :] if only else fragment
        prep_match = _PREPOSITION.match(phrase)
        prep = prep_match.group(1).lower() if prep_match else ""
        target = prep_match.group(2) if prep_match else phrase
        # one organisation (or tool, or place) for another of its kind
        if fresh and (swapped := self._swap(base, fresh, before)):
            return swapped
        one = _ONE.match(target)
        modifier = one.group(1) if one else ""

        names = self._names(prev, before)

        def put(a: int, b: int, new: str = target) -> tuple[str, str]:
            slot = base[a:b]
            if modifier:
                return _finish(base[:a] + _remodify(slot, modifier) + base[b:]), slot
            return _replace(base, (a, b), new), slot

        # the same preposition: "in the first year" replaces "in <...>"
        if prep:
            hit = re.search(rf"\b{prep}\s+([^,?]+?)(?=\s+{_CLAUSE_END}|[,?]|$)", base, re.I)
            if hit:
                return put(hit.start(1), hit.end(1))
        # a year for a year, a number for a number: "and for 2025?" after "in 2024"
        if re.fullmatch(r"\d[\d,.]*", target) and (number := _NUMBER.search(base)):
            return put(*number.span())
        runs = _runs(base)
        # the phrase sharing the fragment's head word: "sick leave" replaces "annual leave"
        heads = _parts(modifier or target) - {"one"}
        sharing = [(a, b) for a, b in runs if heads & _parts(base[a:b])]
        if sharing:
            a, b = max(sharing, key=lambda r: r[1] - r[0])
            return put(a, b, _keep_name(base[a:b], target, names))
        # a group of people for another: "contractors" replaces "employees"
        if _PEOPLE.search(target) and (people := _PEOPLE.search(base)):
            return put(*people.span())
        # another thing of the kind asked about: "what about credit hours?" after "when does
        # comp time expire?" replaces its topic (the heaviest noun phrase, as a pronoun's);
        # an aspect of that topic ("and the deadline?"), a time, a restriction ("just
        # contractors?") or a fragment with no noun ("what about remotely?") is added to it
        if (
            self.tagged
            and not (prep or modifier or fresh or only or _names_people(target))
            and not _ASPECT.search(target.strip())
            and self.phrases(target)
            and (span := self._heaviest(base, names))
        ):
            a, b = span
            return put(a, b, _keep_name(base[a:b], target, names))
        addition = f"{prep} {target}" if prep else target
        if not prep and fresh:
            addition = f"at {target}"  # "and Acme?": the organisation the question is about
        elif not prep and _PEOPLE.search(target):
            addition = f"for {target}"
        if only:
            addition = f"{addition} only"
        return _finish(f"{base} {addition}"), ""


def _remodify(slot: str, modifier: str) -> str:
    """``slot`` with its modifier replaced: "FY25 end-of-year self-assessment" and
    "mid-year" give "FY25 mid-year self-assessment"; "a critical vulnerability" and
    "medium" give "a medium vulnerability"."""
    words = slot.split()
    want = _parts(modifier)
    for i, w in enumerate(words):
        if want & _parts(w):
            words[i] = modifier
            return " ".join(words)
    content = [i for i, w in enumerate(words) if _word(w) not in STOPWORDS]
    if len(content) >= 2:
        words[content[-2]] = modifier  # the word before the noun
        return " ".join(words)
    return f"{modifier} {slot}"


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
