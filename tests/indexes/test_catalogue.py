"""The entity catalogue on a real SQLite file and a real PostgreSQL database: what the
ingest writes through one catalogue, another (an API replica) reads at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.entity_rules import Mention
from indexes.catalogue import EntityCatalogue

pytestmark = pytest.mark.integration


def _mention(canonical: str, alias: str, chunk: int = 0, label: str = "ORG") -> Mention:
    return Mention(chunk_index=chunk, canonical=canonical, label=label, alias=alias)


def test_what_one_process_writes_every_reader_sees(database_url: str) -> None:
    ingest, api = EntityCatalogue(database_url), EntityCatalogue(database_url)
    ingest.replace_document(
        "d1",
        [_mention("Paid Parental Leave", "PPL"), _mention("Paid Parental Leave", "paid leave", 1)],
        "hr/leave.md",
    )
    ingest.replace_document("d2", [_mention("Paid Parental Leave", "PPL")], "top.md")
    ingest.replace_document("d3", [_mention("GSA", "GSA")], "hr/gsa.md")
    [ppl, gsa] = api.entities()
    assert (ppl.canonical, ppl.documents, ppl.chunks) == ("Paid Parental Leave", 2, 3)
    assert ppl.aliases == ("PPL", "paid leave")
    assert gsa.documents == 1
    assert [e.canonical for e in api.entities(min_documents=2)] == ["Paid Parental Leave"]
    assert api.document_count() == 3
    assert api.document_collections() == {"d1": "hr", "d2": "", "d3": "hr"}
    assert api.documents_naming_by_collection("Paid Parental Leave") == {
        "": ("d2",),
        "hr": ("d1",),
    }
    assert sorted(api.documents_with_alias("Paid Parental Leave", "ppl")) == ["d1", "d2"]
    # a reload replaces a document's mentions; a deletion removes them everywhere
    ingest.replace_document("d1", [_mention("GSA", "GSA")], "hr/leave.md")
    ingest.delete_documents(["d2"])
    assert [(e.canonical, e.documents) for e in api.entities()] == [("GSA", 2)]
    assert api.document_collections() == {"d1": "hr", "d3": "hr"}
    ingest.close()
    api.close()


def test_each_load_is_recorded_for_corpus_drift(database_url: str) -> None:
    from app.observability import CorpusChanges

    catalogue = EntityCatalogue(database_url)
    assert list(CorpusChanges(catalogue.loads).collect()) == []  # no load yet: no figures
    catalogue.record_load({"added": 5, "failed": 1})
    catalogue.record_load({"updated": 2, "deleted": 1, "unchanged": 4})
    [last, first] = catalogue.loads()
    assert (last["updated"], last["deleted"], last["added"]) == (2, 1, 0)
    assert first["added"] == 5 and first["failed"] == 1
    documents, when = CorpusChanges(catalogue.loads).collect()
    values = {s.labels["change"]: s.value for s in documents.samples}
    assert values["deleted"] == 1.0 and values["added"] == 0.0
    assert when.samples[0].value == pytest.approx(last["at"].timestamp())
    catalogue.close()


def test_processes_opening_a_new_catalogue_at_once_all_succeed(database_url: str) -> None:
    """Replicas and an ingest job starting together on an empty database; then two loads
    of the same document at once."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        opened = list(pool.map(lambda _: EntityCatalogue(database_url), range(4)))
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda c: c.replace_document("d1", [_mention("GSA", "GSA")], "hr/a.md"), opened
            )
        )
    assert opened[0].document_collections() == {"d1": "hr"}
    for catalogue in opened:
        catalogue.close()


def test_a_catalogue_file_from_before_the_shared_tables_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE mentions (doc_id TEXT, chunk_index INTEGER, canonical TEXT, label TEXT,"
        " alias TEXT); CREATE TABLE documents (doc_id TEXT PRIMARY KEY, collection TEXT);"
        "INSERT INTO mentions VALUES ('d1', 0, 'GSA', 'ORG', 'GSA');"
        "INSERT INTO documents VALUES ('d1', 'hr');"
    )
    old.commit()
    old.close()
    catalogue = EntityCatalogue.at(path)
    assert [(e.canonical, e.documents) for e in catalogue.entities()] == [("GSA", 1)]
    assert catalogue.document_collections() == {"d1": "hr"}
    catalogue.close()
    assert EntityCatalogue.at(path).document_count() == 1  # adopted once, not twice


def test_an_unreachable_database_is_an_error_that_names_the_setting() -> None:
    from indexes.errors import IndexUnavailableError
    from tests.service_fixtures import free_port

    with pytest.raises(IndexUnavailableError, match="DOCENT_CATALOGUE_URL"):
        EntityCatalogue(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
