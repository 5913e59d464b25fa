"""Scope consistency: a question that names an organisation, place or system is not
answered from a document of a collection where that name never occurs.

A company loads its departments', regions' or subsidiaries' documents as folders (the
collections of ``indexes.catalogue.collection_of``). A name the question links is
concentrated in some of them: it is mentioned in at least ``min_share_elsewhere`` of the
documents of one collection. A document contradicts the question's scope when it does not
mention the name itself and the name is nearly absent from its whole collection (under
``max_share_here`` of its documents). Such a document is about someone else's policy, so
the answer is drawn from the others, or abstains when none is left.

The counts come from the entity catalogue and are rebuilt when the index changes. They are
aggregates over all documents: they decide only which of the chunks a user may read are
used, and reveal no document.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.pipeline.request_scope import PerGeneration
from app.pipeline.types import LinkedEntity, RetrievedChunk
from indexes.catalogue import EntityCatalogue, collection_of


@dataclass(frozen=True)
class _Counts:
    sizes: dict[str, int]  # documents per collection
    mentions: dict[str, dict[str, int]]  # canonical -> collection -> documents naming it
    documents: dict[str, frozenset[str]]  # canonical -> documents naming it (filled lazily)

    def share(self, canonical: str, collection: str) -> float:
        size = self.sizes.get(collection, 0)
        return self.mentions.get(canonical, {}).get(collection, 0) / size if size else 0.0


def _names(entity: LinkedEntity) -> tuple[str, ...]:
    """What the catalogue may file the entity under: its canonical name and, for an alias
    such as an acronym written alone ("TTS"), the alias itself."""
    return tuple(dict.fromkeys((entity.canonical, entity.mention)))


class ScopeCheck:
    def __init__(
        self,
        catalogue: EntityCatalogue,
        generation: Callable[[], str],
        *,
        max_share_here: float,
        min_share_elsewhere: float,
    ) -> None:
        self.catalogue = catalogue
        self.max_share_here = max_share_here
        self.min_share_elsewhere = min_share_elsewhere
        self._counts = PerGeneration(generation, self._count)

    def _count(self) -> _Counts:
        return _Counts(self.catalogue.collection_sizes(), self.catalogue.collection_mentions(), {})

    def _mentioned_in(self, counts: _Counts, canonical: str) -> frozenset[str]:
        docs = counts.documents.get(canonical)
        if docs is None:
            docs = frozenset(self.catalogue.documents_mentioning(canonical))
            counts.documents[canonical] = docs
        return docs

    def contradicts(self, entities: Sequence[LinkedEntity], chunk: RetrievedChunk) -> bool:
        """Whether ``chunk``'s document is outside the scope a named entity sets."""
        if not entities:
            return False
        counts = self._counts.get()
        if len(counts.sizes) < 2:  # one collection: nothing to tell apart
            return False
        collection = collection_of(chunk.path)
        # the scopes the question names; the document must fit one of them (a question
        # comparing two organisations reads both)
        scoped = [names for names in map(_names, entities) if self._concentrated(counts, names)]
        return bool(scoped) and all(
            self._contradicts(counts, names, chunk, collection) for names in scoped
        )

    def _concentrated(self, counts: _Counts, names: tuple[str, ...]) -> bool:
        """Whether some collection names the entity often enough to own it."""
        collections = {c for n in names for c in counts.mentions.get(n, {})}
        return any(
            max(counts.share(n, c) for n in names) >= self.min_share_elsewhere for c in collections
        )

    def _contradicts(
        self, counts: _Counts, names: tuple[str, ...], chunk: RetrievedChunk, collection: str
    ) -> bool:
        if any(chunk.doc_id in self._mentioned_in(counts, n) for n in names):
            return False
        return max(counts.share(n, collection) for n in names) < self.max_share_here

    def split(
        self, entities: Sequence[LinkedEntity], chunks: list[RetrievedChunk]
    ) -> tuple[list[RetrievedChunk], int]:
        """The chunks consistent with the question's scope, and how many were set aside."""
        kept = [c for c in chunks if not self.contradicts(entities, c)]
        return kept, len(chunks) - len(kept)
