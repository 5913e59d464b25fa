"""Readers turn one file into a ``ParsedDocument``; ``reader_for`` picks one by extension."""

from __future__ import annotations

from pathlib import Path

from ingest.errors import FileRejected
from ingest.readers.base import Reader
from ingest.readers.html import HtmlReader
from ingest.readers.markdown import MarkdownReader, TextReader
from ingest.readers.office import DocxReader, XlsxReader
from ingest.readers.pdf import PdfReader

_READERS: dict[str, Reader] = {}
_reader: Reader
for _reader in (
    MarkdownReader(),
    TextReader(),
    HtmlReader(),
    PdfReader(),
    DocxReader(),
    XlsxReader(),
):
    for _ext in _reader.extensions:
        _READERS[_ext] = _reader

# extension-less files (LICENSE, README) are read as plain text when they decode
_READERS[""] = _READERS[".txt"]
SUPPORTED_EXTENSIONS = frozenset(e for e in _READERS if e)


def reader_for(path: Path) -> Reader:
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise FileRejected(
            f"unsupported file type {path.suffix or '(none)'!r}; "
            f"supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}"
        )
    return reader


__all__ = ["SUPPORTED_EXTENSIONS", "Reader", "reader_for"]
