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
MAX_CHARS = 1_000_000  # of text in one preview; ask for a section or a page beyond that


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
    truncated: bool = False  # longer than MAX_CHARS: ask for a section or a page


def continuation(before: str, after: str) -> str:
    """What chunk ``after`` adds to the chunk ``before`` it in the same section: itself
    without the words the chunker repeated from the end of ``before`` (its overlap), or
    itself as a new paragraph when they share no such run."""
    for k in range(min(len(before), len(after)), _MIN_OVERLAP - 1, -1):
        if before.endswith(after[:k]):
            return after[k:]
    return f"\n\n{after}"


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
        # each chunk is compared with the one before it only: linear in the document's
        # length, however long a section runs
        parts: list[tuple[str, list[int], list[str], str]] = []  # heading, pages, texts, last
        size, truncated = 0, False
        for hit in hits:
            p = hit.payload
            heading, text = str(p.get("section", "")), str(p.get("text", ""))
            pages = [int(n) for n in p.get("pages") or ()]
            if (section is not None and heading != section) or (
                page is not None and page not in pages
            ):
                continue
            if size + len(text) > MAX_CHARS:
                truncated = True
                break
            size += len(text)
            if parts and parts[-1][0] == heading:
                _, seen, texts, last = parts[-1]
                texts.append(continuation(last, text))
                seen.extend(n for n in pages if n not in seen)
                parts[-1] = (heading, seen, texts, text)
            else:
                parts.append((heading, pages, [text], text))
        sections = [Section(h, tuple(pg), "".join(texts)) for h, pg, texts, _ in parts]
        first = hits[0].payload
        path, title = str(first.get("path", "")), str(first.get("title", ""))
        return DocumentView(doc_id, path, title, sections, truncated)
