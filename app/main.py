"""The FastAPI app factory and its lifespan: clients are built once, here.

uvicorn app.main:create_app --factory --port 8000
"""

from __future__ import annotations

import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from app.api import errors
from app.api.answering import AnswerService
from app.api.batch_runner import BatchRunner
from app.api.routes import (
    admin,
    ask,
    batches,
    chat,
    conversations,
    documents,
    health,
    keys,
)
from app.auth import Authenticator, OidcAuth, PersonalKeyAuth, UsersFileAuth
from app.costs import PriceTable
from app.drift import QuestionDrift
from app.generation.base import Generator
from app.limits import BodySizeLimit, GenerationGate, RateLimiter
from app.logging_setup import setup_logging, trace_id_var
from app.observability import CorpusChanges, LastEvalRun, Metrics
from app.pipeline.errors import GenerationUnavailable
from app.pipeline.factory import build_pipeline
from app.state import AppState
from app.storage.batches import BatchStore
from app.storage.keys import KeyStore
from app.storage.repository import Repository
from core import pii
from core.database import make_engine
from core.encoders import Embedder
from core.errors import ConfigError
from core.glossary import Glossary
from core.lifeline import watch_parent_from_env
from core.offline import enforce_offline
from core.settings import Environment, Settings, get_settings
from indexes.factory import open_catalogue, open_store

log = logging.getLogger("docent.api")
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def build_auth(settings: Settings) -> Authenticator:
    if settings.oidc_jwks_url:
        if not (settings.oidc_issuer and settings.oidc_audience):
            raise ConfigError("OIDC needs DOCENT_OIDC_ISSUER and DOCENT_OIDC_AUDIENCE")
        return OidcAuth(
            settings.oidc_jwks_url,
            settings.oidc_issuer,
            settings.oidc_audience,
            settings.oidc_algorithm,
            settings.oidc_groups_claim,
        )
    if settings.users_file is None:
        raise ConfigError("Set DOCENT_USERS_FILE (development) or DOCENT_OIDC_JWKS_URL")
    return UsersFileAuth(settings.users_file)


def create_app(
    settings: Settings | None = None,
    *,
    embedder: Embedder | None = None,
    generator: Generator | None = None,
    auth: Authenticator | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    watch_parent_from_env()  # started by app.serve: exit with it
    enforce_offline()
    setup_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = time.perf_counter()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = open_store(settings)
        catalogue = open_catalogue(settings)
        detector = pii.detector_for(
            settings.pii_detector, settings.spacy_model, Glossary.load(settings.glossary_file)
        )
        await run_in_threadpool(pii.redact, "warm up", detector)  # loads the NER model now
        pii.use(detector)
        repo = Repository(make_engine(settings.sqlalchemy_url))
        repo.ensure_schema(auto_upgrade=settings.environment is not Environment.PRODUCTION)
        repo.sweep_every(settings.retention_days)
        components = build_pipeline(settings, store, catalogue, embedder, generator)
        metrics = Metrics()
        gate = GenerationGate(
            settings.generation.slots,
            max_queued=settings.generation.max_queued,
            wait_s=settings.generation.queue_wait_s,
            on_refused=metrics.rejections.labels("overloaded").inc,
        )
        components.pipeline.gate = gate
        metrics.generation_waiting.set_function(lambda: gate.waiting)
        limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_storage)
        drift = QuestionDrift.from_settings(
            window=settings.drift_window,
            floor=settings.answer.min_retrieval_score,
            reference_file=settings.drift_reference_file,
        )
        metrics.question_drift.set_function(lambda: drift.distance)
        metrics.registry.register(CorpusChanges(catalogue.loads))
        if settings.eval_results_dir is not None:
            metrics.registry.register(LastEvalRun(settings.eval_results_dir))
        metrics.uncovered_questions.set_function(lambda: drift.uncovered_share)
        metrics.rate_limit_store_up.set_function(lambda: float(limiter.store_up))
        answering = AnswerService(
            components.pipeline,
            repo,
            metrics,
            limiter,
            settings.generation.timeout_s,
            components.linker.readable,
            PriceTable(settings.prices),
            # every slot, every queued question, and room for the answers that need none
            workers=settings.generation.slots + settings.generation.max_queued + 8,
            drift=drift,
        )
        key_store = KeyStore(repo.engine)
        batch_store = BatchStore(repo.engine)
        runner = BatchRunner(batch_store, answering)
        app.state.docent = AppState(
            settings,
            store,
            catalogue,
            components,
            repo,
            PersonalKeyAuth(key_store, auth or build_auth(settings)),
            metrics,
            answering,
            key_store,
            batch_store,
        )
        await run_in_threadpool(_warm_up, components)
        runner.start()  # resumes the batch jobs a stopped process left
        log.info("ready", extra={"fields": {"startup_s": round(time.perf_counter() - started, 2)}})
        # the models and indexes live as long as the process: keep the garbage collector
        # from walking them again and again (full collections stalled requests ~0.5 s)
        gc.freeze()
        try:
            yield
        finally:
            runner.stop()
            answering.workers.shutdown(wait=False, cancel_futures=True)
            components.close()  # stops the model process Docent started, if any
            repo.close()  # writes the answers still queued
            catalogue.close()
            store.close()

    app = FastAPI(
        title="Docent",
        version="0.1.0",
        lifespan=lifespan,
        description="Grounded, permission-checked answers from company documents.",
    )
    errors.install(app)
    for module in (ask, chat, batches, documents, conversations, keys, admin, health):
        app.include_router(module.router)

    @app.middleware("http")
    async def observe(request: Request, call_next):  # type: ignore[no-untyped-def]
        route = request.scope.get("route")
        started = time.perf_counter()
        # one id per request: the answer's trace id and every log line of the request
        token = trace_id_var.set(uuid.uuid4().hex)
        try:
            response: Response = await call_next(request)
        finally:
            trace_id_var.reset(token)
        state = getattr(request.app.state, "docent", None)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        # labels from a closed set: a client cannot mint new series with made-up methods
        method = request.method if request.method in _METHODS else "OTHER"
        if state is not None:
            state.metrics.requests.labels(path, method, str(response.status_code)).inc()
            state.metrics.latency.labels(path, method).observe(time.perf_counter() - started)
        return response

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


def _warm_up(components: object) -> None:
    """Load every model now, so the first question is not slow."""
    from app.pipeline.factory import PipelineParts

    assert isinstance(components, PipelineParts)
    components.embedder.embed(["warm up"])
    components.linker.warm_up()
    components.pipeline.answerability.scorer.warm_up()
    warm = getattr(components.generator, "warm_up", None)
    if callable(warm):
        try:
            warm()
        except GenerationUnavailable as exc:  # serve quote-only answers until it is up
            log.error("model unavailable at start-up", extra={"fields": {"why": str(exc)}})
