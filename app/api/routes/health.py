"""Liveness, readiness and Prometheus metrics (no auth: for probes and scrapers)."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.deps import StateDep
from app.api.errors import ApiError
from app.api.schemas import HealthResponse

log = logging.getLogger("docent.api")

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthResponse)
def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


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
    body = HealthResponse(status=status, checks=checks)
    return JSONResponse(body.model_dump(), status_code=code)


LOOPBACK = ("127.0.0.1", "::1", "localhost")


@router.get("/metrics", response_class=Response)
def metrics(state: StateDep, request: Request) -> Response:
    """Prometheus text: with DOCENT_METRICS_TOKEN set, for a bearer of that token; without
    it, for clients on loopback only."""
    token = state.settings.metrics_token
    if token:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            raise ApiError(
                401,
                "unauthorized",
                "Send the scrape token: Authorization: Bearer <DOCENT_METRICS_TOKEN>.",
                {"WWW-Authenticate": 'Bearer realm="docent-metrics"'},
            )
    elif request.client is None or request.client.host not in LOOPBACK:
        raise ApiError(403, "forbidden", "Set DOCENT_METRICS_TOKEN to scrape from another host.")
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
