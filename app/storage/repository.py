"""All reads and writes of the service's state, behind one small class."""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session, sessionmaker

from app.pipeline.types import QueryResult, Turn
from app.storage import schema
from app.storage.models import (
    ApiKey,
    AuditEntry,
    Base,
    BatchItem,
    BatchJob,
    Conversation,
    Correction,
    Feedback,
    IngestRun,
    Message,
    Trace,
    as_utc,
    utcnow,
)
from core.pii import redact

_TABLES: dict[str, type[Base]] = {
    "corrections": Correction,
    "feedback": Feedback,
    "messages": Message,
    "conversations": Conversation,
    "traces": Trace,
    "audit": AuditEntry,
    "api_keys": ApiKey,
    "batch_items": BatchItem,
    "batch_jobs": BatchJob,
}


log = logging.getLogger(__name__)
Write = Callable[[Session], None]
_STOP = object()


class WriteBehind:
    """Runs writes on one background thread, in the order given, several per transaction.

    An answer's trace, audit rows and message are written after its response has gone out,
    so a request never waits on the database. Every read first calls ``flush``, which waits
    for the writes queued before it: what a user did is always what they read back. A write
    that fails is logged and retried alone, so it cannot take the others of its batch down.
    """

    def __init__(self, session: sessionmaker[Session], max_batch: int = 64) -> None:
        self._session = session
        self._max_batch = max_batch
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="docent-db-writer", daemon=True)
        self._thread.start()

    def submit(self, write: Write) -> None:
        self._queue.put(write)

    def flush(self) -> None:
        if threading.current_thread() is not self._thread:
            self._queue.join()

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            writes = [w for w in batch if w is not _STOP]
            try:
                self._run(writes)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if len(writes) < len(batch):
                return

    def _run(self, writes: list[Write]) -> None:
        try:
            with self._session() as s:
                for write in writes:
                    write(s)
                s.commit()
            return
        except Exception:
            if len(writes) == 1:
                # the engine hides statement parameters, so no question reaches the log
                log.exception("a database write failed; the answer was given but not stored")
                return
        for write in writes:
            self._run([write])


def drew_only_on(trace: Trace, readable: Collection[str]) -> bool:
    """Whether every chunk the answer was given comes from a document in ``readable``."""
    return {str(r.get("doc_id", "")) for r in trace.retrieved} <= set(readable)


