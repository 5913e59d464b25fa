"""Indirect prompt injection: text in a document that talks to the model instead of people."""

from __future__ import annotations

import re

_PATTERNS = [
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) "
    r"(?:instructions|prompts?|rules)",
    r"disregard (?:all |any )?(?:the )?(?:previous|prior|above|system) (?:instructions|prompts?)",
    r"forget (?:all |everything )?(?:your |the )?(?:previous |prior )?instructions",
    r"you are now (?:a|an|in) ",
    r"(?:reveal|print|show|repeat) (?:me )?(?:your|the) (?:system )?prompt",
    r"system prompt",
    r"act as (?:a|an) (?!employee|supervisor|manager)",
    r"(?:do not|don't) (?:tell|inform) the user",
    r"as an ai (?:language )?model",
    r"<\s*/?\s*(?:system|assistant|instructions?)\s*>",
    r"\bnew instructions\s*:",
    r"\bjailbreak\b",
    r"developer mode",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def injection_markers(text: str) -> list[str]:
    """The phrases in ``text`` that read like instructions to a language model."""
    return [m.group(0) for m in _INJECTION.finditer(text)]


def looks_like_instructions(text: str) -> bool:
    return _INJECTION.search(text) is not None
