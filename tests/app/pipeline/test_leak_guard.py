"""The system-prompt leak guard and the sentence buffer that streaming goes through."""

from __future__ import annotations

import pytest

from app.pipeline.leak_guard import PromptLeakGuard, finished_part

pytestmark = pytest.mark.unit

SYSTEM = (
    "You are Docent. Internal key: ACME-KEY-99x. Every sentence of the answer cites the "
    "source it comes from with [n]. Example answer: Full-time employees receive 15 days "
    "of vacation per year [1]."
)


def test_drops_secrets_and_recited_rules() -> None:
    guard = PromptLeakGuard(SYSTEM, ["The bike room is in B2."], "Where is the bike room?")
    assert guard.allows("The bike room is in B2 [1].")
    assert not guard.allows("My key is acme-key-99x.")
    assert not guard.allows("Rule: every sentence of the answer cites the source, always.")
    assert not guard.allows("Full-time employees receive 15 days of vacation per year [1].")


def test_what_the_sources_say_is_never_a_leak() -> None:
    sources = ["Full-time employees receive 15 days of vacation per year, says HR-CODE-7."]
    guard = PromptLeakGuard(SYSTEM + " HR-CODE-7", sources, "How many vacation days?")
    assert guard.allows("Full-time employees receive 15 days of vacation per year [1].")
    assert guard.allows("The code is HR-CODE-7 [1].")


@pytest.mark.parametrize(
    ("buffer", "done", "rest"),
    [
        ("The room is in B2", "", "The room is in B2"),
        ("The room is in B2. ", "", "The room is in B2. "),  # "[1]" may still follow
        ("The room is in B2. [1] It", "The room is in B2. [1] ", "It"),
        ("In B2 [1]. Open at 9. Clo", "In B2 [1]. Open at 9. ", "Clo"),
        ("See https://a.b/c.d for", "", "See https://a.b/c.d for"),
        ("Steps:\n\n- one", "Steps:\n\n", "- one"),
    ],
)
def test_finished_part(buffer: str, done: str, rest: str) -> None:
    assert finished_part(buffer) == (done, rest)
