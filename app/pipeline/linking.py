"""Stage 3b: entity linking with spaCy EntityRulers built from the ingest-time catalogue.

The catalogue is what spaCy's NER (plus the acronym, tool and title rules) found at ingest.
A question's mention links only when it is one of those catalogued aliases, and every
alias is a ruler pattern, so running the statistical NER again on the question adds no
link: on the 85 evaluation questions the links were identical with and without it, and
linking took 0.25 ms instead of 2.9 ms (median). The rulers therefore run alone, on
spaCy's English tokenizer.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.pipeline.types import LinkedEntity
from core.entity_rules import (
    COMMON,
    NER_LABELS,
    NER_ONLY_EXCLUDE,
    canonical_form,
    rule_mentions,
)
from core.glossary import Glossary
from core.nlp import load_spacy
from indexes.catalogue import Entity, EntityCatalogue

_MAX_PATTERNS = 5000

# may a user of these groups read at least one of these documents? (asked of the index)
Readable = Callable[[Sequence[str], tuple[str, ...]], bool]

log = logging.getLogger(__name__)
_RETRY_S = 30.0  # a failed rebuild (the catalogue's database down) is retried this much later


def _deny(doc_ids: Sequence[str], groups: tuple[str, ...]) -> bool:
    return False


@dataclass(frozen=True)
class CatalogueNoise:
    """What the noise filter kept and dropped of the catalogue's single-word NER names."""

    kept: int
    dropped: tuple[str, ...]


def common_words(
    entities: Sequence[Entity], chunks_with: Callable[[str], int], min_tagged_share: float
) -> CatalogueNoise:
    """Single-word names that NER gave a label but the corpus uses as common words.

    "Leave" tagged as a place and "Teammates" as an organisation are words the documents
    mostly write without a label: NER tagged them in under ``min_tagged_share`` of the
    chunks that hold the word. A name NER found only in lower case ("doc", "devs") is
    noise too. Rule-made names (acronyms, glossary tools, titles) are never dropped, nor
    are names with digits, dots or an inner capital ("BigQuery", "cloud.gov").
    """
    tagged: dict[str, int] = {}  # lowercased name -> chunks where NER tagged it
    capitalised: set[str] = set()  # lowercased names NER also found capitalised
    for e in entities:
        if e.label not in NER_LABELS:
            continue
        for alias in e.aliases:
            if not re.fullmatch(r"[A-Za-z][a-z]*(?:[ -][A-Za-z][a-z]*)*", alias):
                continue  # digits, dots, inner capitals, acronyms: a name's own spelling
            key = alias.lower()
            if " " in alias and not alias.islower():
                continue  # "Paid Parental Leave": a multi-word name, capitalised
            tagged[key] = tagged.get(key, 0) + e.chunks
            if not alias.islower():
                capitalised.add(key)
    dropped = sorted(
        word
        for word, n in tagged.items()
        if word not in capitalised
        or (df := chunks_with(word)) == 0  # a stop word to BM25: "Own", "Next"
        or n < min_tagged_share * df
    )
    return CatalogueNoise(kept=len(tagged) - len(dropped), dropped=tuple(dropped))


