"""Backup and restore of the embedded deployment: the index, the entity catalogue and the
SQLite database, with a manifest that proves a restore is whole.

    ingest snapshot OUT_DIR     the live index version (flushed, with the lock held, so no
                                load writes meanwhile), the catalogue and the database
                                (SQLite's online backup: the API may keep running)
    ingest restore IN_DIR       checks the snapshot against its manifest, puts it in place
                                of the data dir's index, catalogue and database, then checks
                                the restored copy against the manifest again

The manifest holds counts and SHA-256 digests: of every point's payload (in id order), of
the catalogue's rows and of the database's conversations and messages. The Qdrant server
and PostgreSQL have their own tools (Qdrant snapshots, pg_dump); README "Backup" says how.
The embedding cache is not kept: a load rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import DocentError
from core.settings import Settings
from indexes.protocol import VectorIndex
from indexes.schema import PointFilter
from indexes.store import PLAIN_NAME

MANIFEST = "manifest.json"
FORMAT = 1
INDEX_DIR = "index"
CATALOGUE = "catalogue.sqlite"
DATABASE = "docent.sqlite"


class BackupError(DocentError):
    """A snapshot that cannot be taken, read or restored; the data dir is left as it was."""


@dataclass(frozen=True)
class Paths:
    """Where the embedded deployment keeps what a snapshot holds."""

    index: Path
    catalogue: Path
    database: Path | None  # None: not SQLite (PostgreSQL has pg_dump)

    @classmethod
    def of(cls, settings: Settings) -> Paths:
        if settings.qdrant_url:
            raise BackupError(
                "DOCENT_QDRANT_URL is set: back up the Qdrant server with its snapshot API "
                "and the database with pg_dump (README, Backup)."
            )
        url = settings.sqlalchemy_url
        database = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
        return cls(settings.data_dir / "index", settings.data_dir / CATALOGUE, database)


def _digest(rows: Any) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row, sort_keys=True, default=str).encode())
        h.update(b"\n")
    return h.hexdigest()


def index_fingerprint(index: VectorIndex) -> dict[str, Any]:
    hits = sorted(index.scroll(PointFilter()), key=lambda h: str(h.id))
    return {
        "points": len(hits),
        "documents": len({h.payload.get("doc_id") for h in hits}),
        "payload_sha256": _digest([str(h.id), h.payload] for h in hits),
    }


def _sqlite_fingerprint(path: Path, tables: dict[str, str]) -> dict[str, Any]:
    """Row counts and a digest per table, ``tables`` mapping a table to its ORDER BY."""
    if not path.exists():
        return {name: {"rows": 0, "sha256": _digest([])} for name in tables}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        present = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        out = {}
        for name, order in tables.items():
            rows = (
                db.execute(f"SELECT * FROM {name} ORDER BY {order}").fetchall()
                if (name in present)
                else []
            )
            out[name] = {"rows": len(rows), "sha256": _digest(list(r) for r in rows)}
        return out
    finally:
        db.close()


_DATABASE_TABLES = {"conversations": "id", "messages": "id", "traces": "trace_id"}


def _catalogue_tables(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    finally:
        db.close()
    return {n: "rowid" for n in sorted(names) if not n.startswith("sqlite_")}


def _backup_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _files_fingerprint(folder: Path, with_database: bool) -> dict[str, Any]:
    """The manifest's entries for a snapshot folder's catalogue and database."""
    return {
        "catalogue": _sqlite_fingerprint(folder / CATALOGUE, _catalogue_tables(folder / CATALOGUE)),
        "database": _sqlite_fingerprint(folder / DATABASE, _DATABASE_TABLES)
        if with_database
        else None,
    }


def snapshot(settings: Settings, store: Any, out: Path) -> dict[str, Any]:
    """Writes a snapshot to ``out`` (which must not exist or be empty); returns the manifest.
    ``store`` is the open EdgeStore: holding it keeps every load out meanwhile."""
    paths = Paths.of(settings)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: give a new folder for the snapshot.")
    index = store.active()
    index.flush()
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / INDEX_DIR).mkdir(parents=True)
    shutil.copytree(paths.index / index.name, partial / INDEX_DIR / index.name)
    (partial / INDEX_DIR / "alias.json").write_text(
        # a generation no cache has seen: a restored index never matches old cache entries
        json.dumps({"active": index.name, "generation": time.time_ns()})
    )
    if paths.catalogue.exists():
        _backup_sqlite(paths.catalogue, partial / CATALOGUE)
    if paths.database and paths.database.exists():
        _backup_sqlite(paths.database, partial / DATABASE)
    manifest = {
        "format": FORMAT,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "collection": index.name,
        "index": index_fingerprint(index),
        **_files_fingerprint(partial, paths.database is not None),
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2))
    if out.exists():
        out.rmdir()
    partial.rename(out)  # a snapshot folder exists only once it is whole
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} is not a Docent snapshot ({MANIFEST}: {exc}).") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} has snapshot format {manifest.get('format')}; need {FORMAT}.")
    return dict(manifest)


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    """The snapshot's SQLite files match the manifest (the index is checked once open)."""
    found = _files_fingerprint(folder, manifest.get("database") is not None)
    for part, name in (("catalogue", CATALOGUE), ("database", DATABASE)):
        if found[part] != manifest.get(part):
            raise BackupError(
                f"{folder / name} does not match the manifest: the snapshot is damaged."
            )


