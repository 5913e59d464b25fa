import pytest

from ingest.entities import EntityExtractor, rule_mentions


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
