"""The flat setting names of releases before the groups, and where each one went.

A deployment's ``DOCENT_GENERATOR=openai`` keeps working (with a warning naming
``DOCENT_GENERATION__KIND``); the same name in docent.yaml or as an argument is an error that
names its new place, so an old file is never half-applied.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

log = logging.getLogger(__name__)

# old flat name -> group.field
LEGACY_NAMES: dict[str, str] = {
    "embedding_model_path": "embedding.model_path",
    "embedding_device": "embedding.device",
    "embedding_batch_size": "embedding.batch_size",
    "embedding_dtype": "embedding.dtype",
    "query_embedding_dtype": "embedding.query_dtype",
    "embedding_cache": "embedding.cache",
    "embedding_cache_path": "embedding.cache_path",
    "chunk_tokens": "ingest.chunk_tokens",
    "chunk_overlap_tokens": "ingest.chunk_overlap_tokens",
    "max_file_bytes": "ingest.max_file_bytes",
    "ingest_roots": "ingest.roots",
    "front_matter_may_widen": "ingest.front_matter_may_widen",
    "parse_timeout_s": "ingest.parse_timeout_s",
    "parse_memory_mb": "ingest.parse_memory_mb",
    "ner_workers": "ingest.ner_workers",
    "retrieval_mode": "retrieval.mode",
    "retrieve_candidates": "retrieval.candidates",
    "context_chunks": "retrieval.context_chunks",
    "context_token_budget": "retrieval.context_token_budget",
    "hybrid_sparse_weight": "retrieval.sparse_weight",
    "entity_boost_weight": "retrieval.entity_boost_weight",
    "rerank_rank_weight": "retrieval.rerank_rank_weight",
    "scope_entity_share": "retrieval.entity_scope_share",
    "entity_min_tagged_share": "retrieval.entity_min_tagged_share",
    "max_question_chars": "answer.max_question_chars",
    "injection_policy": "answer.injection_policy",
    "rewrite_with_llm": "answer.rewrite_with_llm",
    "min_retrieval_score": "answer.min_retrieval_score",
    "min_answerability": "answer.min_answerability",
    "min_chunk_answerability": "answer.min_chunk_answerability",
    "answerability_chunks": "answer.answerability_chunks",
    "strong_quote_score": "answer.strong_quote_score",
    "min_quote_score": "answer.min_quote_score",
    "generated_relevance_ratio": "answer.generated_relevance_ratio",
    "citation_overlap": "answer.citation_overlap",
    "citation_similarity": "answer.citation_similarity",
    "quote_scoring": "answer.quotes",
    "scope_max_share_here": "answer.scope_max_share_here",
    "scope_min_share_elsewhere": "answer.scope_min_share_elsewhere",
    "prompt_version": "answer.prompt_version",
    "prompt_ab_version": "answer.prompt_ab_version",
    "prompt_ab_share": "answer.prompt_ab_share",
    "allowed_link_hosts": "answer.allowed_link_hosts",
    "generator": "generation.kind",
    "llm_model_path": "generation.model_path",
    "llm_threads": "generation.threads",
    "llm_context": "generation.context",
    "llm_start_timeout_s": "generation.start_timeout_s",
    "llm_base_url": "generation.base_url",
    "llm_api_key": "generation.api_key",
    "llm_model": "generation.model",
    "llm_timeout_s": "generation.idle_timeout_s",
    "llm_retries": "generation.retries",
    "llm_cooldown_s": "generation.cooldown_s",
    "temperature": "generation.temperature",
    "max_tokens": "generation.max_tokens",
    "max_concurrent_generations": "generation.max_concurrent",
    "generation_timeout_s": "generation.timeout_s",
}


def env_name(dotted: str) -> str:
    """``generation.kind`` -> ``DOCENT_GENERATION__KIND``."""
    return "DOCENT_" + dotted.replace(".", "__").upper()


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"generation.kind": "x"}`` -> ``{"generation": {"kind": "x"}}``; an old flat name
    is first translated to its group."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *groups, leaf = LEGACY_NAMES.get(key, key).split(".")
        node = out
        for group in groups:
            node = node.setdefault(group, {})
        node[leaf] = value
    return out


def _decoded(raw: str) -> Any:
    """A list or object variable is JSON (DOCENT_INGEST_ROOTS='["/srv/docs"]')."""
    if raw.lstrip().startswith(("[", "{")):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


class LegacyEnvSource(PydanticBaseSettingsSource):
    """``DOCENT_<OLD_NAME>`` variables, mapped into their groups with a warning."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ reads the variables itself

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for old, new in LEGACY_NAMES.items():
            raw = os.environ.get(f"DOCENT_{old.upper()}")
            if raw is None:
                continue
            log.warning("DOCENT_%s is deprecated: set %s instead", old.upper(), env_name(new))
            found[new] = _decoded(raw)
        return nest(found)
