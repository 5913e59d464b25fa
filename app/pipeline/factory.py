"""Build a ``QueryPipeline`` from settings; the API lifespan and eval both use this."""

from __future__ import annotations

from dataclasses import dataclass

from app.generation.base import GenerationParams, Generator
from app.generation.embedded import EmbeddedGenerator
from app.generation.extractive import ExtractiveOnlyGenerator
from app.generation.guard import GuardedGenerator
from app.generation.llama_cpp import LlamaCppGenerator
from app.generation.model_process import ModelProcess
from app.generation.openai_compat import OpenAIGenerator
from app.pipeline.answer_type import AnswerTyper
from app.pipeline.answerability import AnswerabilityCheck, TermScorer, TermStats
from app.pipeline.cache import AnswerCache
from app.pipeline.citations import CitationChecker, SupportThresholds
from app.pipeline.extractive import ExtractiveAnswerer
from app.pipeline.linking import EntityLinker
from app.pipeline.pipeline import QueryPipeline
from app.pipeline.policy import AnswerPolicy
from app.pipeline.preprocess import Preprocessor
from app.pipeline.prompt import PromptBuilder
from app.pipeline.request_scope import once_per_request
from app.pipeline.retrieve import FusionReranker, Retriever
from app.pipeline.rewrite import FollowUpRewriter, LlmRewriter
from app.pipeline.safety import SafetyChecker
from app.pipeline.scope import ScopeCheck
from core.encoders import Embedder, QueryEmbeddingCache, SentenceEmbedder, SparseEncoder
from core.errors import ConfigError
from core.glossary import Glossary
from core.settings import GeneratorKind, Settings
from indexes.access import any_readable
from indexes.catalogue import EntityCatalogue
from indexes.store import IndexStore


def build_generator(settings: Settings) -> Generator:
    """The configured model. Remote and embedded models are guarded: while one is down,
    questions are answered with quotes at once instead of waiting on it."""
    if settings.generator is GeneratorKind.EXTRACTIVE:
        return ExtractiveOnlyGenerator()
    if settings.generator is GeneratorKind.INPROCESS:
        return LlamaCppGenerator(
            settings.llm_model_path, settings.llm_context, settings.llm_threads
        )
    inner: Generator
    if settings.generator is GeneratorKind.OPENAI:
        if not settings.llm_base_url:
            raise ConfigError("DOCENT_GENERATOR=openai needs DOCENT_LLM_BASE_URL")
        inner = OpenAIGenerator(
            settings.llm_base_url,
            settings.llm_model,
            settings.llm_api_key,
            settings.llm_timeout_s,
            settings.llm_retries,
        )
    else:
        process = ModelProcess(
            settings.llm_model_path,
            n_ctx=settings.llm_context,
            n_threads=settings.llm_threads,
            log_path=settings.model_log_file,
            start_timeout_s=settings.llm_start_timeout_s,
        )
        inner = EmbeddedGenerator(process, settings.llm_timeout_s)
    return GuardedGenerator(inner, settings.llm_cooldown_s)


@dataclass
class PipelineParts:
    """The long-lived parts, built once per process and shared by requests."""

    pipeline: QueryPipeline
    embedder: Embedder
    linker: EntityLinker
    generator: Generator
    retriever: Retriever
    owns_generator: bool = False  # built here from settings, so closed here

    def close(self) -> None:
        """Stop what these components started (the embedded model's process)."""
        close = getattr(self.generator, "close", None)
        if self.owns_generator and callable(close):
            close()


def build_pipeline(
    settings: Settings,
    store: IndexStore,
    catalogue: EntityCatalogue,
    embedder: Embedder | None = None,
    generator: Generator | None = None,
) -> PipelineParts:
    base_embedder = embedder or SentenceEmbedder(
        settings.embedding_model_path,
        settings.embedding_device,
        batch_size=settings.embedding_batch_size,
        dtype=settings.query_embedding_dtype,
    )
    query_embedder = QueryEmbeddingCache(base_embedder)
    gen = generator or build_generator(settings)
    sparse = SparseEncoder()
    generation = once_per_request(store.generation)  # two HTTP calls with a Qdrant server
    stats = TermStats(store.active, generation, sparse)
    scorer = TermScorer(stats, sparse)
    linker = EntityLinker(
        catalogue,
        settings.spacy_model,
        scope_share=settings.scope_entity_share,
        readable=lambda doc_ids, groups: any_readable(store.active(), doc_ids, groups),
        glossary=Glossary.load(settings.glossary_file),
        chunks_with=stats.chunks_with,
        min_tagged_share=settings.entity_min_tagged_share,
    )
    rewriter = FollowUpRewriter(
        weight=lambda phrase: sum(stats.idf(t) for t in sparse.terms(phrase)),
        prominence=linker.documents_naming,
    )
    retriever = Retriever(
        store.active,
        query_embedder,
        sparse,
        FusionReranker(rank_weight=settings.rerank_rank_weight),
        mode=settings.retrieval_mode,
        candidates=settings.retrieve_candidates,
        max_chunks=settings.context_chunks,
        token_budget=settings.context_token_budget,
        sparse_weight=settings.hybrid_sparse_weight,
        boost_weight=settings.entity_boost_weight,
    )
    pipeline = QueryPipeline(
        preprocessor=Preprocessor(settings.max_question_chars),
        safety=SafetyChecker(settings.injection_policy),
        linker=linker,
        rewriter=LlmRewriter(gen, rewriter) if settings.rewrite_with_llm else rewriter,
        retriever=retriever,
        prompts=PromptBuilder(
            settings.prompt_version, settings.prompt_ab_version, settings.prompt_ab_share
        ),
        generator=gen,
        checker=CitationChecker(
            query_embedder,
            SupportThresholds(
                overlap=settings.citation_overlap, similarity=settings.citation_similarity
            ),
        ),
        extractive=ExtractiveAnswerer(
            query_embedder, scorer, AnswerTyper(linker.labels), weights=settings.quote_scoring
        ),
        answerability=AnswerabilityCheck(scorer, top=settings.answerability_chunks),
        scope=ScopeCheck(
            catalogue,
            generation,
            readable=lambda doc_ids, groups: any_readable(store.active(), doc_ids, groups),
            max_share_here=settings.scope_max_share_here,
            min_share_elsewhere=settings.scope_min_share_elsewhere,
        ),
        policy=AnswerPolicy(
            min_similarity=settings.min_retrieval_score,
            min_coverage=settings.min_answerability,
            min_chunk_coverage=settings.min_chunk_answerability,
            min_quote_score=settings.min_quote_score,
            strong_quote=settings.strong_quote_score,
            relevance_ratio=settings.generated_relevance_ratio,
        ),
        cache=AnswerCache(settings.answer_cache_size, settings.answer_cache_ttl_s),
        index_version=generation,
        params=GenerationParams(settings.temperature, settings.max_tokens),
        allowed_hosts=settings.allowed_link_hosts,
        cache_scope=settings.cache_scope,
    )
    return PipelineParts(pipeline, query_embedder, linker, gen, retriever, generator is None)
