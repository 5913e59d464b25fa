"""PDF through pypdf: one paragraph per text block, each with its page number."""

from __future__ import annotations

import io
import re

from ingest.document import Block, BlockKind, ParsedDocument
from ingest.errors import FileRejected
from ingest.normalize import clean_text


class PdfReader:
    extensions = (".pdf",)

    def read(self, data: bytes, name: str) -> ParsedDocument:
        from pypdf import PdfReader as _Pdf
        from pypdf.errors import PdfReadError

        try:
            pdf = _Pdf(io.BytesIO(data), strict=False)
            if pdf.is_encrypted and not pdf.decrypt(""):
                raise FileRejected("encrypted PDF; remove the password and load it again")
            pages = [page.extract_text() or "" for page in pdf.pages]
            title = str((pdf.metadata or {}).get("/Title") or "").strip()  # type: ignore[call-overload]
        except FileRejected:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            raise FileRejected(f"corrupt or unreadable PDF: {exc}") from exc
        blocks: list[Block] = []
        for number, raw in enumerate(pages, start=1):
            for para in re.split(r"\n\s*\n|(?<=[.:])\n(?=[A-Z])", clean_text(raw)):
                text = " ".join(para.split())
                if text:
                    blocks.append(Block(BlockKind.PARAGRAPH, text, page=number))
        return ParsedDocument(blocks=blocks, title=title)
