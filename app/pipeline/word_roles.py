"""Which words of a question carry its topic, and which only phrase it.

An unanswerable question hinges on a thing the sources never mention: the *dogs* in "Can I
bring my dogs to the office?", the *sabbatical* in "How many sabbatical weeks…". Those are
nouns (and the names and modifiers before them). The verbs, adverbs and prepositions say
how the question is put ("How do I get my preferred name *displayed*?", "can I keep
*wrapping up* old projects?"), and a source that answers it says that in its own words.
Term coverage (answerability.py) counts such light words at a reduced weight.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any, Protocol

from core.nlp import load_spacy

# universal part-of-speech tags of words that phrase a question rather than name its topic
LIGHT_TAGS = frozenset({"VERB", "AUX", "ADV", "ADP", "PART", "PRON", "DET", "SCONJ", "CCONJ"})


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

    def _light_words(self, text: str) -> frozenset[str]:
        with self._lock:
            if self._nlp is None:
                self._nlp = load_spacy(
                    self.model, exclude=["parser", "ner", "lemmatizer", "senter"]
                )
            doc = self._nlp(text.replace("\u2019", "'"))
        tags: dict[str, set[str]] = {}
        for token in doc:
            tags.setdefault(token.lower_, set()).add(token.pos_)
        # a word used once as a noun and once as a verb names the topic
        return frozenset(w for w, found in tags.items() if found <= LIGHT_TAGS)
