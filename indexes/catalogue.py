"""The entity catalogue: canonical entities, their aliases and where they are mentioned.

Built at ingest, read by the query service's entity linker. Stored in a SQL database: by
default a SQLite file beside the embedded index; with several processes, the PostgreSQL
database (``DOCENT_CATALOGUE_URL``), so the ingest job and every API replica share it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    distinct,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.expression import Executable

from core.database import make_engine
from core.entity_rules import Mention
from indexes.errors import IndexUnavailableError

_CREATE_ATTEMPTS = 4
_META = MetaData()
_MENTIONS = Table(
    "catalogue_mentions",
    _META,
    Column("doc_id", String, nullable=False, index=True),
    Column("chunk_index", Integer, nullable=False),
    Column("canonical", String, nullable=False, index=True),
    Column("label", String, nullable=False),
    Column("alias", String, nullable=False),
)
_DOCUMENTS = Table(
    "catalogue_documents",
    _META,
    Column("doc_id", String, primary_key=True),
    Column("collection", String, nullable=False),
)
# corpus drift: what each load changed, written by whichever process loaded (the ingest job,
# an API replica), read by every API replica for its gauges
_LOADS = Table(
    "catalogue_loads",
    _META,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("added", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("deleted", Integer, nullable=False),
    Column("acl_updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
)
LOAD_COUNTS = ("added", "updated", "deleted", "acl_updated", "unchanged", "failed")


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
    """The catalogue's tables in any SQLAlchemy database: a SQLite file for one machine,
    the PostgreSQL database for several processes, where the ingest job writes it and every
    API replica links against the same rows. Safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = make_engine(url)
        for attempt in range(_CREATE_ATTEMPTS):
            try:
                _META.create_all(self._engine)  # checks first: a no-op once the tables exist
                break
            except SQLAlchemyError as exc:
                # another process creating the same tables at the same moment fails one of
                # the two ("already exists"): the next look finds them
                if attempt + 1 < _CREATE_ATTEMPTS:
                    time.sleep(0.1 * (attempt + 1))
                    continue
                raise IndexUnavailableError(
                    f"Cannot open the entity catalogue at {self._engine.url!r}: "
                    f"{getattr(exc, 'orig', None) or exc.__class__.__name__}. Check "
                    "DOCENT_CATALOGUE_URL (unset: a SQLite file under DOCENT_DATA_DIR)."
                ) from exc
        if self._engine.dialect.name == "sqlite":
            self._adopt_legacy_tables()

    def _adopt_legacy_tables(self) -> None:
        """A catalogue file from before the shared tables (``mentions``, ``documents``):
        its rows move into the new tables once, so an upgrade links as before."""
        if not {"mentions", "documents"} <= set(inspect(self._engine).get_table_names()):
            return
        with self._engine.begin() as conn:
            if conn.execute(select(func.count()).select_from(_MENTIONS)).scalar_one() == 0:
                conn.execute(
                    text(
                        "INSERT INTO catalogue_mentions (doc_id, chunk_index, canonical, label, "
                        "alias) SELECT doc_id, chunk_index, canonical, label, alias FROM mentions"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO catalogue_documents (doc_id, collection) "
                        "SELECT doc_id, collection FROM documents"
                    )
                )
            conn.execute(text("DROP TABLE mentions"))
            conn.execute(text("DROP TABLE documents"))

    @classmethod
    def at(cls, path: Path) -> EntityCatalogue:
        """A catalogue in the SQLite file ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(f"sqlite:///{path.resolve()}")

    def replace_document(self, doc_id: str, mentions: Iterable[Mention], path: str) -> None:
        rows = [
            {
                "doc_id": doc_id,
                "chunk_index": m.chunk_index,
                "canonical": m.canonical,
                "label": m.label,
                "alias": m.alias,
            }
            for m in mentions
        ]
        with self._engine.begin() as conn:
            conn.execute(delete(_MENTIONS).where(_MENTIONS.c.doc_id == doc_id))
            if rows:
                conn.execute(insert(_MENTIONS), rows)
            conn.execute(
                self._upsert_document({"doc_id": doc_id, "collection": collection_of(path)})
            )

    def _upsert_document(self, row: dict[str, str]) -> Executable:
        """Insert or replace in one statement: two loads of one document at once (two
        ingest processes) both succeed, the later one's collection kept."""
        make = pg_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        statement = make(_DOCUMENTS).values(**row)
        return statement.on_conflict_do_update(
            index_elements=[_DOCUMENTS.c.doc_id],
            set_={"collection": statement.excluded.collection},
        )

    def record_load(self, counts: dict[str, int]) -> None:
        """What one load changed (``LOAD_COUNTS``), for corpus drift."""
        row = {k: int(counts.get(k, 0)) for k in LOAD_COUNTS}
        with self._engine.begin() as conn:
            conn.execute(insert(_LOADS).values(at=datetime.now(UTC), **row))

    def loads(self, limit: int = 20) -> list[dict[str, object]]:
        """The latest loads, newest first."""
        query = select(_LOADS).order_by(_LOADS.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:  # SQLite hands back the UTC it was given without its zone
            if row["at"].tzinfo is None:
                row["at"] = row["at"].replace(tzinfo=UTC)
        return rows

    def delete_documents(self, doc_ids: Iterable[str]) -> None:
        ids = list(doc_ids)
        with self._engine.begin() as conn:
            for start in range(0, len(ids), 500):  # bounded IN lists
                part = ids[start : start + 500]
                conn.execute(delete(_MENTIONS).where(_MENTIONS.c.doc_id.in_(part)))
                conn.execute(delete(_DOCUMENTS).where(_DOCUMENTS.c.doc_id.in_(part)))

    def document_collections(self) -> dict[str, str]:
        """Each filed document's collection."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(_DOCUMENTS.c.doc_id, _DOCUMENTS.c.collection)).all()
        return {d: c for d, c in rows}

    def entities(self, min_documents: int = 1) -> list[Entity]:
        m = _MENTIONS.c
        per_chunk = (
            select(m.canonical, m.label, m.doc_id, m.chunk_index).distinct().subquery("per_chunk")
        )
        counts = (
            select(
                per_chunk.c.canonical,
                per_chunk.c.label,
                func.count(distinct(per_chunk.c.doc_id)),
                func.count(),
            )
            .group_by(per_chunk.c.canonical, per_chunk.c.label)
            .having(func.count(distinct(per_chunk.c.doc_id)) >= min_documents)
        )
        aliases = select(m.canonical, m.label, m.alias).distinct()
        with self._engine.connect() as conn:
            counted = conn.execute(counts).all()
            named: dict[tuple[str, str], set[str]] = {}
            for canonical, label, alias in conn.execute(aliases):
                named.setdefault((canonical, label), set()).add(alias)
        found = [
            Entity(
                canonical=c,
                label=lab,
                aliases=tuple(sorted(named.get((c, lab), ()))),
                documents=d,
                chunks=n,
            )
            for c, lab, d, n in counted
        ]
        # most documents first; ties in a fixed order, the same on every replica
        return sorted(found, key=lambda e: (-e.documents, e.canonical, e.label))

    def document_count(self) -> int:
        """Documents with at least one catalogued mention."""
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count(distinct(_MENTIONS.c.doc_id)))).scalar_one())

    def documents_naming_by_collection(self, canonical: str) -> dict[str, tuple[str, ...]]:
        """The documents mentioning ``canonical``, by collection (filed documents only)."""
        m, d = _MENTIONS.c, _DOCUMENTS.c
        query = (
            select(d.collection, m.doc_id)
            .distinct()
            .join_from(_MENTIONS, _DOCUMENTS, d.doc_id == m.doc_id)
            .where(m.canonical == canonical)
            .order_by(d.collection, m.doc_id)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        out: dict[str, list[str]] = {}
        for collection, doc_id in rows:
            out.setdefault(collection, []).append(doc_id)
        return {c: tuple(ids) for c, ids in out.items()}

    def documents_with_alias(self, canonical: str, alias: str) -> list[str]:
        """Documents where ``alias`` (any case) names ``canonical``: the evidence for a link."""
        m = _MENTIONS.c
        query = (
            select(m.doc_id)
            .distinct()
            .where(m.canonical == canonical, func.lower(m.alias) == alias.lower())
        )
        with self._engine.connect() as conn:
            return [r[0] for r in conn.execute(query)]

    def close(self) -> None:
        self._engine.dispose()
