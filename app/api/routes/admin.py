"""Admin routes (the admin group only): load documents through the running service, and
the figures behind the UI's admin page.

Loading through the service is the hand-off that lets `ingest load --via-api` work while
the service holds the embedded index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from app.api.deps import AdminUser, StateDep
from app.api.errors import COMMON_RESPONSES, ApiError
from app.api.schemas import AdminIngestRequest
from app.errors import DocentError
from ingest.acl import AclResolver
from ingest.service import IngestService

router = APIRouter(prefix="/v1/admin", tags=["admin"])
BUSY = {**COMMON_RESPONSES, 409: {"description": "Another load is running"}}


@router.post("/ingest", responses=BUSY)
async def ingest(body: AdminIngestRequest, user: AdminUser, state: StateDep) -> Any:
    paths = [Path(p) for p in body.paths]
    missing = [str(p) for p in paths if not _exists(p)]
    if missing:
        raise ApiError(422, "invalid_request", f"Not found on the server: {', '.join(missing)}")
    if not state.ingest_lock.acquire(blocking=False):
        raise ApiError(409, "busy", "Another load is running; try again when it ends.")
    try:
        report = await run_in_threadpool(_load, state, paths, body)
    finally:
        state.ingest_lock.release()
    summary = report.as_dict()
    state.repo.record_ingest(user.id, body.paths, summary)
    if report.changed:
        await run_in_threadpool(state.components.linker.refresh)
    return summary


def _exists(path: Path) -> bool:
    """``Path.exists`` for a path from a request: a name the OS rejects (too long, say)
    does not exist either, rather than raising."""
    try:
        return path.exists()
    except OSError:
        return False


def _load(state: Any, paths: list[Path], body: AdminIngestRequest) -> Any:
    try:
        acl = (
            AclResolver.from_yaml(body.groups, body.acl, "in the request")
            if body.acl
            else AclResolver.from_options(body.groups, None)
        )
    except DocentError as exc:
        raise ApiError(422, "invalid_request", exc.message) from exc
    service = IngestService(
        state.settings, state.store, state.catalogue, embedder=state.components.embedder
    )
    try:
        return service.load(paths, acl, prune=body.prune)
    finally:
        service.close()


@router.get("/overview", responses=COMMON_RESPONSES)
def overview(user: AdminUser, state: StateDep) -> Any:
    index = state.store.active()
    docs = index.documents()
    traces = state.repo.recent_traces(1000)
    return {
        "collection": index.name,
        "documents": [
            {
                "doc_id": d.doc_id,
                "path": d.path,
                "title": d.title,
                "chunks": d.stored_chunks,
                "complete": d.complete,
                "groups": list(d.groups),
            }
            for d in sorted(docs.values(), key=lambda d: d.path)
        ],
        "ingest_runs": [
            {
                "at": r.created_at.isoformat(),
                "user": r.user_id,
                "paths": r.paths,
                "summary": r.summary,
            }
            for r in state.repo.ingest_runs()
        ],
        "feedback": state.repo.feedback_summary(),
        "answers": [
            {
                "at": t.created_at.isoformat(),
                "abstained": t.abstained,
                "prompt_version": t.prompt_version,
                "source": t.answer_source,
                "timings_ms": t.timings_ms,
            }
            for t in traces
        ],
    }
