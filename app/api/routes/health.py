"""Liveness, readiness and Prometheus metrics (no auth: for probes and scrapers)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.deps import StateDep
from app.api.schemas import HealthResponse

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
    checks: dict[str, str] = {}
    try:
        state.store.active().count()
        checks["index"] = "ok"
    except Exception as exc:  # readiness reports any failure as text
        checks["index"] = f"error: {exc}"
    try:
        state.repo.ping()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc}"
    checks["model"] = "ok" if state.components.generator.ready() else "error: not ready"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", response_class=Response)
def metrics(state: StateDep) -> Response:
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
