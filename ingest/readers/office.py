"""Word (.docx) and Excel (.xlsx): headings by style, tables and sheets row by row."""

from __future__ import annotations

import io
import zipfile

from ingest.document import Block, BlockKind, ParsedDocument
from ingest.errors import FileRejected


def _open_error(kind: str, exc: Exception) -> FileRejected:
    return FileRejected(f"corrupt or unreadable {kind} file: {exc}")


class DocxReader:
    extensions = (".docx",)

    def read(self, data: bytes, name: str) -> ParsedDocument:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
        from docx.table import Table
        from docx.text.paragraph import Paragraph

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
