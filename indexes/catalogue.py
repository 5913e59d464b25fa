"""The entity catalogue: canonical entities, their aliases and where they are mentioned.

Built at ingest, read by the query service's entity linker. Stored in SQLite beside the
index so that the embedded and the server backends share one format.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.entity_rules import Mention

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mentions (
    doc_id TEXT NOT NULL,
    chunk_index INTEGER NOT NULL,
    canonical TEXT NOT NULL,
    label TEXT NOT NULL,
    alias TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS mentions_doc ON mentions(doc_id);
CREATE INDEX IF NOT EXISTS mentions_canonical ON mentions(canonical);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    collection TEXT NOT NULL
);
"""


def collection_of(path: str) -> str:
    """A document's collection: the first folder of its path under the loaded root (a
    department's, region's or subsidiary's folder); "" for a file at the top."""
    head, sep, _ = path.replace("\\", "/").lstrip("/").partition("/")
    return head if sep else ""


@dataclass(frozen=True)
class Entity:
    canonical: str
    label: str
    aliases: tuple[str, ...]
    documents: int
    chunks: int


class EntityCatalogue:
    """SQLite-backed catalogue; safe to share between threads of one process."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def replace_document(self, doc_id: str, mentions: Iterable[Mention], path: str) -> None:
        rows = [(doc_id, m.chunk_index, m.canonical, m.label, m.alias) for m in mentions]
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.execute("DELETE FROM mentions WHERE doc_id = ?", (doc_id,))
            self._conn.executemany("INSERT INTO mentions VALUES (?, ?, ?, ?, ?)", rows)
            self._conn.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?)", (doc_id, collection_of(path))
            )
            self._conn.execute("COMMIT")

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        ids = [(d,) for d in doc_ids]
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany("DELETE FROM mentions WHERE doc_id = ?", ids)
            self._conn.executemany("DELETE FROM documents WHERE doc_id = ?", ids)
            self._conn.execute("COMMIT")

    def document_collections(self) -> dict[str, str]:
        """Each filed document's collection."""
        with self._lock:
            rows = self._conn.execute("SELECT doc_id, collection FROM documents").fetchall()
        return {d: c for d, c in rows}

    def entities(self, min_documents: int = 1) -> list[Entity]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT canonical, label, json_group_array(DISTINCT alias), "
                "COUNT(DISTINCT doc_id), COUNT(DISTINCT doc_id || '#' || chunk_index) "
                "FROM mentions GROUP BY canonical, label HAVING COUNT(DISTINCT doc_id) >= ? "
                "ORDER BY COUNT(DISTINCT doc_id) DESC",
                (min_documents,),
            ).fetchall()
        return [
            Entity(
                canonical=c, label=lab, aliases=tuple(sorted(json.loads(a))), documents=d, chunks=n
            )
            for c, lab, a, d, n in rows
        ]

    def document_count(self) -> int:
        """Documents with at least one catalogued mention."""
        with self._lock:
            row = self._conn.execute("SELECT COUNT(DISTINCT doc_id) FROM mentions").fetchone()
        return int(row[0])

    def documents_naming_by_collection(self, canonical: str) -> dict[str, tuple[str, ...]]:
        """The documents mentioning ``canonical``, by collection (filed documents only)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT d.collection, m.doc_id FROM mentions m "
                "JOIN documents d ON d.doc_id = m.doc_id WHERE m.canonical = ? "
                "ORDER BY d.collection, m.doc_id",
                (canonical,),
            ).fetchall()
        out: dict[str, list[str]] = {}
        for collection, doc_id in rows:
            out.setdefault(collection, []).append(doc_id)
        return {c: tuple(ids) for c, ids in out.items()}

    def documents_with_alias(self, canonical: str, alias: str) -> list[str]:
        """Documents where ``alias`` (any case) names ``canonical``: the evidence for a link."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT DISTINCT doc_id FROM mentions WHERE canonical = ? AND lower(alias) = ?",
                (canonical, alias.lower()),
            ).fetchall()
        return [r[0] for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
