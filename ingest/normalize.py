"""Text normalization: front matter to metadata, template tags out, whitespace tidy."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import yaml

from core.text import INVISIBLE
from ingest.errors import NoPermissions

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*\r?\n?", re.S)
# Liquid/Jinja tags and comments; {{ expressions }} too, since they are template code, not prose
_TEMPLATE_PAIRS = (("{%", "%}"), ("{{", "}}"), ("{#", "#}"))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MAX_FRONT_MATTER_CHARS = 16_384  # more is not metadata: the block is left as text
MAX_META_VALUE_CHARS = 1_000  # a title or a keyword longer than this is cut


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: an alias bomb (a few lines that expand into
    gigabytes) is refused instead of expanded."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases are not allowed in front matter", event.start_mark
            )
        return super().compose_node(parent, index)


def _capped(value: Any, depth: int = 0) -> Any:
    """Metadata with every string cut to ``MAX_META_VALUE_CHARS`` and nesting bounded."""
    if isinstance(value, str):
        return value[:MAX_META_VALUE_CHARS]
    if depth >= 4:
        return None
    if isinstance(value, list):
        return [_capped(v, depth + 1) for v in value[:100]]
    if isinstance(value, dict):
        return {str(k)[:100]: _capped(v, depth + 1) for k, v in list(value.items())[:100]}
    return value


_SETS_GROUPS = re.compile(r"^[ \t]*[\"']?(?:groups|access)[\"']?\s*:", re.M)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (metadata, body). Malformed, oversized or aliased YAML leaves the text as it
    is, unless it sets ``groups:``/``access:``: then the file is refused, so that an
    author's narrowing is never silently dropped. Every value is size-capped."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    block = match.group(1)
    meta: Any = None
    if len(block) <= MAX_FRONT_MATTER_CHARS:
        try:
            meta = yaml.load(block, Loader=_NoAliasLoader) or {}
        except (yaml.YAMLError, RecursionError):
            meta = None
    if not isinstance(meta, dict):
        if _SETS_GROUPS.search(block[:MAX_FRONT_MATTER_CHARS]):
            raise NoPermissions(
                "its front matter sets groups but cannot be read (invalid YAML, YAML "
                f"aliases, or over {MAX_FRONT_MATTER_CHARS} characters): fix the front matter"
            )
        return {}, text
    return {str(k)[:100]: _capped(v) for k, v in meta.items()}, text[match.end() :]


def _strip_pairs(
    text: str, start: str, end: str, render: Callable[[str], str] = lambda _: ""
) -> str:
    """``text`` with every ``start ... end`` span replaced by ``render`` of its inside
    (nothing by default), in one left-to-right pass (linear: an unterminated ``start`` ends
    the search instead of being retried at every later one)."""
    out: list[str] = []
    pos = 0
    while True:
        i = text.find(start, pos)
        if i < 0:
            break
        j = text.find(end, i + len(start))
        if j < 0:
            break
        out.append(text[pos:i])
        out.append(render(text[i + len(start) : j]))
        pos = j + len(end)
    out.append(text[pos:])
    return "".join(out)


_TAG_NAME = re.compile(r"^[\s-]*([A-Za-z_]\w*)")
_QUOTED = re.compile(r"\"([^\"\n]{1,200})\"|'([^'\n]{1,200})'")
# a quoted argument that is a path, a file or an anchor: where the tag points, not text
_LOCATION = re.compile(r"^\S*(?:/\S*|\.(?:html?|md|png|jpe?g|gif|svg|pdf))$", re.I)
# tags that display their quoted words (a box's title, an image's alt text); any other tag
# (if, assign, cycle, include, …) is template logic whose strings no reader sees
_DISPLAY_TAGS = frozenset({"alert", "callout", "note", "tip", "warning", "caution", "image"})
_MAX_TAG_CHARS = 400  # a longer "tag" is a stray "{%" matched with a far "%}"


def _tag_text(inside: str) -> str:
    """What a template tag shows a reader: a channel tag's channel as "#name" ("{%
    slack_channel "news" %}"), a display tag's quoted words ("{% alert "Updated travel
    guidance" %}", an image's alt text). Paths and files ("{% image "a.png" … %}"), other
    tags and spans that are not one tag show nothing."""
    name = _TAG_NAME.match(inside)
    if not name or len(inside) > _MAX_TAG_CHARS or "\n" in inside:
        return ""
    tag = name.group(1).lower()
    words = [(a or b).strip() for a, b in _QUOTED.findall(inside)]
    if tag.endswith("channel"):
        return " ".join("#" + w.lstrip("#") for w in words if w.lstrip("#"))
    if tag in _DISPLAY_TAGS:
        return " ".join(w for w in words if w and not _LOCATION.search(w))
    return ""


def strip_template_tags(text: str) -> str:
    """Template code out, the words its tags show kept (``_tag_text``)."""
    for start, end in _TEMPLATE_PAIRS:
        text = _strip_pairs(text, start, end, _tag_text if start == "{%" else lambda _: "")
    return _strip_pairs(text, "<!--", "-->")


def clean_text(text: str) -> str:
    """NFC, no control or invisible characters, no trailing spaces."""
    text = unicodedata.normalize("NFC", text)
    text = INVISIBLE.sub("", _CONTROL.sub("", text)).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def keywords_of(meta: dict[str, Any]) -> list[str]:
    raw = meta.get("keywords") or meta.get("tags") or []
    if isinstance(raw, str):
        raw = [k.strip() for k in raw.split(",")]
    return [str(k) for k in raw if str(k).strip()] if isinstance(raw, list) else []
