"""Liveness, readiness and Prometheus metrics (no auth: for probes and scrapers)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.deps import StateDep
from app.api.schemas import HealthResponse

log = logging.getLogger("docent.api")

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse)
def healthz() -> Any:
    return {"status": "ok", "checks": {}}


@router.get(
    "/readyz",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "A dependency is down"}},
)
def readyz(state: StateDep) -> Any:
    """200 ``ok``; 200 ``degraded`` when only the model is down (answers are quoted from
    the sources meanwhile); 503 ``unavailable`` when the index or the database is down.
    Failures are logged, not shown: this route has no auth."""
    checks: dict[str, str] = {}
    try:
        state.store.active().count()
        checks["index"] = "ok"
    except Exception:  # readiness reports any failure
        log.exception("readiness: index check failed")
        checks["index"] = "error"
    try:
        state.repo.ping()
        checks["database"] = "ok"
    except Exception:
        log.exception("readiness: database check failed")
        checks["database"] = "error"
    checks["model"] = "ok" if state.components.generator.ready() else "degraded"
    if checks["index"] != "ok" or checks["database"] != "ok":
        status, code = "unavailable", 503
    else:
        status, code = ("ok", 200) if checks["model"] == "ok" else ("degraded", 200)
    return JSONResponse({"status": status, "checks": checks}, status_code=code)


@router.get("/metrics", response_class=Response)
def metrics(state: StateDep) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
