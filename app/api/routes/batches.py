"""Batch questions, after OpenAI's Batch API where it fits.

    POST /v1/batches               a JSONL file of questions as the body; answered in the
                                   background as the caller, with the caller's groups
    GET  /v1/batches[/{id}]        progress: status and request_counts
    GET  /v1/batches/{id}/output   the answers so far, as JSONL, in the file's order
    POST /v1/batches/{id}/cancel   stop answering the rest

Each line is ``{"custom_id": "q1", "question": "..."}``, or an OpenAI batch line whose
``body.messages`` ends with the question. Jobs live in the database: a restart resumes them.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, StateDep
from app.api.errors import COMMON_RESPONSES, ApiError, not_found
from app.storage.batches import JobStatus, parse_questions
from app.storage.repository import DRAWN_FROM, shown_docs

router = APIRouter(prefix="/v1", tags=["batches"])


def _out(job: JobStatus) -> dict[str, Any]:
    def ts(at: datetime | None) -> int | None:
        return int(at.timestamp()) if at else None

    return {
        "id": job.id,
        "object": "batch",
        "endpoint": "/v1/ask",
        "status": job.status,
        "created_at": ts(job.created_at),
        "completed_at": ts(job.finished_at),
        "request_counts": {"total": job.total, "completed": job.completed, "failed": job.failed},
    }


@router.post("/batches", responses=COMMON_RESPONSES)
async def create_batch(request: Request, user: CurrentUser, state: StateDep) -> Any:
    state.answering.admit(user)
    text = (await request.body()).decode("utf-8", errors="replace")
    questions = parse_questions(text, state.settings.answer.max_question_chars)
    job_id = await run_in_threadpool(state.batches.create, user, questions)
    job = await run_in_threadpool(state.batches.status, user.id, job_id)
    assert job is not None
    return _out(job)


@router.get("/batches", responses=COMMON_RESPONSES)
async def list_batches(user: CurrentUser, state: StateDep) -> Any:
    jobs = await run_in_threadpool(state.batches.jobs, user.id)
    return {"object": "list", "data": [_out(j) for j in jobs]}


async def _job(state: Any, user_id: str, batch_id: str) -> JobStatus:
    job: JobStatus | None = await run_in_threadpool(state.batches.status, user_id, batch_id)
    if job is None:
        raise ApiError(404, "not_found", "No such batch.")
    return job


@router.get("/batches/{batch_id}", responses=not_found("batch"))
async def get_batch(batch_id: str, user: CurrentUser, state: StateDep) -> Any:
    return _out(await _job(state, user.id, batch_id))


WITHHELD = (
    "withheld: this answer drew on a document you may not read now (a group was removed, "
    "or you are signed in with a key of fewer groups)"
)


def _readable(rows: list[dict[str, Any]], user: Any, state: Any) -> list[dict[str, Any]]:
    """The rows as this reader may see them today: an answer that drew on a document the
    reader cannot read now is withheld, as in a stored conversation."""
    out = []
    for row in rows:
        response = row.get("response")
        if response is not None:
            if not state.answering.still_readable(shown_docs(response), user):
                row = {k: v for k, v in row.items() if k != "response"} | {"error": WITHHELD}
            else:
                row = row | {"response": {k: v for k, v in response.items() if k != DRAWN_FROM}}
        out.append(row)
    return out


@router.get("/batches/{batch_id}/output", responses=not_found("batch"))
async def batch_output(batch_id: str, user: CurrentUser, state: StateDep) -> Response:
    rows = await run_in_threadpool(state.batches.results, user.id, batch_id)
    if rows is None:
        raise ApiError(404, "not_found", "No such batch.")
    shown = await run_in_threadpool(_readable, rows, user, state)
    body = "".join(json.dumps(r) + "\n" for r in shown)
    return Response(body, media_type="application/jsonl")


@router.post("/batches/{batch_id}/cancel", responses=not_found("batch"))
async def cancel_batch(batch_id: str, user: CurrentUser, state: StateDep) -> Any:
    await _job(state, user.id, batch_id)
    await run_in_threadpool(state.batches.cancel, user.id, batch_id)
    return _out(await _job(state, user.id, batch_id))
