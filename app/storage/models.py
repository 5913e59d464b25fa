"""SQLAlchemy tables. On any change, bump ``SCHEMA_VERSION`` and add the Alembic revision
that reaches it (app/storage/migrations/versions, ``revision = "NNNN"``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# 2: api_keys, batch_jobs, batch_items; 3: traces.groups, sentences, unsupported, cost;
# 4: corrections
SCHEMA_VERSION = 4


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(at: datetime) -> datetime:
    """A stored timestamp with its zone: SQLite hands back the UTC it was written in without
    one, PostgreSQL with one."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Conversation(Base):
    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Message(Base):
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(Text)
    standalone: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    entities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Trace(Base):
    """One answered question; the question is stored with PII redacted."""

    __tablename__ = "traces"
    trace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    question: Mapped[str] = mapped_column(Text)
    standalone: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    abstained: Mapped[bool] = mapped_column(default=False)
    prompt_version: Mapped[str] = mapped_column(String(64))
    generator: Mapped[str] = mapped_column(String(200))
    answer_source: Mapped[str] = mapped_column(String(32))
    citations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    retrieved: Mapped[list[Any]] = mapped_column(JSON, default=list)
    entities: Mapped[list[Any]] = mapped_column(JSON, default=list)
    safety: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timings_ms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tokens_in: Mapped[int] = mapped_column(default=0)
    tokens_out: Mapped[int] = mapped_column(default=0)
    dropped_citations: Mapped[int] = mapped_column(default=0)
    # the asker's groups when answered (usage per group), the model's sentences and how
    # many the sources did not support, and the answer's cost from the price table
    groups: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    sentences: Mapped[int] = mapped_column(default=0, server_default="0")
    unsupported: Mapped[int] = mapped_column(default=0, server_default="0")
    cost: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class AuditEntry(Base):
    """Which chunk was shown to which user for which trace."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    chunk_id: Mapped[str] = mapped_column(String(64))
    doc_id: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    cited: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Feedback(Base):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(ForeignKey("traces.trace_id"), index=True)
    user_id: Mapped[str] = mapped_column(String(200))
    rating: Mapped[str] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Correction(Base):
    """The right answer to a down-voted one, written by an editor: it goes to the eval set
    and to the fine-tuning export."""

    __tablename__ = "corrections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(ForeignKey("traces.trace_id"), index=True)
    editor_id: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiKey(Base):
    """A personal API key for a tool: only the secret's SHA-256 is kept."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(24), primary_key=True)  # the key's public part
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    user_name: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(100))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    groups: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BatchJob(Base):
    """A file of questions answered in the background as the user who sent it."""

    __tablename__ = "batch_jobs"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(200), index=True)
    user_name: Mapped[str] = mapped_column(String(200), default="")
    groups: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)  # in_progress, completed, ...
    total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BatchItem(Base):
    __tablename__ = "batch_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batch_jobs.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    custom_id: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, running, done, failed
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")


class IngestRun(Base):
    __tablename__ = "ingest_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(200))
    paths: Mapped[list[Any]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
