"""Pure rendering helpers: safe markdown, marked sentences, citation labels."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlparse

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_TAG = re.compile(r"<[^>]+>")


def safe_markdown(text: str, allowed_hosts: tuple[str, ...] = ()) -> str:
    """No raw HTML, no images, links only to allowed hosts (others become plain text)."""

    def link(m: re.Match[str]) -> str:
        host = (urlparse(m.group(2)).hostname or "").lower()
        ok = any(host == h or host.endswith("." + h) for h in allowed_hosts)
        return m.group(0) if ok else m.group(1)

    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(link, text)
    text = html.escape(_TAG.sub("", text), quote=False)
    return text.replace("$", "\\$")  # Streamlit would read $...$ as LaTeX


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


def source_label(c: dict[str, Any]) -> str:
    where = c.get("section") or c.get("path", "")
    pages = c.get("pages") or []
    page = f", p. {', '.join(str(p) for p in pages)}" if pages else ""
    return f"[{c['n']}] {c.get('title') or c.get('path')} — {where}{page}"
