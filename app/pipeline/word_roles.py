"""Which words of a question carry its topic, and which only phrase it.

An unanswerable question hinges on a thing the sources never mention: the *dogs* in "Can I
bring my dogs to the office?", the *sabbatical* in "How many sabbatical weeks…". Those are
nouns (and the names and modifiers before them). The verbs, adverbs and prepositions say
how the question is put ("How do I get my preferred name *displayed*?", "can I keep
*wrapping up* old projects?"), and a source that answers it says that in its own words.
Term coverage (answerability.py) counts such light words at a reduced weight.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any, Protocol

from core.nlp import load_spacy

# universal part-of-speech tags of words that phrase a question rather than name its topic
LIGHT_TAGS = frozenset({"VERB", "AUX", "ADV", "ADP", "PART", "PRON", "DET", "SCONJ", "CCONJ"})
# tags of the words a noun phrase is made of, and of those it may end in
_NOMINAL = frozenset({"NOUN", "PROPN", "ADJ", "NUM"})
_HEADS = frozenset({"NOUN", "PROPN"})
# a participle inside a noun phrase: "branch *naming* convention", "*paid* leave"
_PARTICIPLES = frozenset({"VBG", "VBN"})
_SPACED = re.compile(r"\S+")
_Word = tuple[int, int, set[str], set[str]]  # start, end, POS, tags


class WordRoles(Protocol):
    def light_words(self, text: str) -> frozenset[str]:
        """The lower-cased words of ``text`` that only phrase it (verbs, adverbs, …)."""
        ...


class SpacyWordRoles:
    """Tags words with spaCy's part-of-speech tagger (the model the entity linker uses,
    loaded without its parser and NER). Loaded on first use; a question is tagged once."""

    def __init__(self, model: str, cache_size: int = 2048) -> None:
        self.model = model
        self._nlp: Any = None
        self._lock = threading.Lock()
        self.light_words = lru_cache(maxsize=cache_size)(self._light_words)
        self.noun_phrases = lru_cache(maxsize=cache_size)(self._noun_phrases)

    def _tag(self, text: str) -> Any:
        with self._lock:
            if self._nlp is None:
                self._nlp = load_spacy(
                    self.model, exclude=["parser", "ner", "lemmatizer", "senter"]
                )
            # the same length as ``text``: token offsets are offsets into it
            return self._nlp(text.replace("\u2019", "'"))

    def _noun_phrases(self, text: str) -> tuple[tuple[int, int], ...]:
        """Character spans of the noun phrases of ``text``, without their determiners or
        punctuation: "my *annual leave*", "an *NDA* on our *own template*", "(*TTS*)". A word
        is what whitespace delimits ("end-of-year" is one), so tokens are grouped into words
        first."""
        words: list[_Word | None] = []  # None: punctuation, where a phrase ends
        for m in _SPACED.finditer(text):
            a, b = m.span()
            while a < b and not text[a].isalnum():  # "(TTS)" is TTS, "leave?" is leave
                a += 1
            while b > a and not text[b - 1].isalnum():
                b -= 1
            if a == b:  # "/" alone
                words.append(None)
                continue
            # punctuation ends a phrase: "parental leave (TTS)" is two
            words += [None] * (a > m.start()) + [(a, b, set(), set())] + [None] * (b < m.end())
        tokens = [t for t in self._tag(text) if not t.is_punct]
        i = 0
        for start, end, pos, tags in filter(None, words):
            while i < len(tokens) and tokens[i].idx < end:
                if tokens[i].idx >= start:
                    pos.add(tokens[i].pos_)
                    tags.add(tokens[i].tag_)
                i += 1
        spans: list[tuple[int, int]] = []
        run: list[_Word] = []
        for i, word in enumerate([*words, None]):
            following = words[i + 1] if i + 1 < len(words) else None
            if word is not None and (
                (bool(word[2] & _NOMINAL) and not word[2] & {"PRON", "DET", "AUX"})
                # a participle before a noun: "*paid* leave"
                or (
                    bool(word[3] & _PARTICIPLES)
                    and following is not None
                    and bool(following[2] & _NOMINAL)
                )
            ):
                run.append(word)
                continue
            while run and not run[-1][2] & _HEADS:  # a phrase ends in its noun
                run.pop()
            if run:
                spans.append((run[0][0], run[-1][1]))
            run = []
        return tuple(spans)

    def _light_words(self, text: str) -> frozenset[str]:
        doc = self._tag(text)
        tags: dict[str, set[str]] = {}
        for token in doc:
            tags.setdefault(token.lower_, set()).add(token.pos_)
        # a word used once as a noun and once as a verb names the topic
        return frozenset(w for w, found in tags.items() if found <= LIGHT_TAGS)
