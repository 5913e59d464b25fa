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
aggregates over all documents, but a collection owns a name for a user only when the user
may read one of its documents that name it: what a user cannot read never sets the scope
of their question (a hidden folder's subject is not revealed by what it makes abstain). A
document of a collection the catalogue has not filed (loaded before collections were
recorded) is never out of scope.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.pipeline.request_scope import PerGeneration
from app.pipeline.types import LinkedEntity, RetrievedChunk
from indexes.catalogue import EntityCatalogue, collection_of

# whether a user of these groups may read one of these documents (default-deny)
Readable = Callable[[Sequence[str], Sequence[str]], bool]


@dataclass(frozen=True)
class _Counts:
    sizes: dict[str, int]  # documents per collection
    mentions: dict[str, dict[str, int]]  # canonical -> collection -> documents naming it
    # canonical -> collection -> documents naming it (filled lazily)
    documents: dict[str, dict[str, tuple[str, ...]]]

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
        readable: Readable,
        max_share_here: float,
        min_share_elsewhere: float,
    ) -> None:
        self.catalogue = catalogue
        self.readable = readable
        self.max_share_here = max_share_here
        self.min_share_elsewhere = min_share_elsewhere
        self._counts = PerGeneration(generation, self._count)

    def _count(self) -> _Counts:
        return _Counts(self.catalogue.collection_sizes(), self.catalogue.collection_mentions(), {})

    def _naming(self, counts: _Counts, canonical: str) -> dict[str, tuple[str, ...]]:
        """The documents naming ``canonical``, by collection."""
        docs = counts.documents.get(canonical)
        if docs is None:
            docs = self.catalogue.documents_naming_by_collection(canonical)
            counts.documents[canonical] = docs
        return docs

    def _scopes(
        self, counts: _Counts, entities: Sequence[LinkedEntity], groups: Sequence[str]
    ) -> list[tuple[str, ...]]:
        """The names of the entities that set a scope for this user: some collection names
        the entity often enough to own it, in a document the user may read."""
        return [
            names
            for names in map(_names, entities)
            if any(
                counts.share(n, c) >= self.min_share_elsewhere
                and self.readable(self._naming(counts, n).get(c, ()), groups)
                for n in names
                for c in counts.mentions.get(n, {})
            )
        ]

    def _contradicts(self, counts: _Counts, names: tuple[str, ...], chunk: RetrievedChunk) -> bool:
        collection = collection_of(chunk.path)
        if collection not in counts.sizes:  # not filed: unknown, never contradicting
            return False
        if any(chunk.doc_id in self._naming(counts, n).get(collection, ()) for n in names):
            return False
        return max(counts.share(n, collection) for n in names) < self.max_share_here

    def split(
        self,
        entities: Sequence[LinkedEntity],
        chunks: list[RetrievedChunk],
        groups: Sequence[str],
    ) -> tuple[list[RetrievedChunk], int]:
        """The chunks (all readable by ``groups``) consistent with the question's scope, and
        how many were set aside. A document must fit one of the scopes the question names
        (a question comparing two organisations reads both)."""
        if not entities or not chunks:
            return chunks, 0
        counts = self._counts.get()
        if len(counts.sizes) < 2:  # one collection: nothing to tell apart
            return chunks, 0
        scopes = self._scopes(counts, entities, groups)
        if not scopes:
            return chunks, 0
        kept = [c for c in chunks if not all(self._contradicts(counts, n, c) for n in scopes)]
        return kept, len(chunks) - len(kept)
