"""The query pipeline: wires the stages together and records timings for every answer."""

from __future__ import annotations

import collections.abc as cabc
import logging
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from app.generation.base import GenerationParams, Generator
from app.pipeline.answerability import AnswerabilityCheck
from app.pipeline.cache import AnswerCache, CacheKey
from app.pipeline.citations import CitationChecker
from app.pipeline.errors import GenerationUnavailable
from app.pipeline.extractive import ExtractiveAnswerer
from app.pipeline.leak_guard import PromptLeakGuard, allowed, finished_part
from app.pipeline.linking import EntityLinker, boost_terms
from app.pipeline.output_safety import sanitize
from app.pipeline.policy import AnswerPolicy, Outcome
from app.pipeline.preprocess import Preprocessor
from app.pipeline.prompt import PromptBuilder
from app.pipeline.reasoning import ReasoningFilter
from app.pipeline.request_scope import one_request
from app.pipeline.results import Basis, Generated, Grounded, Timer, citation_of
from app.pipeline.retrieve import Retriever
from app.pipeline.rewrite import Rewriter
from app.pipeline.safety import SafetyChecker, quarantine_sources
from app.pipeline.scope import ScopeCheck
from app.pipeline.types import (
    AnswerSource,
    CitationsEvent,
    LinkedEntity,
    PipelineEvent,
    QueryResult,
    ResultEvent,
    RetrievedChunk,
    TokenEvent,
    Turn,
    User,
)
from core.encoders import cache_scope
from core.settings import CacheScope

log = logging.getLogger("docent.pipeline")


class Gate(Protocol):
    """Admission to generation (the API's concurrency cap)."""

    def acquire(self) -> None: ...
    def release(self) -> None: ...


class OpenGate:
    """No cap: for the CLI, eval and tests."""

    def acquire(self) -> None:
        return None

    def release(self) -> None:
        return None


