"""Text normalization: front matter to metadata, template tags out, whitespace tidy."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*\r?\n?", re.S)
# Liquid/Jinja tags and comments; {{ expressions }} too, since they are template code, not prose
_TEMPLATE_TAG = re.compile(r"\{%-?.*?-?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (metadata, body). Malformed YAML leaves the text as it is."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError:
        return {}, text
    if not isinstance(meta, dict):
        return {}, text
    return {str(k): v for k, v in meta.items()}, text[match.end() :]


def strip_template_tags(text: str) -> str:
    return _HTML_COMMENT.sub("", _TEMPLATE_TAG.sub("", text))


def clean_text(text: str) -> str:
    """NFC, no control characters, no trailing spaces."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def keywords_of(meta: dict[str, Any]) -> list[str]:
    raw = meta.get("keywords") or meta.get("tags") or []
    if isinstance(raw, str):
        raw = [k.strip() for k in raw.split(",")]
    return [str(k) for k in raw if str(k).strip()] if isinstance(raw, list) else []
