"""Batch jobs: files of questions answered in the background, kept in the database so that
a restart resumes them instead of losing them.

A job runs as the user who sent it, with the groups they had then. Its items go
pending -> running -> done or failed; an item left running by a process that stopped goes
back to pending when the next one starts (``requeue_running``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.pipeline.types import User
from app.storage.models import BatchItem, BatchJob, as_utc, utcnow
from core.errors import DocentError

IN_PROGRESS, COMPLETED, CANCELLED = "in_progress", "completed", "cancelled"
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


MAX_QUESTIONS = 1000


class BatchRefused(DocentError):
    """A file of questions that cannot be taken as it is (422), with the line at fault."""

    code = "invalid_request"


@dataclass(frozen=True)
class Question:
    custom_id: str
    question: str


def _line(n: int, raw: str, max_chars: int) -> Question:
    try:
        entry = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BatchRefused(f"line {n}: not JSON ({exc.msg})") from exc
    if not isinstance(entry, dict):
        raise BatchRefused(f"line {n}: expected an object")
    question = entry.get("question")
    if question is None:  # an OpenAI batch line: the last user message of its body
        body = entry.get("body")
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list):
            messages = []
        users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        question = users[-1].get("content") if users else None
    if not isinstance(question, str) or not question.strip():
        raise BatchRefused(
            f'line {n}: needs "question" (or an OpenAI "body" whose messages end with the '
            "user's question)"
        )
    if len(question) > max_chars:
        raise BatchRefused(
            f"line {n}: the question is {len(question)} characters; the limit is {max_chars}"
        )
    return Question(str(entry.get("custom_id") or f"line-{n}")[:200], question)


def parse_questions(text: str, max_chars: int) -> list[Question]:
    """The questions of a JSONL file: ``{"custom_id": "q1", "question": "..."}`` per line,
    or OpenAI batch lines. Refuses the whole file, naming the line, if one is wrong."""
    # JSONL lines end at \n only: a string may hold U+2028 and other separators
    lines = [(n, raw.rstrip("\r")) for n, raw in enumerate(text.split("\n"), 1) if raw.strip()]
    if not lines:
        raise BatchRefused("The file holds no questions: one JSON object per line.")
    if len(lines) > MAX_QUESTIONS:
        raise BatchRefused(f"{len(lines)} questions; a batch takes at most {MAX_QUESTIONS}.")
    return [_line(n, raw, max_chars) for n, raw in lines]


@dataclass(frozen=True)
class JobStatus:
    id: str
    status: str
    total: int
    completed: int
    failed: int
    created_at: datetime  # with its zone (UTC)
    finished_at: datetime | None


@dataclass(frozen=True)
class Claimed:
    """One question to answer, and who asks it."""

    item_id: int
    batch_id: str
    question: str
    user: User


class BatchStore:
    def __init__(self, engine: Engine) -> None:
        self._maker = sessionmaker(engine, expire_on_commit=False)

    def create(self, user: User, questions: list[Question]) -> str:
        """A new job, unless the user's questions waiting would pass ``MAX_QUESTIONS``."""
        job_id = f"batch_{uuid.uuid4().hex[:24]}"
        with self._maker() as s:
            waiting = s.scalar(
                select(func.count())
                .select_from(BatchItem)
                .join(BatchJob, BatchJob.id == BatchItem.batch_id)
                .where(
                    BatchJob.user_id == user.id,
                    BatchJob.status == IN_PROGRESS,
                    BatchItem.status.in_((PENDING, RUNNING)),
                )
            )
            if (waiting or 0) + len(questions) > MAX_QUESTIONS:
                raise BatchRefused(
                    f"You have {waiting} questions waiting in batches; at most {MAX_QUESTIONS} "
                    "may wait at once. Send this file when they are answered."
                )
            s.add(
                BatchJob(
                    id=job_id,
                    user_id=user.id,
                    user_name=user.name,
                    groups=list(user.groups),
                    status=IN_PROGRESS,
                    total=len(questions),
                )
            )
            s.flush()
            s.add_all(
                BatchItem(
                    batch_id=job_id,
                    line=n,
                    custom_id=q.custom_id,
                    question=q.question,
                    status=PENDING,
                )
                for n, q in enumerate(questions, 1)
            )
            s.commit()
        return job_id

    @staticmethod
    def _owned(s: Session, user_id: str, job_id: str) -> BatchJob | None:
        job = s.get(BatchJob, job_id)
        return job if job is not None and job.user_id == user_id else None

    @staticmethod
    def _statuses(s: Session, jobs: Sequence[BatchJob]) -> list[JobStatus]:
        """The jobs with their counts, read in one query."""
        counts: dict[str, dict[str, int]] = {}
        rows = s.execute(
            select(BatchItem.batch_id, BatchItem.status, func.count())
            .where(BatchItem.batch_id.in_([j.id for j in jobs]))
            .group_by(BatchItem.batch_id, BatchItem.status)
        ).all()
        for batch_id, status, n in rows:
            counts.setdefault(batch_id, {})[status] = n
        return [
            JobStatus(
                j.id,
                j.status,
                j.total,
                counts.get(j.id, {}).get(DONE, 0),
                counts.get(j.id, {}).get(FAILED, 0),
                as_utc(j.created_at),
                as_utc(j.finished_at) if j.finished_at else None,
            )
            for j in jobs
        ]

    def status(self, user_id: str, job_id: str) -> JobStatus | None:
        """The job if it is the user's, with its counts."""
        with self._maker() as s:
            job = self._owned(s, user_id, job_id)
            return self._statuses(s, [job])[0] if job is not None else None

    def jobs(self, user_id: str, limit: int = 50) -> list[JobStatus]:
        with self._maker() as s:
            jobs = s.scalars(
                select(BatchJob)
                .where(BatchJob.user_id == user_id)
                .order_by(BatchJob.created_at.desc())
                .limit(limit)
            ).all()
            return self._statuses(s, jobs)

    def results(self, user_id: str, job_id: str) -> list[dict[str, Any]] | None:
        """The answered and failed items, in the file's order (None: not the user's job)."""
        with self._maker() as s:
            if self._owned(s, user_id, job_id) is None:
                return None
            items = s.scalars(
                select(BatchItem)
                .where(BatchItem.batch_id == job_id, BatchItem.status.in_((DONE, FAILED)))
                .order_by(BatchItem.line)
            ).all()
        return [
            {"custom_id": i.custom_id, "line": i.line, "question": i.question}
            | ({"response": i.result} if i.status == DONE else {"error": i.error})
            for i in items
        ]

    def cancel(self, user_id: str, job_id: str) -> bool:
        with self._maker() as s:
            job = self._owned(s, user_id, job_id)
            if job is None or job.status != IN_PROGRESS:
                return False
            job.status, job.finished_at = CANCELLED, utcnow()
            s.commit()
        return True

    def requeue_running(self) -> int:
        """Items a stopped process was answering go back to the queue."""
        with self._maker() as s:
            done = s.execute(
                update(BatchItem).where(BatchItem.status == RUNNING).values(status=PENDING)
            )
            s.commit()
        return int(getattr(done, "rowcount", 0))

    def claim(self) -> Claimed | None:
        """The next pending question of the oldest job in progress, marked running."""
        with self._maker() as s:
            row = s.execute(
                select(BatchItem, BatchJob)
                .join(BatchJob, BatchJob.id == BatchItem.batch_id)
                .where(BatchJob.status == IN_PROGRESS, BatchItem.status == PENDING)
                .order_by(BatchJob.created_at, BatchItem.line)
                .limit(1)
            ).first()
            if row is None:
                return None
            item, job = row
            taken = s.execute(
                update(BatchItem)
                .where(BatchItem.id == item.id, BatchItem.status == PENDING)
                .values(status=RUNNING)
            )
            s.commit()
            if not getattr(taken, "rowcount", 0):  # another process took it first
                return None
            user = User(job.user_id, tuple(job.groups or ()), job.user_name)
            return Claimed(item.id, job.id, item.question, user)

    def finish(self, claimed: Claimed, result: dict[str, Any] | None, error: str = "") -> None:
        """Stores an answer (or why there is none) and closes the job after its last item."""
        with self._maker() as s:
            s.execute(
                update(BatchItem)
                .where(BatchItem.id == claimed.item_id)
                .values(status=DONE if result is not None else FAILED, result=result, error=error)
            )
            left = s.scalar(
                select(func.count()).where(
                    BatchItem.batch_id == claimed.batch_id,
                    BatchItem.status.in_((PENDING, RUNNING)),
                )
            )
            if not left:
                s.execute(
                    update(BatchJob)
                    .where(BatchJob.id == claimed.batch_id, BatchJob.status == IN_PROGRESS)
                    .values(status=COMPLETED, finished_at=utcnow())
                )
            s.commit()
