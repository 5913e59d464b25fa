import os
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from core.entity_rules import rule_mentions
from core.errors import ConfigError
from ingest.entities import EntityExtractor, ner_input


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "canonical", "alias"),
    [
        (
            "The Technology Transformation Services (TTS) office.",
            "Technology Transformation Services",
            "TTS",
        ),
        (
            "TTS (Technology Transformation Services) is in GSA.",
            "Technology Transformation Services",
            "TTS",
        ),
        ("Employees get Paid Parental Leave (PPL) after birth.", "Paid Parental Leave", "PPL"),
    ],
)
def test_acronyms_link_to_their_expansion(text: str, canonical: str, alias: str) -> None:
    found = {(m.canonical, m.alias) for m in rule_mentions(text, 0)}
    assert (canonical, alias) in found


@pytest.mark.unit
def test_tools_and_titles_are_found() -> None:
    found = {
        (m.label, m.canonical)
        for m in rule_mentions("Ask the Chief Financial Officer in Slack.", 0)
    }
    assert ("TOOL", "Slack") in found
    assert ("TITLE", "Chief Financial Officer") in found


@pytest.mark.integration
def test_spacy_ner_finds_organisations(extractor: EntityExtractor) -> None:
    [mentions] = extractor.run(["Sourcegraph and the General Services Administration signed it."])
    names = {m.canonical for m in mentions}
    assert "General Services Administration" in names


@pytest.mark.unit
def test_ner_input_keeps_sentences_that_can_hold_a_name() -> None:
    text = (
        "you should ask first. Ask the Finance team in Slack. Sourcegraph pays for it.\n"
        "```\nconfig = Load('Secret Service')\n```\nthe end."
    )
    kept = ner_input(text).splitlines()
    assert kept == ["Ask the Finance team in Slack.", "Sourcegraph pays for it."]


@pytest.mark.integration
def test_worker_processes_find_what_one_process_finds(extractor: EntityExtractor) -> None:
    texts = [
        f"Chunk {i}: the General Services Administration and Sourcegraph met in Denver."
        for i in range(2 * extractor.batch_size + 3)
    ]
    assert extractor.workers > 1
    in_workers = extractor.run(texts)
    alone = EntityExtractor(model=extractor.model, workers=1, glossary=extractor.glossary)
    assert in_workers == alone.run(texts)
    assert any(m.label == "ORG" for m in in_workers[-1])


@pytest.mark.integration
def test_a_dead_worker_process_loses_no_mentions(extractor: EntityExtractor) -> None:
    texts = [
        f"Note {i}: Sourcegraph and the General Services Administration met in Denver."
        for i in range(2 * extractor.batch_size + 1)
    ]
    expected = extractor.run(texts)
    fragile = EntityExtractor(model=extractor.model, workers=2, glossary=extractor.glossary)
    try:
        started = fragile.start(texts)  # on the workers
        killer = fragile._worker_pool().submit(os._exit, 1)
        with pytest.raises(BrokenProcessPool):
            killer.result()
        after = fragile.start(texts)  # the pool is broken: this batch runs in this process
        assert started.result() == expected
        assert after.result() == expected
        assert fragile.workers == 1
    finally:
        fragile.close()


@pytest.mark.unit
def test_the_glossary_adds_a_companys_own_names(tmp_path: Path) -> None:
    from core.glossary import Glossary

    text = "File it in Deskly, then ping the team on Slack."
    assert [m.alias for m in rule_mentions(text, 0)] == ["Slack"]
    (tmp_path / "g.yaml").write_text("tools: [Deskly]\n")
    found = rule_mentions(text, 0, Glossary.load(tmp_path / "g.yaml"))
    assert sorted(m.alias for m in found if m.label == "TOOL") == ["Deskly", "Slack"]
    (tmp_path / "bad.yaml").write_text("tools: Deskly\n")
    with pytest.raises(ConfigError, match="list of names"):
        Glossary.load(tmp_path / "bad.yaml")
