"""Source preview: a cited document's text, section by section, for a user who may read it.

The groups go inside the index query, as for every search: a user who may not read the
document gets what a missing one gives (nothing), so a preview never tells that a hidden
document exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from indexes.protocol import VectorIndex
from indexes.schema import F_CHUNK_INDEX, F_DOC_ID, F_GROUPS, Match, PointFilter

_FIELDS = (F_DOC_ID, F_CHUNK_INDEX, "path", "title", "section", "pages", "text")
_MIN_OVERLAP = 20  # characters: a shorter common run is a coincidence, not the chunk overlap


@dataclass(frozen=True)
class Section:
    heading: str
    pages: tuple[int, ...]
    text: str


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    path: str
    title: str
    sections: list[Section]


def joined(before: str, after: str) -> str:
    """Two consecutive chunks of one section as one text: the words the chunker repeated
    at the start of ``after`` (its overlap) are kept once."""
    for k in range(min(len(before), len(after)), _MIN_OVERLAP - 1, -1):
        if before.endswith(after[:k]):
            return before + after[k:]
    return f"{before}\n\n{after}"


class DocumentReader:
    def __init__(self, index: Callable[[], VectorIndex]) -> None:
        self.index = index

    def read(
        self,
        doc_id: str,
        groups: Sequence[str],
        *,
        section: str | None = None,
        page: int | None = None,
    ) -> DocumentView | None:
        """The document's sections (only ``section``, or those on ``page``, when given), or
        None when the user may read no chunk of it (default-deny: no groups, nothing)."""
        if not groups or not doc_id:
            return None
        where = PointFilter(must=(Match(F_DOC_ID, (doc_id,)), Match(F_GROUPS, tuple(groups))))
        hits = sorted(
            self.index().scroll(where, _FIELDS), key=lambda h: int(h.payload[F_CHUNK_INDEX])
        )
        if not hits:
            return None
        sections: list[Section] = []
        for hit in hits:
            p = hit.payload
            heading, pages = str(p.get("section", "")), tuple(p.get("pages") or ())
            if sections and sections[-1].heading == heading:
                last = sections[-1]
                merged = tuple(dict.fromkeys(last.pages + pages))
                sections[-1] = Section(heading, merged, joined(last.text, str(p["text"])))
            else:
                sections.append(Section(heading, pages, str(p.get("text", ""))))
        if section is not None:
            sections = [s for s in sections if s.heading == section]
        if page is not None:
            sections = [s for s in sections if page in s.pages]
        first = hits[0].payload
        return DocumentView(
            doc_id, str(first.get("path", "")), str(first.get("title", "")), sections
        )
