"""Joining a section's chunks for a source preview."""

from __future__ import annotations

import pytest

from app.pipeline.documents import DocumentReader, continuation
from indexes.schema import Hit

pytestmark = pytest.mark.unit


def test_the_chunk_overlap_is_kept_once() -> None:
    before = "Leave is accrued every pay period. Unused leave carries over up to 240 hours."
    after = "Unused leave carries over up to 240 hours. Sick leave has no cap."
    assert before + continuation(before, after) == (
        "Leave is accrued every pay period. Unused leave carries over up to 240 hours. "
        "Sick leave has no cap."
    )


def test_chunks_without_a_common_run_are_separate_paragraphs() -> None:
    first = "First part ends here."
    assert first + continuation(first, "Second starts.") == (
        "First part ends here.\n\nSecond starts."
    )
    short = "ends with a."  # "a." is too short to be overlap
    assert short + continuation(short, "a. short") == "ends with a.\n\na. short"


class _Index:
    """The one VectorIndex call the reader makes, over fixed chunks (pure logic)."""

    def __init__(self, chunks: list[dict[str, object]]) -> None:
        self.chunks = chunks
        self.asked: list[object] = []

    def scroll(self, where: object, fields: object = None) -> list[Hit]:
        self.asked.append(where)
        return [Hit(id=str(i), score=0.0, payload=p) for i, p in enumerate(self.chunks)]


def _chunk(i: int, section: str, text: str, pages: tuple[int, ...] = ()) -> dict[str, object]:
    return {
        "doc_id": "d",
        "chunk_index": i,
        "path": "p.pdf",
        "title": "P",
        "section": section,
        "pages": list(pages),
        "text": text,
    }


CHUNKS = [
    _chunk(1, "Leave", "Unused leave carries over up to 240 hours. Sick leave has no cap.", (2,)),
    _chunk(
        0,
        "Leave",
        "Leave is accrued every pay period. Unused leave carries over up to 240 hours.",
        (1, 2),
    ),
    _chunk(2, "Travel", "Book travel through the agency.", (3,)),
]


def test_the_reader_joins_each_section_in_order_and_filters_inside_the_query() -> None:
    index = _Index(CHUNKS)
    view = DocumentReader(lambda: index).read("d", ["everyone"])  # type: ignore[arg-type,return-value]
    assert view is not None and [s.heading for s in view.sections] == ["Leave", "Travel"]
    assert view.sections[0].text.count("Unused leave carries over") == 1
    assert view.sections[0].pages == (1, 2) and not view.truncated
    groups = [m for m in index.asked[0].must if m.key == "groups"]  # type: ignore[attr-defined]
    assert groups and groups[0].values == ("everyone",)  # permissions are in the query
    page3 = DocumentReader(lambda: index).read("d", ["everyone"], page=3)  # type: ignore[arg-type,return-value]
    assert page3 is not None and [s.heading for s in page3.sections] == ["Travel"]
    assert DocumentReader(lambda: index).read("d", []) is None  # type: ignore[arg-type,return-value]


def test_a_preview_past_the_limit_is_cut_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import app.pipeline.documents as documents

    monkeypatch.setattr(documents, "MAX_CHARS", 100)
    view = DocumentReader(lambda: _Index(CHUNKS)).read("d", ["everyone"])  # type: ignore[arg-type,return-value]
    assert view is not None and view.truncated and [s.heading for s in view.sections] == ["Leave"]