def restore(settings: Settings, folder: Path, *, force: bool) -> dict[str, Any]:
    """Puts the snapshot in place of the data dir's index, catalogue and database, and
    returns the restored index's fingerprint. Without ``force``, refuses a data dir that
    already holds an index. Everything is checked on a staged copy first: a snapshot that
    does not match its manifest changes nothing."""
    paths = Paths.of(settings)
    manifest = read_manifest(folder)
    collection = str(manifest.get("collection", ""))
    if (
        not PLAIN_NAME.fullmatch(collection)
        or "index" not in manifest
        or "catalogue" not in manifest
    ):
        raise BackupError(f"{folder / MANIFEST} is incomplete or names no plain collection.")
    if paths.database is not None and manifest.get("database") is None:
        raise BackupError(f"{folder} holds no database, but this deployment keeps one.")
    verify_files(folder, manifest)
    if (paths.index / "alias.json").exists() and not force:
        raise BackupError(
            f"{paths.index} already holds an index: stop the service, then restore with "
            "--force to replace it."
        )
    source = folder / INDEX_DIR / collection
    if not source.is_dir() or source.is_symlink() or _has_links(source):
        raise BackupError(f"{source} is missing or holds symbolic links: damaged.")
    staged = paths.index.with_name("index.restoring")
    shutil.rmtree(staged, ignore_errors=True)
    shutil.copytree(source, staged / collection, symlinks=True)
    # the alias is written here, never taken from the snapshot: it names the collection
    # the manifest vouches for, and a generation no cache has seen
    (staged / "alias.json").write_text(
        json.dumps({"active": collection, "generation": time.time_ns()})
    )
    found = _staged_fingerprint(staged)
    if found != manifest["index"]:
        shutil.rmtree(staged, ignore_errors=True)
        raise BackupError(f"the snapshot's index does not match its manifest ({found}): damaged.")
    from indexes.store import EdgeStore

    # holding the live index's lock: a running service (which holds it) makes this fail
    # with IndexLockedError before anything moves
    holder = EdgeStore(paths.index) if (paths.index / "alias.json").exists() else None
    try:
        if holder is not None:
            holder.active()
        old = paths.index.with_name("index.replaced")
        shutil.rmtree(old, ignore_errors=True)
        if paths.index.exists():
            paths.index.rename(old)
        staged.rename(paths.index)
        _replace_sqlite(folder / CATALOGUE, paths.catalogue)
        if paths.database is not None:
            _replace_sqlite(folder / DATABASE, paths.database)
    finally:
        if holder is not None:
            holder.close()
    shutil.rmtree(old, ignore_errors=True)  # only once everything new is in place
    return found


def _has_links(folder: Path) -> bool:
    return any(p.is_symlink() for p in folder.rglob("*"))


def _staged_fingerprint(staged: Path) -> dict[str, Any]:
    from indexes.store import EdgeStore

    store = EdgeStore(staged)
    try:
        return index_fingerprint(store.active())
    finally:
        store.close()


def _replace_sqlite(source: Path, target: Path) -> None:
    """The file replaced whole; its write-ahead log goes only once the copy is in place."""
    if not source.exists():
        target.unlink(missing_ok=True)
    else:
        staged = target.with_name(target.name + ".restoring")
        shutil.copyfile(source, staged)
        staged.replace(target)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
