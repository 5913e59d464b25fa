"""Runs the pipeline for the API: limits, conversations, a worker thread, timeouts,
cancellation on disconnect, and recording of traces, audit and metrics."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any

from app.api.errors import ApiError
from app.costs import PriceTable
from app.drift import QuestionDrift
from app.generation.base import GenerationParams
from app.limits import RateLimiter
from app.logging_setup import trace_id_var
from app.observability import Metrics
from app.pipeline.linking import Readable
from app.pipeline.output_safety import sanitize
from app.pipeline.pipeline import QueryPipeline
from app.pipeline.types import (
    Citation,
    CitationsEvent,
    PipelineEvent,
    QueryResult,
    ResultEvent,
    Turn,
    User,
)
from app.storage.repository import Repository
from core.pii import redact

log = logging.getLogger("docent.answers")
_END = object()


def citation_json(citation: Citation, allowed_hosts: Sequence[str] = ()) -> dict[str, Any]:
    """A citation as it leaves the service: every text field inert as markdown."""
    out = asdict(citation)
    for name in ("path", "title", "section", "snippet"):
        out[name] = sanitize(out[name], allowed_hosts)
    return out


def result_json(
    result: QueryResult, conversation_id: str | None, allowed_hosts: Sequence[str] = ()
) -> dict[str, Any]:
    """The public shape of a result (``AskResponse``). Every text that came from a
    document or the model is inert as markdown (``output_safety``); the answer already is,
    since the pipeline sanitizes it where it is made (stage 7c)."""

    def safe(text: str) -> str:
        return sanitize(text, allowed_hosts)

    return {
        "answer": result.answer,
        "citations": [citation_json(c, allowed_hosts) for c in result.citations],
        "abstained": result.abstained,
        "conversation_id": conversation_id,
        "trace_id": result.trace_id,
        "prompt_version": result.prompt_version,
        "timings_ms": result.timings_ms,
        "question": safe(result.question),
        "standalone_question": safe(result.standalone_question),
        "entities": [
            {"mention": safe(e.mention), "canonical": safe(e.canonical), "label": e.label}
            for e in result.entities
        ],
        "generator": result.generator,
        "answer_source": str(result.answer_source),
        "sentences": [{**asdict(s), "text": safe(s.text)} for s in result.sentences],
        "closest_sources": [citation_json(c, allowed_hosts) for c in result.closest_sources],
        "dropped_citations": result.dropped_citations,
        "tokens_in": result.tokens_in,
        "tokens_out": result.tokens_out,
        "degraded": result.degraded,
    }


class AnswerService:
    """The API's way into the pipeline."""

    def __init__(
        self,
        pipeline: QueryPipeline,
        repo: Repository,
        metrics: Metrics,
        limiter: RateLimiter,
        timeout_s: float,
        readable: Readable,
        prices: PriceTable,
        workers: int,
        drift: QuestionDrift,
    ) -> None:
        """``workers``: threads that run questions through the pipeline: at least the
        generation slots plus the queue, so that a question waiting for a slot waits in the
        gate, where it is counted and bounded, and never unseen in an executor's queue."""
        self.readable = readable
        self.prices = prices
        self.drift = drift
        self.workers = ThreadPoolExecutor(workers, thread_name_prefix="docent-answer")
        self.pipeline = pipeline
        self.repo = repo
        self.metrics = metrics
        self.limiter = limiter
        self.timeout_s = timeout_s

    def admit(self, user: User) -> None:
        wait = self.limiter.check(user.id)
        if wait is not None:
            self.metrics.rejections.labels("rate").inc()
            raise ApiError(
                429,
                "rate_limited",
                f"Too many questions: wait {wait} s and ask again.",
                {"Retry-After": str(wait)},
            )

    def conversation(
        self, user: User, conversation_id: str | None, question: str
    ) -> tuple[str, list[Turn]]:
        try:
            conv_id, is_new = self.repo.open_conversation(user.id, conversation_id, question)
        except PermissionError as exc:
            raise ApiError(404, "not_found", "No such conversation.") from exc
        if is_new:
            return conv_id, []
        # an earlier answer drawn from a document the user can no longer read does not
        # feed the rewrite of a follow-up (its words would come back in the response)
        history = [t for t in self.repo.history(conv_id) if self.still_readable(t.doc_ids, user)]
        return conv_id, history

    def still_readable(self, doc_ids: Sequence[str], user: User) -> bool:
        """Whether the user may, today, read every one of these documents (an earlier answer
        showed them; a group may have been revoked since)."""
        return all(self.readable([d], user.groups) for d in doc_ids)

    async def events(
        self,
        user: User,
        question: str,
        history: list[Turn],
        disconnected: Callable[[], Awaitable[bool]] | None = None,
        params: GenerationParams | None = None,
    ) -> AsyncIterator[PipelineEvent]:
        """Pipeline events from a worker thread; stops the worker when the client leaves.
        ``params``: the client's sampling, when it asked for other than the configured."""
        trace_id = trace_id_var.get() or uuid.uuid4().hex
        if not history and params is None:  # a cache hit is answered before a slot is taken
            # a thread: with a Qdrant server, the index version is a network call
            hit = await asyncio.to_thread(self.pipeline.cached, question, user, trace_id)
            if hit is not None:
                yield CitationsEvent(hit.citations)
                yield ResultEvent(hit)
                return
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()

        def work() -> None:
            # the model stops at its next token when the client leaves or the deadline passes
            stream = self.pipeline.stream(
                question, user, history, trace_id, params, cancelled=cancel.is_set
            )
            try:
                for event in stream:
                    if cancel.is_set():
                        break
                    loop.call_soon_threadsafe(queue.put_nowait, event)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            finally:
                stream.close()  # stops llama.cpp and frees its slot at once
                loop.call_soon_threadsafe(queue.put_nowait, _END)

        loop.run_in_executor(self.workers, work)  # its outcome comes through the queue
        deadline = time.monotonic() + self.timeout_s
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ApiError(
                        504,
                        "generation_timeout",
                        f"No answer within {self.timeout_s:.0f} s. Try again.",
                    )
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=min(remaining, 0.5))
                except TimeoutError:
                    if disconnected is not None and await disconnected():
                        log.info("client disconnected; generation cancelled")
                        return
                    continue
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
                if disconnected is not None and await disconnected():
                    log.info("client disconnected; generation cancelled")
                    return
        finally:
            cancel.set()  # the model stops at its next token, the worker at its next event

    def purge(self, user_id: str) -> dict[str, int]:
        """Everything stored about a user, and what the caches keep of their questions."""
        self.pipeline.cache.forget(user_id)
        forget = getattr(self.pipeline.retriever.embedder, "forget", None)
        if callable(forget):
            forget(user_id)
        return self.repo.purge_user(user_id)

    def record(
        self, user: User, conversation_id: str | None, result: QueryResult
    ) -> dict[str, Any]:
        body = result_json(result, conversation_id, self.pipeline.allowed_hosts)
        cost = self.prices.cost(result.generator, result.tokens_in, result.tokens_out)
        self.metrics.observe(result, cost)
        self.drift.observe(result.question_vector, result.top_similarity)
        self.repo.record_answer(
            user.id, conversation_id, result, body, groups=user.groups, cost=cost
        )
        log.info(
            "answered",
            extra={
                "fields": {
                    "trace_id": result.trace_id,
                    "user": user.id,
                    "question": redact(result.question),
                    "abstained": result.abstained,
                    "source": str(result.answer_source),
                    "ms": result.timings_ms.get("total"),
                    "chunks": [c.id for c in result.retrieved],
                }
            },
        )
        return body

    async def answer(
        self,
        user: User,
        question: str,
        conversation_id: str | None,
        history: list[Turn],
        params: GenerationParams | None = None,
    ) -> dict[str, Any]:
        result: QueryResult | None = None
        async for event in self.events(user, question, history, params=params):
            if isinstance(event, ResultEvent):
                result = event.result
        if result is None:
            raise ApiError(500, "internal_error", "The pipeline produced no result.")
        return await asyncio.to_thread(self.record, user, conversation_id, result)
