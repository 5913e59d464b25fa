"""The entity linker follows the shared catalogue: after a load (by this process or another
one) moves the index generation, its rulers are rebuilt in the background, and questions
link with the old rulers meanwhile. Real spaCy, a real SQLite catalogue."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.pipeline.linking import EntityLinker
from core.entity_rules import Mention
from core.settings import Settings
from indexes.catalogue import EntityCatalogue

pytestmark = pytest.mark.integration


def test_a_new_generation_rebuilds_the_rulers_from_the_catalogue(tmp_path: Path) -> None:
    catalogue = EntityCatalogue.at(tmp_path / "catalogue.sqlite")
    catalogue.replace_document(
        "d1",
        [Mention(canonical="Paid Parental Leave", label="ORG", alias="PPL", chunk_index=0)],
        "hr/a.md",
    )
    generation = ["1"]
    settings = Settings()
    linker = EntityLinker(
        catalogue,
        model=settings.spacy_model,
        scope_share=settings.retrieval.entity_scope_share,
        readable=lambda doc_ids, groups: True,
        chunks_with=lambda word: 0,
        min_tagged_share=settings.retrieval.entity_min_tagged_share,
        generation=lambda: generation[0],
    )
    question = "Does PPL cover the Acme Fellowship?"
    assert [e.canonical for e in linker.run(question, ("everyone",))] == ["Paid Parental Leave"]

    # another process loads a document naming a new entity, and bumps the generation
    catalogue.replace_document(
        "d2",
        [Mention(canonical="Acme Fellowship", label="ORG", alias="Acme Fellowship", chunk_index=0)],
        "hr/b.md",
    )
    assert len(linker.run(question, ("everyone",))) == 1  # same generation: same rulers
    generation[0] = "2"
    linker.run(question, ("everyone",))  # starts the rebuild; answers with the old rulers
    deadline = time.monotonic() + 60
    while linker._built_for != "2" and time.monotonic() < deadline:
        time.sleep(0.05)
    linked = {e.canonical for e in linker.run(question, ("everyone",))}
    assert linked == {"Paid Parental Leave", "Acme Fellowship"}
    catalogue.close()
