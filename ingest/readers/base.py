"""The ``Reader`` protocol and helpers shared by readers."""

from __future__ import annotations

from typing import Protocol

from ingest.document import ParsedDocument
from ingest.errors import FileRejected


class Reader(Protocol):
    """Parses the bytes of one file type into blocks."""

    @property
    def extensions(self) -> tuple[str, ...]:
        """Lower-case file extensions this reader handles, with the dot."""
        ...

    def read(self, data: bytes, name: str) -> ParsedDocument: ...


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), then UTF-16 by BOM; anything else is rejected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileRejected(f"undecodable UTF-16 text: {exc.reason}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"not valid UTF-8 (byte {exc.start}: {exc.reason}); re-save the file as UTF-8"
        ) from exc
