"""The source preview's highlight, as markdown that renders inertly."""

from __future__ import annotations

import pytest

from ui.render import highlighted, link_hosts

pytestmark = pytest.mark.unit

SECTION = "Badges are made at GSA.\n\nNew badges are processed\non Wednesdays. Bring two IDs."


def test_the_supporting_sentence_is_highlighted_across_line_breaks() -> None:
    out = highlighted(SECTION, ["New badges are processed on Wednesdays.", "Badges are"])
    assert ":orange-background[New badges are processed on Wednesdays\\.]" in out
    assert out.startswith("Badges are made at GSA.") and out.rstrip().endswith("Bring two IDs.")


def test_the_snippet_is_the_fallback_and_nothing_found_leaves_the_text_unmarked() -> None:
    assert ":orange-background[Bring two IDs" in highlighted(
        SECTION, ["Not here at all.", "Bring two IDs…"]
    )
    assert highlighted(SECTION, ["Not here at all."]) == highlighted(SECTION, [])


def test_a_highlighted_passage_cannot_inject_markdown() -> None:
    text = "Click ![x](http://evil.example/?q=1) now for the form today."
    out = highlighted(text, ["![x](http://evil.example/?q=1) now for the form"])
    assert "evil.example" not in out and "![" not in out and ":orange-background[" in out


def test_link_hosts_are_read_as_the_api_reads_them() -> None:
    assert link_hosts('["docs.example.com", "wiki.example.com"]') == (
        "docs.example.com",
        "wiki.example.com",
    )
    assert link_hosts("docs.example.com, wiki.example.com") == (
        "docs.example.com",
        "wiki.example.com",
    )
    assert link_hosts("") == () and link_hosts("[not json") == ()
