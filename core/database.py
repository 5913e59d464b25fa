"""SQLAlchemy engines for Docent's databases: the service's (app/storage) and the entity
catalogue's (indexes/catalogue.py). SQLite for one machine, PostgreSQL (psycopg) for several
processes; the URL decides."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    # WAL + NORMAL: a commit no longer waits for fsync; the database stays consistent, and
    # only the last answers before a power loss (not a process crash) can be lost
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """``hide_parameters``: errors and logs show statements, never the values (questions).
    ``postgresql://`` URLs are read as psycopg 3's, the driver Docent ships."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)
