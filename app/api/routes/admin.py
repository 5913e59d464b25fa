"""Admin routes (the admin group only): load documents through the running service, and
the figures behind the UI's admin page.

Loading through the service is the hand-off that lets `ingest load --via-api` work while
the service holds the embedded index.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from app.api.deps import AdminUser, StateDep
from app.api.errors import COMMON_RESPONSES, ApiError, not_found
from app.api.quality import Tally, ab_report, build_report
from app.api.schemas import (
    AbResponse,
    AdminIngestRequest,
    AnswerOut,
    ArmOut,
    CorrectionRequest,
    CorrectionResponse,
    DocumentOut,
    DownVotedOut,
    DownVotedResponse,
    DriftResponse,
    FeedbackCount,
    IngestResponse,
    IngestRunOut,
    OverviewResponse,
    PurgeResponse,
    QualityDay,
    QualityResponse,
    UsageOf,
)
from app.storage.models import as_utc
from app.storage.repository import drew_only_on
from core.errors import DocentError
from indexes.access import readable_documents
from ingest.acl import AclResolver
from ingest.service import IngestService

router = APIRouter(prefix="/v1/admin", tags=["admin"])
BUSY = {**COMMON_RESPONSES, 409: {"description": "Another load is running"}}


@router.post("/ingest", response_model=IngestResponse, responses=BUSY)
async def ingest(body: AdminIngestRequest, user: AdminUser, state: StateDep) -> IngestResponse:
    paths = [_confined(p, state.settings.ingest.roots) for p in body.paths]
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
    return IngestResponse.model_validate(summary)


def _confined(requested: str, roots: list[Path]) -> Path:
    """The real path of ``requested`` if it lies inside an ingest root, is not hidden and
    exists; a 422 otherwise. Outside the roots, whether a path exists is never said."""
    if not roots:
        raise ApiError(
            403,
            "ingest_disabled",
            "Loading through the API is off: set DOCENT_INGEST__ROOTS to the folders it may read.",
        )
    if "\x00" in requested or not Path(requested).is_absolute():
        raise ApiError(422, "invalid_request", f"Give an absolute path: {requested}")
    try:
        path = Path(requested).resolve()  # symlinks followed: where it really is
    except (OSError, RuntimeError, ValueError):
        path = None
    for root in roots:
        real_root = root.resolve()
        if path is not None and path.is_relative_to(real_root):
            if any(part.startswith(".") for part in path.relative_to(real_root).parts):
                raise ApiError(422, "invalid_request", f"Hidden files are not loaded: {requested}")
            if not _exists(path):
                raise ApiError(422, "invalid_request", f"Not found on the server: {requested}")
            return path
    raise ApiError(
        422,
        "invalid_request",
        f"Not inside an ingest root (DOCENT_INGEST__ROOTS): {requested}",
    )


def _exists(path: Path) -> bool:
    """``Path.exists`` for a path from a request: a name the OS rejects (too long, say)
    does not exist either, rather than raising."""
    try:
        return path.exists()
    except OSError:
        return False


def _load(state: Any, paths: list[Path], body: AdminIngestRequest) -> Any:
    try:
        widens = state.settings.ingest.front_matter_may_widen
        acl = (
            AclResolver.from_yaml(
                body.groups, body.acl, "in the request", front_matter_widens=widens
            )
            if body.acl
            else AclResolver.from_options(body.groups, None, front_matter_widens=widens)
        )
    except DocentError as exc:
        raise ApiError(422, "invalid_request", exc.message) from exc
    service = IngestService(
        state.settings, state.store, state.catalogue, embedder=state.components.embedder
    )
    try:
        return service.load(paths, acl, prune=body.prune, extensionless=False, isolated=True)
    finally:
        service.close()


@router.delete("/users/{user_id}/data", response_model=PurgeResponse, responses=COMMON_RESPONSES)
def purge_user(user_id: str, user: AdminUser, state: StateDep) -> PurgeResponse:
    """Everything stored about one user (a leaver, or an erasure request)."""
    return PurgeResponse(deleted=state.answering.purge(user_id))


@router.get("/overview", response_model=OverviewResponse, responses=COMMON_RESPONSES)
def overview(user: AdminUser, state: StateDep) -> OverviewResponse:
    index = state.store.active()
    docs = index.documents()
    traces = state.repo.recent_traces(1000)
    return OverviewResponse(
        collection=index.name,
        documents=[
            DocumentOut(
                doc_id=d.doc_id,
                path=d.path,
                title=d.title,
                chunks=d.stored_chunks,
                complete=d.complete,
                groups=list(d.groups),
            )
            for d in sorted(docs.values(), key=lambda d: d.path)
        ],
        ingest_runs=[
            IngestRunOut(
                at=r.created_at.isoformat(), user=r.user_id, paths=r.paths, summary=r.summary
            )
            for r in state.repo.ingest_runs()
        ],
        feedback=[FeedbackCount.model_validate(f) for f in state.repo.feedback_summary()],
        answers=[
            AnswerOut(
                at=t.created_at.isoformat(),
                abstained=t.abstained,
                prompt_version=t.prompt_version,
                source=t.answer_source,
                timings_ms=t.timings_ms,
            )
            for t in traces
        ],
    )


@router.get("/quality", response_model=QualityResponse, responses=COMMON_RESPONSES)
def quality(
    user: AdminUser, state: StateDep, days: Annotated[int, Query(ge=1, le=365)] = 14
) -> QualityResponse:
    """Answers, abstentions, quoted fallbacks, unsupported sentences, dropped citations,
    ratings, tokens and cost over the last ``days``: per day and prompt version, per user
    and per group (a user in several groups counts in each)."""
    since = datetime.now(UTC) - timedelta(days=days)
    report = build_report(state.repo.quality_rows(since))

    def figures(tally: Tally) -> dict[str, Any]:
        return {**asdict(tally), "cost": round(tally.cost, 6), **tally.shares()}

    return QualityResponse(
        days=days,
        by_day=[
            QualityDay(day=day, prompt_version=version, **figures(t))
            for (day, version), t in sorted(report.by_day.items())
        ],
        by_user=[
            UsageOf(name=name, **figures(t))
            for name, t in sorted(report.by_user.items(), key=lambda kv: -kv[1].cost)
        ],
        by_group=[
            UsageOf(name=name, **figures(t))
            for name, t in sorted(report.by_group.items(), key=lambda kv: -kv[1].cost)
        ],
    )


@router.get("/ab", response_model=AbResponse, responses=COMMON_RESPONSES)
def ab(
    user: AdminUser,
    state: StateDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    baseline: Annotated[str | None, Query(max_length=64)] = None,
) -> AbResponse:
    """Per prompt version over the last ``days``: answers, abstention, quoted fallbacks,
    unsupported sentences, the feedback up-rate and latency, each with a 95% interval, and
    the up-rate tested against ``baseline`` (the configured prompt version by default)."""
    since = datetime.now(UTC) - timedelta(days=days)
    base = baseline or state.settings.answer.prompt_version
    arms = ab_report(state.repo.quality_rows(since), base)
    return AbResponse(
        days=days, baseline=base, arms=[ArmOut.model_validate(asdict(a)) for a in arms]
    )


@router.get("/feedback", response_model=DownVotedResponse, responses=COMMON_RESPONSES)
def down_voted(
    user: AdminUser, state: StateDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> DownVotedResponse:
    """Down-voted answers, newest first, with the comment, what was retrieved, the prompt
    version and any correction: the editor's worklist. An answer that drew on a document
    the editor may not read is withheld (counted, not shown): being an admin does not widen
    what one reads."""
    readable = readable_documents(state.store.active(), user.groups)
    shown, withheld = [], 0
    for f, t, c in state.repo.down_voted(limit):
        if not drew_only_on(t, readable):
            withheld += 1
            continue
        shown.append(
            DownVotedOut(
                trace_id=t.trace_id,
                at=as_utc(f.created_at).isoformat(),
                user=t.user_id,
                question=t.standalone or t.question,
                answer=t.answer,
                comment=f.comment,
                prompt_version=t.prompt_version,
                generator=t.generator,
                retrieved=t.retrieved,
                correction=c.answer if c else None,
            )
        )
    return DownVotedResponse(answers=shown, withheld=withheld)


@router.post(
    "/corrections",
    status_code=201,
    response_model=CorrectionResponse,
    responses=not_found("answer"),
)
def correct(body: CorrectionRequest, user: AdminUser, state: StateDep) -> CorrectionResponse:
    """An editor's right answer to a given one: it joins the eval set (``python -m eval
    export-feedback``) and the fine-tuning data (``python -m eval export-finetune``). An
    answer that drew on a document the editor may not read is a 404, as a missing one."""
    readable = readable_documents(state.store.active(), user.groups)
    made = state.repo.add_correction(body.trace_id, user.id, body.answer, readable)
    if made is None:
        raise ApiError(404, "not_found", "No answer has this trace id.")
    return CorrectionResponse(id=made)


def _drift(state: Any) -> DriftResponse:
    drift, path = state.answering.drift, state.settings.drift_reference_file
    return DriftResponse(
        window=drift.window,
        seen=drift.seen,
        has_reference=drift.has_reference,
        distance=round(drift.distance, 4),
        uncovered_share=round(drift.uncovered_share, 4),
        reference_file=str(path) if path else None,
    )


@router.get("/drift", response_model=DriftResponse, responses=COMMON_RESPONSES)
def drift(user: AdminUser, state: StateDep) -> DriftResponse:
    """This process's question drift: the window, the reference, the centroid distance and
    the share of questions the corpus does not cover (the gauges, with their context)."""
    return _drift(state)


@router.post(
    "/drift/reference",
    response_model=DriftResponse,
    responses={**COMMON_RESPONSES, 409: {"description": "Fewer questions than a window so far"}},
)
def keep_drift_reference(user: AdminUser, state: StateDep) -> DriftResponse:
    """Keep the current window as the reference, after a deliberate change (a new corpus, a
    new audience). It is written to ``DOCENT_DRIFT_REFERENCE_FILE`` when that is set, so a
    restart keeps it; otherwise it lasts as long as this process. Each replica keeps its own
    window: call it on each, or set the file and restart them."""
    try:
        state.answering.drift.save_reference(state.settings.drift_reference_file)
    except ValueError as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    return _drift(state)
