"""Text rules shared by the ingest and the query service."""

from __future__ import annotations

import re

# characters that draw nothing: zero-width, direction overrides, word joiners, BOMs, soft
# hyphens and the Unicode "tag" block (used to hide text from people but not from a model)
INVISIBLE = re.compile(
    r"[\u00ad\u034f\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\u3164"
    r"\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_TOKEN = re.compile(r"\w+|[^\w\s]")


def count_tokens(text: str) -> int:
    """A cheap stand-in for the embedding tokenizer (within ~15% on English prose)."""
    return len(_TOKEN.findall(text))
