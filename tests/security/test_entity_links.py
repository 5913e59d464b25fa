"""Entity links come only from documents the user may read (finding 1 of the hardening
review): the catalogue spans every group, so a link is checked against the index per user.
Real index, real embedding model, real spaCy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.api.answering import result_json
from app.generation.extractive import ExtractiveOnlyGenerator
from app.pipeline.factory import PipelineParts, build_pipeline
from app.pipeline.types import User
from core.settings import Settings
from indexes.factory import open_catalogue, open_store
from indexes.store import IndexStore
from ingest.acl import AclResolver
from ingest.service import IngestService

pytestmark = pytest.mark.integration

SECRET = "Zero Interest Fund Transfer"
HR_DOC = f"""# Payroll advances

The {SECRET} (ZIFT) program lets employees borrow against their next payroll. Apply
through the HR portal; the {SECRET} is repaid over three pay periods.
"""
OPEN_DOC = """# Working remotely

Employees may work remotely two days a week with their manager's approval.
"""
ACL = """default: [everyone]
rules:
  - match: "hr/**"
    groups: [{hr}]
"""
OUTSIDER = User("eve", ("everyone",))
HR = User("hana", ("everyone", "hr"))


@dataclass
class Loaded:
    components: PipelineParts
    service: IngestService
    store: IndexStore
    docs: Path
    acl: Path


@pytest.fixture
def loaded(tmp_path: Path, embedder: Any, extractor: Any) -> Iterator[Loaded]:
    docs = tmp_path / "docs"
    (docs / "hr").mkdir(parents=True)
    (docs / "open").mkdir()
    (docs / "hr" / "advances.md").write_text(HR_DOC)
    (docs / "open" / "remote.md").write_text(OPEN_DOC)
    acl = tmp_path / "acl.yaml"
    acl.write_text(ACL.format(hr="hr"))
    settings = Settings(data_dir=tmp_path / "var")
    store = open_store(settings)
    catalogue = open_catalogue(settings)
    service = IngestService(settings, store, catalogue, embedder, extractor)
    service.load([docs], AclResolver.from_options(None, acl))
    components = build_pipeline(settings, store, catalogue, embedder, ExtractiveOnlyGenerator())
    yield Loaded(components, service, store, docs, acl)
    catalogue.close()
    store.close()


def _everything(components: PipelineParts, user: User, question: str) -> str:
    components.pipeline.cache.clear()
    result = components.pipeline.run(question, user)
    return json.dumps(result_json(result, None)) + " ".join(
        str(x) for x in components.pipeline.rank(question, user, 5)
    )


@pytest.mark.parametrize(
    "question", ["What does ZIFT stand for?", "How do I apply for ZIFT?", "When is ZIFT repaid?"]
)
def test_an_acronym_defined_only_in_a_restricted_document_does_not_link(
    loaded: Loaded, question: str
) -> None:
    linker = loaded.components.linker
    assert linker.run(question, HR.groups)[0].canonical == SECRET  # the link exists
    assert linker.run(question, OUTSIDER.groups) == []
    assert SECRET.lower() not in _everything(loaded.components, OUTSIDER, question).lower()


def test_no_groups_link_nothing(loaded: Loaded) -> None:
    assert loaded.components.linker.run("What does ZIFT stand for?", ()) == []


def test_a_revoked_group_loses_the_link_on_the_next_question(loaded: Loaded) -> None:
    question = "What does ZIFT stand for?"
    assert loaded.components.linker.run(question, HR.groups)
    loaded.acl.write_text(ACL.format(hr="payroll"))  # an ACL-only change: no re-embedding
    loaded.service.load([loaded.docs], AclResolver.from_options(None, loaded.acl))
    assert loaded.components.linker.run(question, HR.groups) == []
    assert SECRET.lower() not in _everything(loaded.components, HR, question).lower()
    assert loaded.components.linker.run(question, ("payroll",))[0].canonical == SECRET
