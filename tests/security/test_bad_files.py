"""Documents that used to freeze or blow up a load (finding 3 of the hardening review):
super-linear regexes, a YAML alias bomb, zip bombs, and blocks that became megabyte chunks.
Each parse runs in a subprocess with a hard timeout: these inputs took minutes, or
gigabytes, before the fix, and take milliseconds now."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import zipfile

import pytest

from core.text import count_tokens
from ingest.chunker import Chunker
from ingest.errors import FileRejected
from ingest.normalize import split_front_matter
from ingest.readers.markdown import MarkdownReader
from ingest.readers.office import DocxReader, XlsxReader

pytestmark = pytest.mark.unit

# each of these held the GIL for minutes in the old regexes (a few kB of input)
REDOS = {
    "heading with a run of spaces": "# a" + " " * 5000 + "b\n",
    "unclosed template tags": "{% " * 30000,
    "unclosed comments": "<!-- " * 30000,
    "unclosed expressions": "{{ x " * 30000,
    "a table row without its closing bar": "|" + " |" * 30000 + " x\n",
    "a run of opening brackets": "[" * 60000 + "\n",
    "unclosed images": "![a](" * 30000,
    "unclosed tags": "<a " * 60000,
}
YAML_BOMB = textwrap.dedent(
    """\
    ---
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    title: [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    ---
    # Real title

    Body text.
    """
)


def _parse_in_subprocess(text: str, timeout_s: float = 30) -> None:
    code = (
        "import sys; from ingest.readers.markdown import MarkdownReader; "
        "MarkdownReader().read(sys.stdin.buffer.read(), 'x.md')"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], input=text.encode(), capture_output=True, timeout=timeout_s
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]


@pytest.mark.parametrize("name", sorted(REDOS))
def test_markdown_parsing_finishes_on_regex_bombs(name: str) -> None:
    _parse_in_subprocess(REDOS[name])


def test_a_yaml_alias_bomb_is_refused_not_expanded() -> None:
    meta, body = split_front_matter(YAML_BOMB)
    assert meta == {} and body.startswith("---")
    _parse_in_subprocess(YAML_BOMB)  # and the markdown reader survives it
    doc = MarkdownReader().read(YAML_BOMB.encode(), "x.md")
    assert len(doc.title) < 1000


def test_front_matter_values_are_size_capped_and_plain_yaml_still_works() -> None:
    meta, body = split_front_matter(f"---\ntitle: {'T' * 10_000}\ntags: [a, b]\n---\nbody")
    assert len(meta["title"]) == 1000 and meta["tags"] == ["a", "b"] and body == "body"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("reader", [DocxReader(), XlsxReader()], ids=["docx", "xlsx"])
def test_zip_bombs_are_rejected_with_a_reason(reader: DocxReader | XlsxReader) -> None:
    big = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"\0" * (250 * 2**20)})
    assert len(big) < 2**20  # a small file on disk
    with pytest.raises(FileRejected, match="expands to 250 MiB"):
        reader.read(big, "bomb")
    dense = _zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"\0" * (50 * 2**20)})
    with pytest.raises(FileRejected, match="zip bomb"):
        reader.read(dense, "bomb")
    with pytest.raises(FileRejected, match="corrupt"):
        reader.read(b"PK\x03\x04 not really a zip", "broken")


@pytest.mark.parametrize(
    "text",
    [
        "# Code\n\n```\n" + "x = compute(1, 2)\n" * 100_000,  # an unterminated fence
        "| " + "cell | " * 200_000 + "\n",  # one huge table row
        "word" * 500_000,  # one "word" of 2 MB
        "# " + "Heading " * 100_000 + "\n\nBody.",  # a megabyte heading
        "a" * 100_000 + "\U0001f600" * 2640,  # tokens spread unevenly over characters
    ],
    ids=["unterminated fence", "huge table row", "huge word", "huge heading", "uneven"],
)
def test_no_chunk_is_over_the_budget_whatever_the_document(text: str) -> None:
    chunker = Chunker(max_tokens=220, overlap_tokens=40)
    doc = MarkdownReader().read(text.encode(), "x.md")
    chunks = chunker.run(doc.blocks, doc_id="d", path="x.md", title=doc.title[:300])
    assert chunks
    assert max(count_tokens(c.text) for c in chunks) <= 220
    assert max(len(c.text) for c in chunks) <= chunker.max_chars
    assert max(len(c.section) for c in chunks) <= 1000
