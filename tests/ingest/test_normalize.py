import pytest

from ingest.normalize import clean_text, keywords_of, split_front_matter, strip_template_tags

pytestmark = pytest.mark.unit


def test_front_matter_becomes_metadata_and_leaves_the_body() -> None:
    meta, body = split_front_matter("---\ntitle: PIV card\nkeywords: [badge, piv]\n---\n\n# Hi\n")
    assert meta["title"] == "PIV card"
    assert keywords_of(meta) == ["badge", "piv"]
    assert body.strip() == "# Hi"


def test_malformed_front_matter_is_left_as_text() -> None:
    text = "---\ntitle: [unclosed\n---\nbody"
    assert split_front_matter(text) == ({}, text)


@pytest.mark.parametrize(
    "raw",
    ['{% page "/travel/" %}', "{% include 'x.html' %}", "{{ site.baseurl }}", "{%- raw -%}"],
)
def test_template_tags_are_removed(raw: str) -> None:
    assert strip_template_tags(f"See {raw} here") == "See  here"


def test_clean_text_drops_control_characters_and_normalizes() -> None:
    assert clean_text("caf\u0065\u0301\x00 \r\nx  ") == "caf\u00e9\nx"
