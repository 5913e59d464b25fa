"""Word (.docx) and Excel (.xlsx): headings by style, tables and sheets row by row."""

from __future__ import annotations

import io
import zipfile

from ingest.document import Block, BlockKind, ParsedDocument
from ingest.errors import FileRejected

# Office files are zip archives: what they expand to is bounded before any parser reads
# them. The sizes come from the archive's directory; zipfile never yields more bytes than a
# member declares, so a lying directory cannot get past these limits either.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # uncompressed/compressed for any member over 64 KiB


def _open_error(kind: str, exc: Exception) -> FileRejected:
    return FileRejected(f"corrupt or unreadable {kind} file: {exc}")


def check_archive(data: bytes, kind: str) -> None:
    """Reject a zip bomb: too many members, too much data, or a suspicious ratio."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise _open_error(kind, exc) from exc
    if len(members) > MAX_MEMBERS:
        raise FileRejected(f"{kind} file has {len(members)} parts (limit {MAX_MEMBERS})")
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise FileRejected(
            f"{kind} file expands to {total // 2**20} MiB (limit {MAX_UNZIPPED_BYTES // 2**20} "
            "MiB): split it or save it without embedded media"
        )
    for m in members:
        if m.file_size > 2**16 and m.file_size > MAX_RATIO * max(1, m.compress_size):
            raise FileRejected(
                f"{kind} file part {m.filename!r} expands {m.file_size // max(1, m.compress_size)}"
                f" times (limit {MAX_RATIO}): it looks like a zip bomb"
            )


class DocxReader:
    extensions = (".docx",)

    def read(self, data: bytes, name: str) -> ParsedDocument:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        check_archive(data, "Word")
        try:
            document = docx.Document(io.BytesIO(data))
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise _open_error("Word", exc) from exc
        blocks: list[Block] = []
        body = document.element.body
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                para = Paragraph(child, document)
                text = " ".join(para.text.split())
                if not text:
                    continue
                style = (para.style.name if para.style is not None else "") or ""
                if style.startswith("Heading") and style[-1:].isdigit():
                    blocks.append(Block(BlockKind.HEADING, text, level=int(style[-1])))
                elif style == "Title":
                    blocks.append(Block(BlockKind.HEADING, text, level=1))
                else:
                    blocks.append(Block(BlockKind.PARAGRAPH, text))
            elif tag == "tbl":
                table = Table(child, document)
                for row in table.rows:
                    cells = [" ".join(c.text.split()) for c in row.cells]
                    if any(cells):
                        blocks.append(Block(BlockKind.TABLE, "| " + " | ".join(cells) + " |"))
        title = (document.core_properties.title or "").strip()
        return ParsedDocument(blocks=blocks, title=title)


class XlsxReader:
    extensions = (".xlsx",)

    def read(self, data: bytes, name: str) -> ParsedDocument:
        import openpyxl

        check_archive(data, "Excel")
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise _open_error("Excel", exc) from exc
        blocks: list[Block] = []
        for sheet in book.worksheets:
            blocks.append(Block(BlockKind.HEADING, str(sheet.title), level=2))
            header: list[str] | None = None
            for row in sheet.iter_rows(values_only=True):
                cells = ["" if v is None else " ".join(str(v).split()) for v in row]
                if not any(cells):
                    continue
                if header is None:
                    header = cells
                    blocks.append(Block(BlockKind.TABLE, "| " + " | ".join(cells) + " |"))
                    continue
                pairs = [f"{h}: {v}" if h else v for h, v in zip(header, cells, strict=False) if v]
                blocks.append(Block(BlockKind.TABLE, "| " + " | ".join(pairs) + " |"))
        book.close()
        return ParsedDocument(blocks=blocks, title="")
