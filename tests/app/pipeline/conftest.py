from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.generation.extractive import ExtractiveOnlyGenerator
from app.generation.llama_cpp import LlamaCppGenerator
from app.pipeline.factory import Components, build_pipeline
from app.settings import Settings
from indexes.factory import open_catalogue, open_store


@pytest.fixture(scope="session")
def corpus_parts(full_index: Path, embedder: Any) -> Iterator[dict[str, Any]]:
    """The full-corpus index opened once, with an extractive and a llama.cpp pipeline."""
    settings = Settings(data_dir=full_index)
    store = open_store(settings)
    catalogue = open_catalogue(settings)
    parts = {
        "settings": settings,
        "store": store,
        "catalogue": catalogue,
        "extractive": build_pipeline(
            settings, store, catalogue, embedder, ExtractiveOnlyGenerator()
        ),
        "llm": build_pipeline(
            settings, store, catalogue, embedder, LlamaCppGenerator(settings.llm_model_path)
        ),
    }
    yield parts
    catalogue.close()
    store.close()


@pytest.fixture
def extractive(corpus_parts: dict[str, Any]) -> Components:
    c: Components = corpus_parts["extractive"]
    c.pipeline.cache.clear()
    return c


@pytest.fixture
def llm(corpus_parts: dict[str, Any]) -> Components:
    c: Components = corpus_parts["llm"]
    c.pipeline.cache.clear()
    return c
