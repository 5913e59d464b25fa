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


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ('{% slack_channel "news-team" %}', "#news-team"),  # a channel tag shows the channel
        ('{% slack_channel "#help" %}', "#help"),
        ('{% alert "Updated guidance (07/13/2021)" %}', "Updated guidance (07/13/2021)"),
        ('{% image "_img/a.png" "the booking screen" %}', "the booking screen"),
        ('{% include "step.html" steps: a.steps %}', ""),  # a file is not text
        ('{% if env == "draft" %}', ""),  # template logic shows nothing
        ('{% assign note = "hidden" %}', ""),
    ],
)
def test_template_tags_keep_the_words_they_show(raw: str, shown: str) -> None:
    assert strip_template_tags(f"Ask in {raw} now") == f"Ask in {shown} now"


def test_clean_text_drops_control_characters_and_normalizes() -> None:
    assert clean_text("caf\u0065\u0301\x00 \r\nx  ") == "caf\u00e9\nx"
