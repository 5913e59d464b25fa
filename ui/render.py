"""Pure rendering helpers: safe markdown, marked sentences, citation labels."""

from __future__ import annotations

import json
import re
from typing import Any

from app.pipeline.output_safety import plain_text, sanitize

# a dollar sign with the backslashes before it: an even number leaves the sign unescaped
_DOLLAR = re.compile(r"(\\*)\$")


def _escape_dollar(match: re.Match[str]) -> str:
    slashes = match.group(1)
    return slashes + ("\\$" if len(slashes) % 2 == 0 else "$")


def link_hosts(raw: str) -> tuple[str, ...]:
    """DOCENT_ANSWER__ALLOWED_LINK_HOSTS: a JSON list, as the API reads it, or a
    comma-separated list."""
    raw = raw.strip()
    if raw.startswith("["):
        try:
            return tuple(str(h) for h in json.loads(raw) if h)
        except json.JSONDecodeError:
            return ()
    return tuple(h.strip() for h in raw.split(",") if h.strip())


def safe_markdown(text: str, allowed_hosts: tuple[str, ...] = ()) -> str:
    """Markdown that renders inertly: the server's sanitizer again (the UI does not trust
    the API to have done it), and no $...$ read as LaTeX by Streamlit."""
    return _DOLLAR.sub(_escape_dollar, sanitize(text, allowed_hosts))


def plain(text: str) -> str:
    """Any text shown as itself, never as markdown (labels, badges, streamed tokens)."""
    return plain_text(" ".join(text.split()))


def marked_answer(result: dict[str, Any], allowed_hosts: tuple[str, ...] = ()) -> str:
    """The answer with sentences the citation check could not verify visibly marked."""
    sentences = result.get("sentences") or []
    if not sentences or all(s["supported"] for s in sentences):
        return safe_markdown(result["answer"], allowed_hosts)
    parts = []
    for s in sentences:
        text = safe_markdown(s["text"], allowed_hosts)
        if s["supported"]:
            marks = "".join(f" [{n}]" for n in s["cited"])
            parts.append(f"{text}{marks}")
        else:
            parts.append(f"*{text}* ⚠️ *(not verified against the sources)*")
    return " ".join(parts)


def highlighted(text: str, passages: list[str], allowed_hosts: tuple[str, ...] = ()) -> str:
    """``text`` as safe markdown with the first of ``passages`` found in it (the sentence a
    citation supports, else its snippet) highlighted; unmarked when none is found. Line
    breaks inside a passage do not stop it being found."""
    for passage in passages:
        words = passage.strip().rstrip("…").split()
        if len(words) < 3:
            continue
        found = re.search(r"\s+".join(map(re.escape, words)), text)
        if found:
            return (
                safe_markdown(text[: found.start()], allowed_hosts)
                + f" :orange-background[{plain(found.group(0))}] "
                + safe_markdown(text[found.end() :], allowed_hosts)
            )
    return safe_markdown(text, allowed_hosts)


def source_label(c: dict[str, Any]) -> str:
    where = c.get("section") or c.get("path", "")
    pages = c.get("pages") or []
    page = f", p. {', '.join(str(p) for p in pages)}" if pages else ""
    return plain(f"[{c['n']}] {c.get('title') or c.get('path')} — {where}{page}")
