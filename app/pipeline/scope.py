"""Scope consistency: a question that names an organisation, place or system is not
answered from a document of a collection where that name never occurs.

A company loads its departments', regions' or subsidiaries' documents as folders (the
collections of ``indexes.catalogue.collection_of``). A name the question links is
concentrated in some of them: it is mentioned in at least ``min_share_elsewhere`` of the
documents of one collection. A document contradicts the question's scope when it does not
mention the name itself and the name is nearly absent from its whole collection (under
``max_share_here`` of its documents). Such a document is about someone else's policy, so
the answer is drawn from the others, or abstains when none is left.

Every count is the user's own: the documents of each collection, and those naming the
entity, among the documents the user may read (one facet query per group set and index
version). What a user cannot read never changes whether, or how, their question is scoped:
neither a hidden folder's subject nor a hidden document naming the entity shows through an
abstention. A document of a collection the catalogue has not filed (loaded before
collections were recorded) is never out of scope.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.pipeline.request_scope import PerGeneration
from app.pipeline.types import LinkedEntity, RetrievedChunk
from indexes.catalogue import EntityCatalogue, collection_of

# the documents a user of these groups may read (default-deny: none for no groups)
ReadableDocuments = Callable[[Sequence[str]], frozenset[str]]

_GROUP_SETS = 256  # group sets whose counts are kept per index version


@dataclass
class _Counts:
    """One index version's catalogue, and each group set's view of it."""

    collections: dict[str, str]  # doc id -> collection, filed documents only
    naming: dict[str, dict[str, tuple[str, ...]]]  # canonical -> collection -> docs (lazy)
    views: dict[frozenset[str], _View]


@dataclass(frozen=True)
class _View:
    """What one group set reads: its documents, and how many of each collection."""

    readable: frozenset[str]
    sizes: dict[str, int]


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
        readable_documents: ReadableDocuments,
        max_share_here: float,
        min_share_elsewhere: float,
    ) -> None:
        self.catalogue = catalogue
        self.readable_documents = readable_documents
        self.max_share_here = max_share_here
        self.min_share_elsewhere = min_share_elsewhere
        self._counts = PerGeneration(generation, self._count)

    def _count(self) -> _Counts:
        return _Counts(self.catalogue.document_collections(), {}, {})

    def _view(self, counts: _Counts, groups: Sequence[str]) -> _View:
        key = frozenset(groups)
        view = counts.views.get(key)
        if view is None:
            readable = self.readable_documents(sorted(key))
            sizes: dict[str, int] = {}
            for doc_id in readable:
                collection = counts.collections.get(doc_id)
                if collection is not None:
                    sizes[collection] = sizes.get(collection, 0) + 1
            view = _View(readable, sizes)
            if len(counts.views) >= _GROUP_SETS:
                counts.views.clear()
            counts.views[key] = view
        return view

    def _naming(self, counts: _Counts, canonical: str) -> dict[str, tuple[str, ...]]:
        """The documents naming ``canonical``, by collection (all of them: callers keep
        the readable ones)."""
        docs = counts.naming.get(canonical)
        if docs is None:
            docs = self.catalogue.documents_naming_by_collection(canonical)
            counts.naming[canonical] = docs
        return docs

    def _share(self, counts: _Counts, view: _View, canonical: str, collection: str) -> float:
        """The share of the collection's readable documents that name ``canonical``."""
        size = view.sizes.get(collection, 0)
        if not size:
            return 0.0
        named = self._naming(counts, canonical).get(collection, ())
        return sum(d in view.readable for d in named) / size

    def _scopes(
        self, counts: _Counts, view: _View, entities: Sequence[LinkedEntity]
    ) -> list[tuple[str, ...]]:
        """The names of the entities that set a scope for this user: some collection they
        read names the entity often enough to own it, and another all but lacks it. A name
        every collection uses (a chat tool both companies write about) tells no collection
        from another: as a scope it would let any document through. The files at the top
        of the loaded folder are no collection of their own here."""
        return [
            names
            for names in map(_names, entities)
            if any(
                self._share(counts, view, n, c) >= self.min_share_elsewhere
                for n in names
                for c in self._naming(counts, n)
            )
            and any(self._lacks(counts, view, names, c) for c in view.sizes if c)
        ]

    def _lacks(self, counts: _Counts, view: _View, names: tuple[str, ...], collection: str) -> bool:
        """Whether the collection all but lacks the entity: under ``max_share_here`` of its
        readable documents name it."""
        return max(self._share(counts, view, n, collection) for n in names) < self.max_share_here

    def _contradicts(
        self, counts: _Counts, view: _View, names: tuple[str, ...], chunk: RetrievedChunk
    ) -> bool:
        collection = collection_of(chunk.path)
        if collection not in view.sizes:  # not filed: unknown, never contradicting
            return False
        if any(chunk.doc_id in self._naming(counts, n).get(collection, ()) for n in names):
            return False
        return self._lacks(counts, view, names, collection)

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
        view = self._view(counts, groups)
        if len(view.sizes) < 2:  # one collection read: nothing to tell apart
            return chunks, 0
        scopes = self._scopes(counts, view, entities)
        if not scopes:
            return chunks, 0
        kept = [c for c in chunks if not all(self._contradicts(counts, view, n, c) for n in scopes)]
        return kept, len(chunks) - len(kept)
