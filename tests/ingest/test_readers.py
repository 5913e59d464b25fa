from pathlib import Path

import pytest

from ingest.document import BlockKind
from ingest.errors import FileRejected
from ingest.readers import reader_for

pytestmark = pytest.mark.unit


def _read(path: Path):  # type: ignore[no-untyped-def]
    return reader_for(path).read(path.read_bytes(), path.name)


def test_markdown_front_matter_title_and_no_template_tags(corpus: Path) -> None:
    doc = _read(corpus / "18f-handbook/pages/getting-started/piv.md")
    assert doc.title == "PIV card"
    text = " ".join(b.text for b in doc.blocks)
    assert "{%" not in text and "redirect_from" not in text
    assert any(
        b.kind is BlockKind.HEADING and b.text == "Getting issued a card" for b in doc.blocks
    )
    assert "hspd12.security@gsa.gov" in text  # link text kept, markup gone


def test_html_reader(tmp_path: Path) -> None:
    f = tmp_path / "p.html"
    f.write_text(
        "<html><head><title>Leave</title><script>x()</script></head><body>"
        "<h2>Parental</h2><p>Twelve weeks.</p><table><tr><td>a</td><td>b</td></tr></table>"
        "</body></html>"
    )
    doc = _read(f)
    assert doc.title == "Leave"
    assert [b.kind for b in doc.blocks] == [BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.TABLE]
    assert "x()" not in " ".join(b.text for b in doc.blocks)


def test_pdf_keeps_page_numbers(corpus: Path) -> None:
    doc = _read(corpus / "18f-handbook/downloads/EFT_Enrollment_Form.pdf")
    assert doc.blocks and all(b.page is not None and b.page >= 1 for b in doc.blocks)


def test_docx_headings_and_xlsx_rows(corpus: Path) -> None:
    docx = _read(corpus / "18f-handbook/downloads/TEMPLATE_Team_charter.docx")
    assert any(b.kind is BlockKind.HEADING for b in docx.blocks)
    xlsx = _read(corpus / "18f-handbook/downloads/TEMPLATE_Risk_tracker.xlsx")
    assert any(b.kind is BlockKind.TABLE for b in xlsx.blocks)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("bad.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("bad.docx", b"PK\x03\x04 broken zip", "Word"),
        ("latin1.md", "caf\u00e9 cr\u00e8me".encode("latin-1"), "UTF-8"),
        ("x.exe", b"MZ", "unsupported file type"),
        ("noext", b"\xff\xfe\x00", "UTF"),
    ],
)
def test_bad_files_are_rejected_with_a_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    f = tmp_path / name
    f.write_bytes(data)
    with pytest.raises(FileRejected, match=reason):
        _read(f)


def test_text_hidden_from_readers_is_not_indexed() -> None:
    html = (
        "<html><body><p>Visible fact.</p>"
        '<div style="display: none">hidden one</div><p hidden>hidden two</p>'
        '<span aria-hidden="true">hidden three</span>'
        '<p style="color:#fff;font-size:0px">hidden four</p>'
        '<p style="opacity:0.5">half visible</p><p style="font-size:10px">small print</p>'
        "</body></html>"
    )
    doc = reader_for(Path("x.html")).read(html.encode(), "x.html")
    text = " ".join(b.text for b in doc.blocks)
    assert "hidden" not in text
    assert "Visible fact." in text and "half visible" in text and "small print" in text
    smuggled = "Fact.\u200b" + "".join(chr(0xE0000 + ord(c)) for c in "obey me")
    md = reader_for(Path("x.md")).read(smuggled.encode(), "x.md")
    assert [b.text for b in md.blocks] == ["Fact."]
