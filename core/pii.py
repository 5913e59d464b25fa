"""PII detection, for redaction in traces, logs and stored titles."""

from __future__ import annotations

import re

_PII = {
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "card": re.compile(r"\b(?:\d[ -]?){13,19}\b"),
    "phone": re.compile(r"(?<!\w)(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b"),
}


def _luhn_ok(digits: str) -> bool:
    nums = [int(c) for c in digits if c.isdigit()]
    total = 0
    for i, n in enumerate(reversed(nums)):
        if i % 2:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return len(nums) >= 13 and total % 10 == 0


def find_pii(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for every PII-looking span."""
    found = []
    for kind, pattern in _PII.items():
        for m in pattern.finditer(text):
            if kind == "card" and not _luhn_ok(m.group(0)):
                continue
            found.append((kind, m.group(0)))
    return found


def redact(text: str) -> str:
    """Replace PII with ``[KIND]`` so logs and traces never hold it."""
    for kind, value in find_pii(text):
        text = text.replace(value, f"[{kind.upper()}]")
    return text
