"""Scope consistency and the catalogue noise filter, on a real SQLite catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from app.pipeline.linking import common_words
from app.pipeline.scope import ScopeCheck
from app.pipeline.types import LinkedEntity, RetrievedChunk
from core.entity_rules import Mention
from indexes.catalogue import Entity, EntityCatalogue, collection_of

pytestmark = pytest.mark.unit

ACME = LinkedEntity("Acme", "Acme Corp", "ORG")


ALL = ("everyone",)


def _chunk(doc_id: str, path: str) -> RetrievedChunk:
    return RetrievedChunk(f"{doc_id}#0", doc_id, path, "", "", "Leave is 10 days.", 0.9)


def _readers(catalogue: EntityCatalogue, hidden: dict[str, str] | None = None) -> Any:
    """Every document is readable by "everyone", except each ``hidden`` one (doc id ->
    the one group that reads it)."""
    hidden = hidden or {}

    def readable_documents(groups: Sequence[str]) -> frozenset[str]:
        return frozenset(
            d
            for d in catalogue.document_collections()
            if (hidden[d] in groups if d in hidden else "everyone" in groups)
        )

    return readable_documents


def _check(
    catalogue: EntityCatalogue, generation: str = "1", hidden: dict[str, str] | None = None
) -> ScopeCheck:
    return ScopeCheck(
        catalogue,
        lambda: generation,
        readable_documents=_readers(catalogue, hidden),
        max_share_here=0.02,
        min_share_elsewhere=0.1,
    )


def _out(check: ScopeCheck, entities: list[LinkedEntity], chunk: RetrievedChunk) -> bool:
    """Whether ``chunk`` is set aside as out of scope for a reader of every document."""
    return check.split(entities, [chunk], ALL)[1] == 1


@pytest.fixture
def catalogue(tmp_path: Path) -> EntityCatalogue:
    cat = EntityCatalogue.at(tmp_path / "catalogue.sqlite")
    # Acme's folder: 4 of 10 documents name Acme; Globex's folder: none of 10
    for i in range(10):
        named = [Mention("Acme Corp", "ORG", "Acme", 0)] if i < 4 else []
        cat.replace_document(f"a{i}", named, f"acme/policies/p{i}.md")
        cat.replace_document(f"g{i}", [], f"globex/hr/p{i}.md")
    return cat


def test_a_document_from_a_collection_that_never_names_the_entity_is_out_of_scope(
    catalogue: EntityCatalogue,
) -> None:
    check = _check(catalogue, "1")
    assert _out(check, [ACME], _chunk("g1", "globex/hr/p1.md"))
    assert not _out(check, [ACME], _chunk("a7", "acme/policies/p7.md"))  # Acme's folder
    assert not _out(check, [], _chunk("g1", "globex/hr/p1.md"))  # no scope named
    kept, dropped = check.split(
        [ACME], [_chunk("g1", "globex/hr/p1.md"), _chunk("a1", "acme/policies/p1.md")], ALL
    )
    assert [c.doc_id for c in kept] == ["a1"] and dropped == 1


def test_a_document_that_names_the_entity_is_in_scope_wherever_it_is(
    catalogue: EntityCatalogue,
) -> None:
    catalogue.replace_document("g2", [Mention("Acme Corp", "ORG", "Acme", 0)], "globex/hr/p2.md")
    check = _check(catalogue, "2")
    assert not _out(check, [ACME], _chunk("g2", "globex/hr/p2.md"))
    # one mention in ten is above max_share_here: Globex's folder no longer contradicts
    assert not _out(check, [ACME], _chunk("g3", "globex/hr/p3.md"))


def test_a_question_naming_two_organisations_reads_both(tmp_path: Path) -> None:
    cat = EntityCatalogue.at(tmp_path / "c.sqlite")
    for i in range(10):
        cat.replace_document(f"a{i}", [Mention("Acme Corp", "ORG", "Acme", 0)], f"acme/{i}.md")
        cat.replace_document(f"g{i}", [Mention("Globex", "ORG", "Globex", 0)], f"globex/{i}.md")
    cat.replace_document("i0", [], "initech/0.md")
    check = _check(cat, "1")
    globex = LinkedEntity("Globex", "Globex", "ORG")
    both = [ACME, globex]
    assert not _out(check, both, _chunk("a0", "acme/0.md"))
    assert not _out(check, both, _chunk("g0", "globex/0.md"))
    assert _out(check, both, _chunk("i0", "initech/0.md"))


def test_an_acronym_written_alone_counts_under_its_own_name(tmp_path: Path) -> None:
    cat = EntityCatalogue.at(tmp_path / "c.sqlite")
    for i in range(10):  # the catalogue files bare "TTS" under "TTS", not the expansion
        cat.replace_document(f"t{i}", [Mention("TTS", "ACRONYM", "TTS", 0)], f"tts/{i}.md")
        cat.replace_document(f"g{i}", [], f"globex/{i}.md")
    check = _check(cat, "1")
    tts = LinkedEntity("TTS", "Technology Transformation Services", "ACRONYM")
    assert _out(check, [tts], _chunk("g1", "globex/1.md"))
    assert not _out(check, [tts], _chunk("t1", "tts/1.md"))


def test_a_collection_the_user_cannot_read_sets_no_scope(catalogue: EntityCatalogue) -> None:
    # Acme's folder is readable by the "acme" group only: for everyone else it does not own
    # the name, so an answer from Globex's folder stands (the hidden folder's subject is
    # not revealed by an abstention)
    check = _check(catalogue, hidden={f"a{i}": "acme" for i in range(10)})
    globex = [_chunk("g1", "globex/hr/p1.md")]
    assert check.split([ACME], globex, ("everyone",)) == (globex, 0)
    assert check.split([ACME], globex, ("everyone", "acme")) == ([], 1)


def test_a_hidden_document_naming_the_entity_changes_nothing_for_those_who_cannot_read_it(
    catalogue: EntityCatalogue,
) -> None:
    # one of Globex's ten documents, readable by "board" only, names Acme: counted over all
    # documents, Globex's folder would name Acme often enough (1 in 10) not to contradict
    # it, and whether a colleague's answer abstained would tell of the hidden document
    globex = [_chunk("g1", "globex/hr/p1.md")]
    before = _check(catalogue, "1", hidden={"g9": "board"}).split([ACME], globex, ALL)
    catalogue.replace_document("g9", [Mention("Acme Corp", "ORG", "Acme", 0)], "globex/hr/p9.md")
    check = _check(catalogue, "2", hidden={"g9": "board"})
    assert check.split([ACME], globex, ALL) == before == ([], 1)
    assert check.split([ACME], globex, ("everyone", "board")) == (globex, 0)  # its readers'


def test_no_groups_read_nothing_and_set_no_scope(catalogue: EntityCatalogue) -> None:
    globex = [_chunk("g1", "globex/hr/p1.md")]
    assert _check(catalogue).split([ACME], globex, ()) == (globex, 0)


def test_a_document_of_a_collection_not_filed_is_never_out_of_scope(
    catalogue: EntityCatalogue,
) -> None:
    # loaded before the catalogue recorded collections: unknown, not contradicting
    assert not _out(_check(catalogue), [ACME], _chunk("x1", "initech/p1.md"))


def test_one_collection_has_no_scope_to_contradict(tmp_path: Path) -> None:
    cat = EntityCatalogue.at(tmp_path / "c.sqlite")
    cat.replace_document("a", [Mention("Acme Corp", "ORG", "Acme", 0)], "a.md")
    cat.replace_document("b", [], "b.md")
    check = _check(cat, "1")
    assert not _out(check, [ACME], _chunk("b", "b.md"))
    assert collection_of("a.md") == "" and collection_of("hr/a.md") == "hr"


def test_common_words_that_ner_labelled_are_dropped_and_names_kept() -> None:
    entities = [
        Entity("Leave", "GPE", ("Leave",), documents=3, chunks=3),
        Entity("Kubernetes", "ORG", ("Kubernetes",), documents=40, chunks=60),
        Entity("doc", "ORG", ("doc",), documents=9, chunks=12),
        Entity("BigQuery", "ORG", ("BigQuery",), documents=2, chunks=2),
        Entity("TTS", "ACRONYM", ("TTS",), documents=90, chunks=300),
    ]
    chunks_with = {"leave": 900, "kubernetes": 80, "doc": 400, "bigquery": 50}
    noise = common_words(entities, lambda w: chunks_with.get(w.lower(), 0), 0.2)
    assert noise.dropped == ("doc", "leave")
    assert noise.kept == 1  # Kubernetes; BigQuery (inner capital) and TTS (a rule) not judged


def test_a_name_every_collection_uses_sets_no_scope(tmp_path: Path) -> None:
    # both folders write about Slack; only Acme's names Acme; one file at the top names
    # neither (it is no collection that lacks Slack)
    cat = EntityCatalogue.at(tmp_path / "catalogue.sqlite")
    slack = Mention("Slack", "TOOL", "Slack", 0)
    for i in range(10):
        acme = [Mention("Acme Corp", "ORG", "Acme", 0)] if i < 4 else []
        cat.replace_document(f"a{i}", [*acme, slack], f"acme/policies/p{i}.md")
        cat.replace_document(f"g{i}", [slack] if i < 5 else [], f"globex/hr/p{i}.md")
    cat.replace_document("top", [], "README.md")
    check = _check(cat)
    tool = LinkedEntity("Slack", "Slack", "TOOL")
    globex_slack = _chunk("g1", "globex/hr/p1.md")
    # "Slack at Acme": Globex's page about Slack answers someone else's question
    assert _out(check, [tool, ACME], globex_slack)
    assert not _out(check, [tool], globex_slack)
