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
from app.generation.transformers_gen import TransformersGenerator
from app.pipeline.answer_type import AnswerTyper
from app.pipeline.answerability import (
    AnswerabilityCheck,
    SynonymMatcher,
    TermScorer,
    TermStats,
)
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
from app.pipeline.word_roles import SpacyWordRoles
from core.encoders import Embedder, QueryEmbeddingCache, SentenceEmbedder, SparseEncoder
from core.errors import ConfigError
from core.glossary import Glossary
from core.settings import GeneratorKind, Settings
from indexes.access import any_readable, readable_documents
from indexes.catalogue import EntityCatalogue
from indexes.store import IndexStore


def build_generator(settings: Settings) -> Generator:
    """The configured model. Remote and embedded models are guarded: while one is down,
    questions are answered with quotes at once instead of waiting on it."""
    config = settings.generation
    if config.kind is GeneratorKind.EXTRACTIVE:
        return ExtractiveOnlyGenerator()
    if config.kind is GeneratorKind.INPROCESS:
        return LlamaCppGenerator(config.model_path, n_ctx=config.context, n_threads=config.threads)
    inner: Generator
    if config.kind is GeneratorKind.TRANSFORMERS:
        inner = TransformersGenerator(
            config.model_path,
            adapter_path=config.adapter_path,
            device=config.device,
            dtype=config.dtype,
            idle_timeout_s=config.idle_timeout_s,
        )
    elif config.kind is GeneratorKind.OPENAI:
        if not config.base_url:
            raise ConfigError("DOCENT_GENERATION__KIND=openai needs DOCENT_GENERATION__BASE_URL")
        inner = OpenAIGenerator(
            config.base_url,
            config.model,
            api_key=config.api_key,
            timeout_s=config.idle_timeout_s,
            retries=config.retries,
        )
    else:
        process = ModelProcess(
            config.model_path,
            n_ctx=config.context,
            n_threads=config.threads,
            log_path=settings.model_log_file,
            start_timeout_s=config.start_timeout_s,
        )
        inner = EmbeddedGenerator(process, config.idle_timeout_s)
    return GuardedGenerator(inner, cooldown_s=config.cooldown_s)


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
    retrieval, answer = settings.retrieval, settings.answer
    base_embedder = embedder or SentenceEmbedder(
        settings.embedding.model_path,
        settings.embedding.device,
        batch_size=settings.embedding.batch_size,
        dtype=settings.embedding.query_dtype,
    )
    query_embedder = QueryEmbeddingCache(base_embedder)
    gen = generator or build_generator(settings)
    sparse = SparseEncoder()
    generation = once_per_request(store.generation)  # two HTTP calls with a Qdrant server
    stats = TermStats(store.active, generation, sparse)
    scorer = TermScorer(stats, sparse)
    # whether the sources cover the question reads its topic (light words count less);
    # which sentence answers it reads every word ("processed", "receive" tell sentences apart)
    roles = SpacyWordRoles(settings.spacy_model)
    topic_scorer = TermScorer(
        stats,
        sparse,
        roles=roles if answer.light_word_weight < 1 else None,
        light_weight=answer.light_word_weight,
    )
    synonyms = SynonymMatcher(query_embedder, sparse, min_similarity=answer.synonym_similarity)
    linker = EntityLinker(
        catalogue,
        model=settings.spacy_model,
        scope_share=retrieval.entity_scope_share,
        readable=lambda doc_ids, groups: any_readable(store.active(), doc_ids, groups),
        glossary=Glossary.load(settings.glossary_file),
        chunks_with=stats.chunks_with,
        min_tagged_share=retrieval.entity_min_tagged_share,
        generation=generation,
    )
    rewriter = FollowUpRewriter(
        weight=lambda phrase: sum(stats.idf(t) for t in sparse.terms(phrase)),
        prominence=linker.documents_naming,
        phrases=roles.noun_phrases,
    )
    retriever = Retriever(
        store.active,
        query_embedder,
        sparse,
        FusionReranker(rank_weight=retrieval.rerank_rank_weight),
        mode=retrieval.mode,
        candidates=retrieval.candidates,
        max_chunks=retrieval.context_chunks,
        token_budget=retrieval.context_token_budget,
        per_doc=retrieval.per_document,
        sparse_weight=retrieval.sparse_weight,
        boost_weight=retrieval.entity_boost_weight,
    )
    pipeline = QueryPipeline(
        preprocessor=Preprocessor(
            max_chars=answer.max_question_chars, max_turns=answer.max_history_turns
        ),
        safety=SafetyChecker(answer.injection_policy),
        linker=linker,
        rewriter=LlmRewriter(gen, rewriter) if answer.rewrite_with_llm else rewriter,
        retriever=retriever,
        prompts=PromptBuilder(
            answer.prompt_version,
            ab_version=answer.prompt_ab_version,
            ab_share=answer.prompt_ab_share,
        ),
        generator=gen,
        checker=CitationChecker(
            query_embedder,
            SupportThresholds(
                overlap=answer.citation_overlap, similarity=answer.citation_similarity
            ),
        ),
        extractive=ExtractiveAnswerer(
            query_embedder,
            scorer,
            AnswerTyper(linker.names),
            weights=answer.quotes,
            synonyms=synonyms,
        ),
        answerability=AnswerabilityCheck(
            topic_scorer,
            top=answer.answerability_chunks,
            synonyms=synonyms,
            anchor_words=answer.anchor_words,
        ),
        scope=ScopeCheck(
            catalogue,
            generation,
            readable_documents=lambda groups: readable_documents(store.active(), groups),
            max_share_here=answer.scope_max_share_here,
            min_share_elsewhere=answer.scope_min_share_elsewhere,
        ),
        policy=AnswerPolicy(
            min_similarity=answer.min_retrieval_score,
            min_coverage=answer.min_answerability,
            min_chunk_coverage=answer.min_chunk_answerability,
            min_quote_score=answer.min_quote_score,
            strong_quote=answer.strong_quote_score,
            relevance_ratio=answer.generated_relevance_ratio,
        ),
        cache=AnswerCache(size=settings.answer_cache_size, ttl_s=settings.answer_cache_ttl_s),
        index_version=generation,
        params=GenerationParams(settings.generation.temperature, settings.generation.max_tokens),
        allowed_hosts=answer.allowed_link_hosts,
        cache_scope=settings.cache_scope,
    )
    return PipelineParts(pipeline, query_embedder, linker, gen, retriever, generator is None)
