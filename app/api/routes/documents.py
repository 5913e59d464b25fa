"""GET /v1/documents/{doc_id}: a cited document's text, for a source preview."""

from __future__ import annotations

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from app.api.deps import CurrentUser, StateDep
from app.api.errors import ApiError, not_found
from app.api.schemas import DocumentResponse, SectionOut
from app.pipeline.documents import DocumentReader
from app.pipeline.output_safety import sanitize

router = APIRouter(prefix="/v1", tags=["documents"])


@router.get("/documents/{doc_id}", response_model=DocumentResponse, responses=not_found("document"))
async def document(
    doc_id: str,
    user: CurrentUser,
    state: StateDep,
    section: str | None = Query(default=None, max_length=1000, description="one section"),
    page: int | None = Query(default=None, ge=1, description="the sections on one page"),
) -> DocumentResponse:
    """The sections of a document the caller may read (a citation's ``doc_id``), or one
    ``section`` or ``page`` of it. A document the caller may not read is a 404, exactly like
    one that does not exist."""
    state.answering.admit(user)  # the per-user rate limit, as for questions
    reader = DocumentReader(state.store.active)
    view = await run_in_threadpool(reader.read, doc_id, user.groups, section=section, page=page)
    if view is None:
        raise ApiError(404, "not_found", "No such document.")
    hosts = state.components.pipeline.allowed_hosts
    return DocumentResponse(
        doc_id=view.doc_id,
        path=sanitize(view.path, hosts),
        title=sanitize(view.title, hosts),
        sections=[
            SectionOut(
                section=sanitize(s.heading, hosts),
                pages=list(s.pages),
                text=sanitize(s.text, hosts),
            )
            for s in view.sections
        ],
        truncated=view.truncated,
    )