class EntityLinker:
    """Links mentions and acronyms in a question to canonical catalogue entities.

    The catalogue spans every document, so a link is kept only when the asking user may
    read a document in which that alias names that entity (``readable``, asked of the
    index on every question, so a revoked group loses its links at once). Without
    ``readable`` nothing links: default-deny.
    """

    def __init__(
        self,
        catalogue: EntityCatalogue,
        *,
        model: str,
        scope_share: float,
        readable: Readable = _deny,
        glossary: Glossary = COMMON,
        chunks_with: Callable[[str], int],
        min_tagged_share: float,
        generation: Callable[[], str],
    ) -> None:
        """``chunks_with(word)``: how many chunks hold a word, for the noise filter
        (``common_words``). ``generation()``: the index generation, which every load bumps
        after it changed the catalogue; the rulers are rebuilt when it moves."""
        self.catalogue = catalogue
        self.generation = generation
        self.readable = readable
        self.glossary = glossary
        self.model = model
        self.scope_share = scope_share
        self.chunks_with = chunks_with
        self.min_tagged_share = min_tagged_share
        self.noise = CatalogueNoise(0, ())
        self._nlp: Any = None
        self._aliases: dict[str, tuple[str, str]] = {}  # lowercased alias -> (canonical, label)
        self._acronyms: dict[str, list[str]] = {}  # canonical -> its acronym aliases
        self._scopes: set[str] = set()
        self._documents: dict[str, int] = {}  # canonicals mentioned in scope_share of the documents
        self._lock = threading.Lock()  # around the spaCy pipeline and the swap of a new one
        self._build_lock = threading.Lock()  # one build at a time
        self._built_for: str | None = None  # the generation the rulers were built from
        self._rebuilding = False
        self._flag_lock = threading.Lock()
        self._retry_at = 0.0  # after a failed rebuild, none before this

    def warm_up(self) -> None:
        """Builds the rulers on first use. After a load moved the index generation (in
        this process or another: an ingest job, another replica), a rebuild starts in the
        background and questions link with the previous rulers until it is done, so every
        replica links against the shared catalogue within one build's time."""
        current = self.generation()
        if self._nlp is None:
            with self._build_lock:
                if self._nlp is None:
                    self._build(current)
            return
        if current == self._built_for or time.monotonic() < self._retry_at:
            return
        with self._flag_lock:
            if self._rebuilding:
                return
            self._rebuilding = True
        try:
            threading.Thread(
                target=self._rebuild, daemon=True, name="docent-linker-rebuild"
            ).start()
        except RuntimeError:  # no thread to be had now: the next question tries again
            with self._flag_lock:
                self._rebuilding = False

    def _rebuild(self) -> None:
        try:
            with self._build_lock:
                # read here, under the lock: a refresh() meanwhile may have built it already
                current = self.generation()
                if current != self._built_for:
                    self._build(current)
        except Exception:  # the old rulers keep serving; retried after a pause, not at once
            self._retry_at = time.monotonic() + _RETRY_S
            log.exception("rebuilding the entity rulers failed; retrying in %.0f s", _RETRY_S)
        finally:
            with self._flag_lock:
                self._rebuilding = False

    def refresh(self) -> None:
        """Rebuild the rulers now, from the catalogue as it is."""
        with self._build_lock:
            self._build(self.generation())

    def _build(self, generation: str) -> None:
        nlp = load_spacy(self.model, exclude=[*NER_ONLY_EXCLUDE, "ner"])
        aliases: dict[str, tuple[str, str]] = {}
        acronyms: dict[str, list[str]] = {}
        # phrase patterns (spaCy's PhraseMatcher) match far faster than token patterns:
        # acronyms case-sensitively ("IT" is not "it"), every other alias by lower case
        exact: list[dict[str, Any]] = []
        folded: list[dict[str, Any]] = []
        # expansions first so that "PPL" maps to "Paid Parental Leave", not to itself
        entities = sorted(self.catalogue.entities(), key=lambda e: e.canonical.isupper())
        noise = common_words(entities, self.chunks_with, self.min_tagged_share)
        noisy = set(noise.dropped)
        for entity in entities[:_MAX_PATTERNS]:
            for alias in entity.aliases:
                key = alias.lower()
                if len(alias) < 2 or key in aliases:
                    continue
                if entity.label in NER_LABELS and key in noisy:
                    continue
                aliases[key] = (entity.canonical, entity.label)
                if alias.isupper() and alias != entity.canonical:
                    acronyms.setdefault(entity.canonical, []).append(alias)
                pattern = {"label": entity.label, "pattern": alias, "id": entity.canonical}
                (exact if alias.isupper() else folded).append(pattern)
        for name, attr, patterns in (
            ("acronym_ruler", "ORTH", exact),
            ("alias_ruler", "LOWER", folded),
        ):
            if patterns:  # an empty index has no catalogue yet
                ruler: Any = nlp.add_pipe(
                    "entity_ruler",
                    name=name,
                    config={"overwrite_ents": True, "phrase_matcher_attr": attr},
                )
                ruler.add_patterns(patterns)
        total = self.catalogue.document_count()
        # by what the aliases link to: "TTS" is catalogued alone but links to its expansion
        scopes = {
            aliases[alias.lower()][0]
            for e in entities
            if total and e.documents >= self.scope_share * total
            for alias in e.aliases
            if alias.lower() in aliases
        }
        with self._lock:
            self._nlp, self._aliases, self._acronyms = nlp, aliases, acronyms
            self._scopes = scopes
            self._documents = {e.canonical: e.documents for e in entities}
            self.noise = noise
            self._built_for = generation

    def acronyms_of(self, canonical: str) -> list[str]:
        return self._acronyms.get(canonical, [])

    def run(self, text: str, groups: tuple[str, ...]) -> list[LinkedEntity]:
        """The entities of ``text`` that a user of ``groups`` may see linked."""
        self.warm_up()
        text = text.replace("\u2019", "'")  # aliases are stored with '
        with self._lock:
            doc = self._nlp(text)
        found: dict[str, LinkedEntity] = {}
        spans = [(ent.text, ent.label_) for ent in doc.ents]
        spans += [(m.alias, m.label) for m in rule_mentions(text, 0, self.glossary)]
        for surface, label in spans:
            hit = self._aliases.get(canonical_form(surface).lower())
            if hit is None:
                continue
            canonical, known_label = hit
            if canonical in found or not self.visible(canonical, surface, groups):
                continue
            found[canonical] = LinkedEntity(surface, canonical, known_label or label)
        return list(found.values())

    def documents_naming(self, canonical: str) -> int:
        """How many documents name ``canonical`` (0 for an unknown name)."""
        self.warm_up()
        return self._documents.get(canonical, 0)

    def names(self, text: str) -> list[tuple[str, str]]:
        """The names ``text`` mentions, each with its label (ORG, PRODUCT, GPE, TOOL, ...):
        what kind of names a sentence holds, for the answer-type check. Says nothing about
        documents, so it asks no permission."""
        self.warm_up()
        with self._lock:
            doc = self._nlp(text.replace("\u2019", "'"))
        found = [(ent.text, ent.label_) for ent in doc.ents]
        return found + [(m.alias, m.label) for m in rule_mentions(text, 0, self.glossary)]

    def visible(self, canonical: str, surface: str, groups: tuple[str, ...]) -> bool:
        """Whether a user of ``groups`` may read a document where ``surface`` names
        ``canonical``."""
        if not groups:
            return False
        key = canonical_form(surface).lower()
        docs = self.catalogue.documents_with_alias(canonical, key)
        return bool(docs) and self.readable(docs, groups)

    def expand(self, text: str, entities: list[LinkedEntity]) -> str:
        """Spell out linked acronyms so dense and sparse retrieval both see the full name."""
        extra = [
            e.canonical
            for e in entities
            if e.mention != e.canonical and e.canonical.lower() not in text.lower()
        ]
        if not extra:
            return text
        return f"{text} ({'; '.join(extra)})"

    def dense_text(self, text: str, entities: list[LinkedEntity]) -> str:
        """The question without its scope entities, expanded, for the dense query.

        A scope entity is mentioned in at least ``scope_share`` of the documents
        (the company's name in its own handbook): it says where to look, not what about. The
        entity boost keeps the where; a small embedding model, given the name, matches
        chunks that say the name over the ones about the question's subject.
        """
        scoped = [e for e in entities if e.canonical in self._scopes]
        if not scoped:
            return self.expand(text, entities)
        names = {
            n for e in scoped for n in (e.mention, e.canonical, *self.acronyms_of(e.canonical))
        }
        alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        topic = re.sub(rf"\b(?:{alternatives})(?:'s)?\b", " ", text, flags=re.I)
        topic = " ".join(topic.split())
        if len(re.findall(r"\w+", topic)) < 3:
            topic = text  # a question only about the scope ("What is Acme?") keeps it
        return self.expand(topic, [e for e in entities if e.canonical not in self._scopes])


def boost_terms(linker: EntityLinker, entities: list[LinkedEntity]) -> tuple[str, ...]:
    """Canonical names plus their acronyms: chunks may be tagged with either."""
    terms: list[str] = []
    for e in entities:
        terms.append(e.canonical)
        terms.extend(linker.acronyms_of(e.canonical))
        if re.fullmatch(r"[A-Z]{2,6}", e.mention):
            terms.append(e.mention)
    return tuple(dict.fromkeys(terms))
