import pytest

from core.text import count_tokens
from ingest.chunker import Chunker
from ingest.document import Block, BlockKind
from ingest.readers.markdown import markdown_blocks

pytestmark = pytest.mark.unit


def _chunks(md: str, max_tokens: int = 60, overlap: int = 10):  # type: ignore[no-untyped-def]
    return Chunker(max_tokens=max_tokens, overlap_tokens=overlap).run(
        markdown_blocks(md), doc_id="d", path="p.md", title="T"
    )


def test_headings_give_each_chunk_its_section_path() -> None:
    chunks = _chunks(
        "# Leave\n\nIntro text.\n\n## Parental\n\nTwelve weeks.\n\n# Travel\n\nBook early."
    )
    assert [c.section for c in chunks] == ["Leave", "Leave > Parental", "Travel"]
    assert [c.index for c in chunks] == [0, 1, 2]


def test_budget_is_respected_and_overlap_repeats_whole_sentences() -> None:
    body = " ".join(f"Sentence number {i} talks about leave policy details." for i in range(40))
    chunks = _chunks(f"# S\n\n{body}", max_tokens=60, overlap=12)
    assert len(chunks) > 3
    assert all(count_tokens(c.text) <= 60 for c in chunks)
    last_of_first = chunks[0].text.split(". ")[-1].rstrip(".")
    assert last_of_first in chunks[1].text  # the overlap carried the last sentence


def test_table_rows_and_code_blocks_are_never_split() -> None:
    rows = "\n".join(f"| row {i} | value {i} with some words | more |" for i in range(30))
    code = "```\n" + "\n".join(f"line_{i} = {i}" for i in range(20)) + "\n```"
    chunks = _chunks(f"# T\n\n| a | b | c |\n|---|---|---|\n{rows}\n\n{code}\n", max_tokens=80)
    for i in range(30):
        holders = [c for c in chunks if f"| row {i} | value {i} with some words | more |" in c.text]
        assert holders, f"row {i} was cut"
    assert any(code in c.text for c in chunks)  # the code block whole, in one chunk


def test_pdf_pages_are_kept() -> None:
    blocks = [
        Block(BlockKind.PARAGRAPH, "Page one text.", page=1),
        Block(BlockKind.PARAGRAPH, "Page two text.", page=2),
    ]
    chunks = Chunker(max_tokens=220, overlap_tokens=40).run(
        blocks, doc_id="d", path="f.pdf", title="F"
    )
    assert chunks[0].pages == (1, 2)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ValueError):
        Chunker(max_tokens=10, overlap_tokens=0)