class QueryPipeline:
    """Question in, grounded and verified answer out. Stages are injected, not global."""

    def __init__(
        self,
        *,
        preprocessor: Preprocessor,
        safety: SafetyChecker,
        linker: EntityLinker,
        rewriter: Rewriter,
        retriever: Retriever,
        prompts: PromptBuilder,
        generator: Generator,
        checker: CitationChecker,
        extractive: ExtractiveAnswerer,
        answerability: AnswerabilityCheck,
        scope: ScopeCheck,
        policy: AnswerPolicy,
        cache: AnswerCache,
        index_version: Callable[[], str],
        params: GenerationParams,
        allowed_hosts: list[str],
        cache_scope: CacheScope,
        gate: Gate | None = None,
    ) -> None:
        self.preprocessor = preprocessor
        self.safety = safety
        self.linker = linker
        self.rewriter = rewriter
        self.retriever = retriever
        self.prompts = prompts
        self.generator = generator
        self.checker = checker
        self.extractive = extractive
        self.answerability = answerability
        self.scope = scope
        self.policy = policy
        self.cache = cache
        self.index_version = index_version
        self.params = params
        self.allowed_hosts = allowed_hosts
        self.cache_scope = cache_scope
        self.gate = gate or OpenGate()

    def _scope(self, user: User) -> str:
        """Whose cache entries a user's question may read and fill (see Settings)."""
        return user.id if self.cache_scope is CacheScope.USER else ""

    def run(self, question: str, user: User, history: list[Turn] | None = None) -> QueryResult:
        result: QueryResult | None = None
        for event in self.stream(question, user, history):
            if isinstance(event, ResultEvent):
                result = event.result
        assert result is not None
        return result

    def cached(self, question: str, user: User, trace_id: str) -> QueryResult | None:
        """The cached answer to a first question (no history), or None; takes well under a
        millisecond, so a server can answer hits without handing off to a worker thread.
        Raises what ``stream`` raises for a question that is too long or refused."""
        timer = Timer()
        pre = self.preprocessor.run(question)
        timer.lap("preprocess")
        self.safety.run(pre.text)
        timer.lap("safety")
        with one_request():
            return self._from_cache(self._cache_key(pre.text, user), pre.text, trace_id, timer)

    def rank(self, question: str, user: User, limit: int) -> list[RetrievedChunk]:
        """The ranked chunks an answer to this first question would be packed from: the
        same linking, boost and rerank as ``stream``, without the answer. Raises what
        ``stream`` raises for a question that is too long or refused."""
        pre = self.preprocessor.run(question)
        self.safety.run(pre.text)
        grounded = self._ground(pre.text, user, [])
        with cache_scope(self._scope(user)), one_request():
            ranked = self.retriever.ranked(
                grounded.query_text, user.groups, grounded.boost, limit, grounded.dense_text
            )
        return quarantine_sources(ranked[:limit])[0]

    def _cache_key(self, standalone: str, user: User) -> CacheKey:
        return CacheKey(
            self.preprocessor.key(standalone),
            tuple(sorted(user.groups)),
            self._scope(user),
            self.index_version(),
            self.prompts.version_for(user.id),
            self.generator.name,
        )

    def stream(
        self,
        question: str,
        user: User,
        history: list[Turn] | None = None,
        trace_id: str | None = None,
        params: GenerationParams | None = None,
        cancelled: cabc.Callable[[], bool] = lambda: False,
    ) -> cabc.Generator[PipelineEvent, None, None]:
        """Events for one question: ``TokenEvent``s (sentences that passed the leak guard),
        then a ``CitationsEvent``, then the ``ResultEvent``. ``params``: this request's
        sampling (a client's temperature or stop words); an answer made with other than
        the configured ones is neither served from the cache nor kept in it.
        ``cancelled``: read at every token; once true, generation stops and frees its slot
        (the client left, or its deadline passed) and the answer is quoted instead."""
        with cache_scope(self._scope(user)), one_request():
            yield from self._stream(
                question, user, history or [], trace_id or uuid.uuid4().hex, params, cancelled
            )

    def _stream(
        self,
        question: str,
        user: User,
        history: list[Turn],
        trace_id: str,
        params: GenerationParams | None,
        cancelled: cabc.Callable[[], bool],
    ) -> cabc.Generator[PipelineEvent, None, None]:
        timer = Timer()
        pre = self.preprocessor.run(question)
        history = self.preprocessor.history(history)
        timer.lap("preprocess")
        safety = self.safety.run(pre.text)
        timer.lap("safety")
        # without history the question is already standalone: look in the cache before
        # paying for entity linking
        params = params or self.params
        cacheable = params == self.params
        key = self._cache_key(pre.text, user)
        hit = None if history or not cacheable else self._from_cache(key, pre.text, trace_id, timer)
        if hit is None:
            grounded = self._ground(pre.text, user, history)
            timer.lap("grounding")
            if history:
                # the rewrite carries words of earlier turns, which clients send unchecked
                safety = safety.merged(self.safety.run(grounded.standalone))
                key = self._cache_key(grounded.standalone, user)
                hit = self._from_cache(key, pre.text, trace_id, timer) if cacheable else None
        result = (
            hit
            if hit is not None
            else (
                yield from self._answer(
                    pre.text, safety.as_trace(), grounded, user, trace_id, timer, params, cancelled
                )
            )
        )
        yield CitationsEvent(result.citations)
        yield ResultEvent(result)
        if hit is None and cacheable and not result.degraded:  # a quoted stand-in is not kept
            self.cache.put(key, result)

    def _ground(self, text: str, user: User, history: list[Turn]) -> Grounded:
        """Links entities, rewrites a follow-up into a standalone question, and derives
        what retrieval reads; every entity is one the user may read a source of."""
        linked = self.linker.run(text, user.groups)
        previous = self.linker.run(history[-1].question, user.groups) if history else []
        rewrite = self.rewriter.run(text, history, linked, previous)
        if rewrite.is_follow_up:
            known = {e.canonical for e in linked}
            linked += [
                e
                for e in self.linker.run(rewrite.standalone, user.groups)
                if e.canonical not in known
            ]
            linked += [
                LinkedEntity(c, c, "CARRIED")
                for c in rewrite.carried_entities
                if c not in {e.canonical for e in linked} and self.linker.visible(c, c, user.groups)
            ]
        return Grounded(
            standalone=rewrite.standalone,
            entities=linked,
            query_text=self.linker.expand(rewrite.standalone, linked),
            boost=boost_terms(self.linker, linked),
            dense_text=self.linker.dense_text(rewrite.standalone, linked),
        )

    def _answer(
        self,
        question: str,
        safety: dict[str, Any],
        grounded: Grounded,
        user: User,
        trace_id: str,
        timer: Timer,
        params: GenerationParams,
        cancelled: cabc.Callable[[], bool],
    ) -> cabc.Generator[TokenEvent, None, QueryResult]:
        """Retrieves, asks the policy, generates, checks and decides; yields the tokens and
        returns the result."""
        standalone, dense_text = grounded.standalone, grounded.dense_text
        retrieval = self.retriever.run(
            grounded.query_text, user.groups, grounded.boost, dense_text=dense_text
        )
        # planted instructions leave the sources before the model, quotes or checks see them
        chunks, quarantined = quarantine_sources(retrieval.chunks)
        # a document of a collection that never names the organisation asked about answers
        # someone else's question
        chunks, out_of_scope = self.scope.split(grounded.entities, chunks, user.groups)
        timer.lap("retrieve")
        coverage = self.answerability.score(standalone, chunks)
        anchored = self.answerability.anchored(standalone, chunks)
        basis = Basis(
            question=question,
            grounded=grounded,
            prompt_version=self.prompts.version_for(user.id),
            generator=self.generator.name,
            safety={**safety, "quarantined_sentences": quarantined},
            chunks=chunks,
            trace_id=trace_id,
            answerability=round(coverage.together, 3),
            question_vector=retrieval.query_vector,
            top_similarity=retrieval.top_similarity,
        )
        decision = self.policy.before_generation(
            has_sources=bool(chunks),
            out_of_scope=out_of_scope,
            top_similarity=retrieval.top_similarity,
            coverage=coverage,
            quote_score=lambda: (
                self.extractive.run(
                    standalone, chunks, dense_text=dense_text, quotable=anchored
                ).score
            ),
            anchored=any(anchored),
        )
        if decision.outcome is Outcome.ABSTAIN:
            return basis.result(timer, decision)

        prompt = self.prompts.run(standalone, chunks, basis.prompt_version)
        timer.lap("prompt")
        generated = yield from self._generate(
            prompt.messages, chunks, standalone, params, cancelled, reasoning=prompt.reasoning
        )
        timer.lap("generate")

        # the quotes and the claims the check must embed go to the model in one batch
        extract = self.extractive.run(
            standalone,
            chunks,
            prefetch=self.checker.open_claims(generated.text, chunks),
            dense_text=dense_text,
            quotable=anchored,
        )
        checked = self.checker.run(generated.text, chunks)
        supported = " ".join(s.text for s in checked.sentences if s.supported)
        decision = self.policy.after_generation(
            supported=checked.supported,
            relevance=lambda: self.extractive.relevance(standalone, supported, dense_text),
            quote_score=extract.score,
            has_quote=bool(extract.text),
            cites_anchored=any(anchored[n - 1] for n in checked.kept),
        )
        match decision.outcome:
            case Outcome.GENERATED:
                source = AnswerSource.GENERATED
                text, sentences, cited = checked.text, checked.sentences, checked.kept
            case Outcome.QUOTED:
                source = AnswerSource.EXTRACTIVE
                text, sentences, cited = extract.text, extract.sentences, extract.cited
            case _:
                return basis.result(
                    timer,
                    decision,
                    generated=generated,
                    dropped=checked.dropped,
                    checked=checked.sentences,
                )
        return basis.result(
            timer,
            decision,
            answer=sanitize(text, self.allowed_hosts),
            citations=[citation_of(n, chunks[n - 1]) for n in cited],
            source=source,
            sentences=sentences,
            generated=generated,
            dropped=checked.dropped,
            checked=checked.sentences,
        )

    def _generate(
        self,
        messages: list[dict[str, str]],
        chunks: list[RetrievedChunk],
        standalone: str,
        params: GenerationParams,
        cancelled: cabc.Callable[[], bool],
        *,
        reasoning: bool,
    ) -> cabc.Generator[TokenEvent, None, Generated]:
        """Streams the model's answer a sentence at a time, after the leak guard; a model
        that fails gives an empty, degraded generation (the answer is then quoted). With
        ``reasoning``, only what follows the model's "Answer:" is the answer."""
        guard = PromptLeakGuard(messages[0]["content"], [c.text for c in chunks], standalone)
        thinking = ReasoningFilter() if reasoning else None
        parts: list[str] = []
        pending = ""
        streamed: list[str] = []  # the words of the sentences let through so far
        tokens_in = tokens_out = 0
        if cancelled():  # the client left before the model started
            return Generated("", 0, 0, degraded=True)
        self.gate.acquire()  # raises Overloaded when every generation slot is busy
        try:
            for delta in self.generator.stream(messages, params):
                if cancelled():  # leaving the loop closes the model's stream
                    log.info("generation cancelled")
                    return Generated("", tokens_in, tokens_out, degraded=True)
                text = thinking.feed(delta.text) if thinking and delta.text else delta.text
                if text:
                    parts.append(text)
                    finished, pending = finished_part(pending + text)
                    if shown := allowed(finished, guard, streamed):
                        yield TokenEvent(shown + " ")
                if delta.done:
                    tokens_in, tokens_out = delta.tokens_in or 0, delta.tokens_out or 0
            if shown := allowed(pending, guard, streamed):
                yield TokenEvent(shown)
        except GenerationUnavailable as exc:
            # the model crashed, hung or is unreachable: the answer is quoted instead, and
            # any text it streamed before failing is discarded (the result replaces it)
            log.warning("answering with quotes", extra={"fields": {"why": str(exc)}})
            return Generated("", tokens_in, tokens_out, degraded=True)
        finally:
            self.gate.release()
        # one sentence per paragraph: the check splits them exactly as it would have
        return Generated(
            allowed("".join(parts), guard, [], sep="\n\n"), tokens_in, tokens_out, False
        )

    def _from_cache(
        self, key: CacheKey, question: str, trace_id: str, timer: Timer
    ) -> QueryResult | None:
        cached = self.cache.get(key)
        if cached is None:
            return None
        cached.trace_id = trace_id
        cached.question = question
        cached.answer_source = AnswerSource.CACHE
        cached.timings_ms = timer.total()
        # no model ran for this one: nothing to pay for, no sentence newly checked
        cached.tokens_in = cached.tokens_out = 0
        cached.model_sentences = cached.model_unsupported = 0
        return cached