class Repository:
    """Conversations, traces, audit, feedback and ingest runs."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._maker = sessionmaker(engine, expire_on_commit=False)
        self._writes = WriteBehind(self._maker)
        self._stop_sweeps = threading.Event()

    def _session(self) -> Session:
        """A session for reads and direct writes, after every queued write has landed."""
        self._writes.flush()
        return self._maker()

    def close(self) -> None:
        """Writes what is queued, then stops the writer and sweeper threads."""
        self._stop_sweeps.set()
        self._writes.close()
        self.engine.dispose()

    def ensure_schema(self, *, auto_upgrade: bool) -> None:
        schema.ensure(self.engine, auto_upgrade=auto_upgrade)

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return True

    # -- conversations ---------------------------------------------------------------
    def open_conversation(
        self, user_id: str, conversation_id: str | None, first_question: str
    ) -> tuple[str, bool]:
        """The conversation to answer in, and whether it is new (so it has no history).

        A new conversation's row is queued, not waited for; a given id must belong to the
        user (PermissionError otherwise) or is created under that id.
        """
        if conversation_id:
            with self._session() as s:
                conv = s.get(Conversation, conversation_id)
            if conv is not None and conv.user_id != user_id:
                raise PermissionError("conversation belongs to another user")
            if conv is not None:
                return conv.id, False
        new_id = conversation_id or uuid.uuid4().hex
        title = redact(first_question[:200])[:80]  # the title shows 80 characters
        self._writes.submit(lambda s: s.add(Conversation(id=new_id, user_id=user_id, title=title)))
        return new_id, True

    def history(self, conversation_id: str, limit: int = 6) -> list[Turn]:
        with self._session() as s:
            rows = s.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id.desc())
                .limit(limit)
            ).all()
        return [
            Turn(m.standalone, m.answer, tuple(m.entities or ()), shown_docs(m.result or {}))
            for m in reversed(rows)
        ]

    def list_conversations(self, user_id: str) -> list[Conversation]:
        with self._session() as s:
            return list(
                s.scalars(
                    select(Conversation)
                    .where(Conversation.user_id == user_id)
                    .order_by(Conversation.updated_at.desc())
                ).all()
            )

    def conversation(
        self, user_id: str, conversation_id: str
    ) -> tuple[Conversation, list[Message]] | None:
        with self._session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.user_id != user_id:
                return None
            msgs = s.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.id)
            ).all()
            return conv, list(msgs)

    def rename_conversation(self, user_id: str, conversation_id: str, title: str) -> bool:
        with self._session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.user_id != user_id:
                return False
            conv.title = title[:200]
            s.commit()
            return True

    def delete_conversation(self, user_id: str, conversation_id: str) -> bool:
        """The conversation, its messages, the traces of its answers and their feedback.
        Audit rows (which chunk was shown to whom; no question text) stay until the
        retention sweep."""
        with self._session() as s:
            conv = s.get(Conversation, conversation_id)
            if conv is None or conv.user_id != user_id:
                return False
            traces = select(Trace.trace_id).where(Trace.conversation_id == conversation_id)
            s.execute(delete(Feedback).where(Feedback.trace_id.in_(traces)))
            s.execute(delete(Correction).where(Correction.trace_id.in_(traces)))
            s.execute(delete(Trace).where(Trace.conversation_id == conversation_id))
            s.execute(delete(Message).where(Message.conversation_id == conversation_id))
            s.delete(conv)
            s.commit()
            return True

    # -- retention -------------------------------------------------------------------
    def purge_user(self, user_id: str) -> dict[str, int]:
        """Everything stored about one user: conversations, messages, traces, feedback, audit
        rows, personal keys and batch jobs. Returns how many rows of each went."""
        theirs = select(Trace.trace_id).where(Trace.user_id == user_id)
        return self._delete(
            corrections=Correction.trace_id.in_(theirs),
            feedback=(Feedback.user_id == user_id) | Feedback.trace_id.in_(theirs),
            messages=Message.conversation_id.in_(
                select(Conversation.id).where(Conversation.user_id == user_id)
            ),
            conversations=Conversation.user_id == user_id,
            traces=Trace.user_id == user_id,
            audit=AuditEntry.user_id == user_id,
            api_keys=ApiKey.user_id == user_id,
            batch_items=BatchItem.batch_id.in_(
                select(BatchJob.id).where(BatchJob.user_id == user_id)
            ),
            batch_jobs=BatchJob.user_id == user_id,
        )

    def purge_older_than(self, cutoff: datetime) -> dict[str, int]:
        """Traces, audit rows, feedback and batch jobs made before ``cutoff``, and
        conversations not touched since then (with their messages)."""
        old = select(Trace.trace_id).where(Trace.created_at < cutoff)
        return self._delete(
            corrections=Correction.trace_id.in_(old),
            feedback=(Feedback.created_at < cutoff) | Feedback.trace_id.in_(old),
            # old messages go even from a conversation still in use
            messages=(Message.created_at < cutoff)
            | Message.conversation_id.in_(
                select(Conversation.id).where(Conversation.updated_at < cutoff)
            ),
            conversations=Conversation.updated_at < cutoff,
            traces=Trace.created_at < cutoff,
            audit=AuditEntry.created_at < cutoff,
            # batch jobs made before the cutoff, with their questions and answers
            batch_items=BatchItem.batch_id.in_(
                select(BatchJob.id).where(BatchJob.created_at < cutoff)
            ),
            batch_jobs=BatchJob.created_at < cutoff,
        )

    def _delete(self, **where: ColumnElement[bool]) -> dict[str, int]:
        """Deletes, in one transaction and in the order given (dependants first), the rows
        of each table that match; returns the counts by table."""
        with self._session() as s:
            counts = {
                name: cast(CursorResult[Any], s.execute(delete(_TABLES[name]).where(cond))).rowcount
                for name, cond in where.items()
            }
            s.commit()
        return counts

    def sweep_every(self, retention_days: int, interval_s: float = 3600.0) -> None:
        """Sweeps now and then every ``interval_s`` on a daemon thread, until ``close``."""
        if retention_days <= 0:
            return

        def loop() -> None:
            while True:
                try:
                    self.sweep(retention_days)
                except Exception:  # a failed sweep is retried at the next interval
                    log.exception("retention sweep failed")
                if self._stop_sweeps.wait(interval_s):
                    return

        threading.Thread(target=loop, name="docent-retention", daemon=True).start()

    def sweep(self, retention_days: int) -> dict[str, int]:
        """Applies the retention window; 0 days keeps everything."""
        if retention_days <= 0:
            return {}
        counts = self.purge_older_than(utcnow() - timedelta(days=retention_days))
        if any(counts.values()):
            log.info("retention sweep", extra={"fields": counts})
        return counts

    # -- answers ---------------------------------------------------------------------
    def record_answer(
        self,
        user_id: str,
        conversation_id: str | None,
        result: QueryResult,
        result_json: dict[str, Any],
        *,
        groups: tuple[str, ...] = (),
        cost: float = 0.0,
    ) -> None:
        """Queues the trace, the audit rows of every chunk shown, and the conversation
        message. ``groups``: the asker's, for usage by group; ``cost``: from the price table."""
        cited = {c.doc_id for c in result.citations}
        drawn_from = {c.doc_id for c in result.retrieved}

        def write(s: Session) -> None:
            s.add(
                Trace(
                    trace_id=result.trace_id,
                    user_id=user_id,
                    conversation_id=conversation_id,
                    question=redact(result.question),
                    standalone=redact(result.standalone_question),
                    answer=result.answer,
                    abstained=result.abstained,
                    prompt_version=result.prompt_version,
                    generator=result.generator,
                    answer_source=str(result.answer_source),
                    citations=[asdict(c) for c in result.citations],
                    retrieved=[
                        {"id": c.id, "doc_id": c.doc_id, "path": c.path, "score": c.score}
                        for c in result.retrieved
                    ],
                    entities=[e.canonical for e in result.entities],
                    safety=result.safety,
                    timings_ms=result.timings_ms,
                    tokens_in=result.tokens_in,
                    tokens_out=result.tokens_out,
                    dropped_citations=result.dropped_citations,
                    groups=sorted(groups),
                    sentences=result.model_sentences,
                    unsupported=result.model_unsupported,
                    cost=cost,
                )
            )
            for chunk in result.retrieved:
                s.add(
                    AuditEntry(
                        trace_id=result.trace_id,
                        user_id=user_id,
                        chunk_id=chunk.id,
                        doc_id=chunk.doc_id,
                        path=chunk.path,
                        cited=chunk.doc_id in cited,
                    )
                )
            if conversation_id:
                s.add(
                    Message(
                        conversation_id=conversation_id,
                        question=result.question,
                        standalone=result.standalone_question,
                        answer=result.answer,
                        entities=[e.canonical for e in result.entities],
                        trace_id=result.trace_id,
                        # every document the answer drew on, shown or not: a revoked one
                        # withholds the message and drops the turn from follow-ups
                        result={**result_json, DRAWN_FROM: sorted(drawn_from)},
                    )
                )
                conv = s.get(Conversation, conversation_id)
                if conv is not None:
                    conv.updated_at = utcnow()

        self._writes.submit(write)

    def trace(self, trace_id: str) -> Trace | None:
        with self._session() as s:
            return s.get(Trace, trace_id)

    def audit_for(self, trace_id: str) -> list[AuditEntry]:
        with self._session() as s:
            return list(s.scalars(select(AuditEntry).where(AuditEntry.trace_id == trace_id)).all())

    # -- feedback --------------------------------------------------------------------
    def add_feedback(
        self, user_id: str, trace_id: str, rating: str, comment: str
    ) -> tuple[int, str] | None:
        """The feedback's id and the rated answer's prompt version; None when the user
        was given no answer with this trace id."""
        with self._session() as s:
            trace = s.get(Trace, trace_id)
            if trace is None or trace.user_id != user_id:
                return None
            # one rating per user per answer: a second one replaces the first
            fb = s.scalars(
                select(Feedback).where(Feedback.trace_id == trace_id, Feedback.user_id == user_id)
            ).first()
            if fb is None:
                fb = Feedback(trace_id=trace_id, user_id=user_id, rating=rating)
                s.add(fb)
            fb.rating, fb.comment = rating, redact(comment)
            s.commit()
            return fb.id, trace.prompt_version

    def feedback_with_traces(self, rating: str | None = None) -> list[tuple[Feedback, Trace]]:
        with self._session() as s:
            q = select(Feedback, Trace).join(Trace, Feedback.trace_id == Trace.trace_id)
            if rating:
                q = q.where(Feedback.rating == rating)
            return [(f, t) for f, t in s.execute(q.order_by(Feedback.id)).all()]

    def feedback_summary(self) -> list[dict[str, Any]]:
        with self._session() as s:
            rows = s.execute(
                select(Trace.prompt_version, Feedback.rating, func.count())
                .join(Trace, Feedback.trace_id == Trace.trace_id)
                .group_by(Trace.prompt_version, Feedback.rating)
            ).all()
        return [{"prompt_version": v, "rating": r, "count": n} for v, r, n in rows]

    def quality_rows(self, since: datetime) -> list[QualityRow]:
        """Per answer since ``since``: what the quality and usage report adds up, with
        the answer's rating if it has one."""
        latest = (
            select(Feedback.trace_id, func.max(Feedback.id).label("id"))
            .group_by(Feedback.trace_id)
            .subquery()
        )
        query = (
            select(
                Trace.created_at,
                Trace.prompt_version,
                Trace.answer_source,
                Trace.abstained,
                Trace.sentences,
                Trace.unsupported,
                Trace.dropped_citations,
                Trace.tokens_in,
                Trace.tokens_out,
                Trace.cost,
                Trace.user_id,
                Trace.groups,
                Trace.timings_ms,
                Feedback.rating,
            )
            # one rating per answer (the latest), however many rows a race left
            .outerjoin(latest, latest.c.trace_id == Trace.trace_id)
            .outerjoin(Feedback, Feedback.id == latest.c.id)
            .where(Trace.created_at >= since)
            .order_by(Trace.created_at)
        )
        with self._session() as s:
            rows = s.execute(query).all()
        return [
            QualityRow(
                at=as_utc(r.created_at),
                prompt_version=r.prompt_version,
                answer_source=r.answer_source,
                abstained=bool(r.abstained),
                sentences=r.sentences,
                unsupported=r.unsupported,
                dropped=r.dropped_citations,
                tokens_in=r.tokens_in,
                tokens_out=r.tokens_out,
                cost=float(r.cost),
                user_id=r.user_id,
                groups=tuple(r.groups or ()),
                rating=r.rating,
                total_ms=float((r.timings_ms or {}).get("total", 0.0)),
            )
            for r in rows
        ]

    # -- editors' corrections -------------------------------------------------------
    def down_voted(self, limit: int = 200) -> list[tuple[Feedback, Trace, Correction | None]]:
        """The latest down-voted answers, newest first, each with its latest correction."""
        latest = (
            select(Correction.trace_id, func.max(Correction.id).label("id"))
            .group_by(Correction.trace_id)
            .subquery()
        )
        query = (
            select(Feedback, Trace, Correction)
            .join(Trace, Feedback.trace_id == Trace.trace_id)
            .outerjoin(latest, latest.c.trace_id == Trace.trace_id)
            .outerjoin(Correction, Correction.id == latest.c.id)
            .where(Feedback.rating == "down")
            .order_by(Feedback.id.desc())
            .limit(limit)
        )
        with self._session() as s:
            return [(f, t, c) for f, t, c in s.execute(query).all()]

    def add_correction(
        self, trace_id: str, editor_id: str, answer: str, readable: Collection[str]
    ) -> int | None:
        """An editor's answer to a question Docent answered (PII redacted); None when no
        such answer exists, or when it drew on a document outside ``readable`` (the
        editor's): an editor corrects only what they may read."""
        with self._session() as s:
            trace = s.get(Trace, trace_id)
            if trace is None or not drew_only_on(trace, readable):
                return None
            row = Correction(trace_id=trace_id, editor_id=editor_id, answer=redact(answer))
            s.add(row)
            s.commit()
            return row.id

    def corrected(self) -> list[tuple[Trace, Correction]]:
        """Every corrected answer with its latest correction."""
        latest = (
            select(func.max(Correction.id).label("id")).group_by(Correction.trace_id).subquery()
        )
        query = (
            select(Trace, Correction)
            .join(Correction, Correction.trace_id == Trace.trace_id)
            .where(Correction.id.in_(select(latest.c.id)))
            .order_by(Correction.id)
        )
        with self._session() as s:
            return [(t, c) for t, c in s.execute(query).all()]

    def finetune_candidates(self) -> list[Trace]:
        """Citation-verified answers nobody down-voted: the model's that passed the check,
        and the quotes given where the model's failed it (or no model ran)."""
        down = select(Feedback.trace_id).where(Feedback.rating == "down")
        query = (
            select(Trace)
            .where(
                Trace.answer_source.in_(["generated", "extractive"]),
                Trace.abstained.is_(False),
                Trace.trace_id.not_in(down),
            )
            .order_by(Trace.created_at)
        )
        with self._session() as s:
            return list(s.scalars(query).all())

    def recent_traces(self, limit: int = 500) -> list[Trace]:
        with self._session() as s:
            return list(
                s.scalars(select(Trace).order_by(Trace.created_at.desc()).limit(limit)).all()
            )

    # -- ingest runs -----------------------------------------------------------------
    def record_ingest(self, user_id: str, paths: list[str], summary: dict[str, Any]) -> None:
        with self._session() as s:
            s.add(IngestRun(user_id=user_id, paths=paths, summary=summary))
            s.commit()

    def ingest_runs(self, limit: int = 20) -> list[IngestRun]:
        with self._session() as s:
            return list(
                s.scalars(select(IngestRun).order_by(IngestRun.id.desc()).limit(limit)).all()
            )


@dataclass(frozen=True)
class QualityRow:
    at: datetime
    prompt_version: str
    answer_source: str
    abstained: bool
    sentences: int
    unsupported: int
    dropped: int
    tokens_in: int
    tokens_out: int
    cost: float
    user_id: str
    groups: tuple[str, ...]
    rating: str | None
    total_ms: float = 0.0  # the answer's latency as the pipeline timed it


DRAWN_FROM = "drawn_from"  # the stored message's list of every document its answer read


def shown_docs(result: dict[str, Any]) -> tuple[str, ...]:
    """The documents a stored answer drew on: every retrieved one, and those it cited or
    showed as closest sources (messages stored before ``drawn_from`` have only these)."""
    shown = [*result.get("citations", []), *result.get("closest_sources", [])]
    docs = {str(c.get("doc_id", "")) for c in shown} | set(result.get(DRAWN_FROM, []))
    return tuple(sorted(docs))
