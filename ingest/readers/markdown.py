"""Markdown and plain text: front matter, template tags, headings, tables and code fences."""

from __future__ import annotations

import html
import re

from core.text import is_table_row, is_table_rule
from ingest.document import Block, BlockKind, ParsedDocument
from ingest.normalize import clean_text, split_front_matter, strip_template_tags
from ingest.readers.base import decode_text

# Every pattern here runs in linear time on any line: no two adjacent parts can match the
# same characters (that is what made `\s+(.*?)\s*#*\s*$` cubic in a run of spaces), and
# bracketed parts stop at the next opening bracket, so a run of "[" is not rescanned.
_HEADING = re.compile(r"(#{1,6})[ \t]")
_FENCE = re.compile(r"^\s*(```|~~~)")
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()]*\)")
_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\s]*)(?:[ \t]+\"[^\"]*\")?\)")
_REF_DEF = re.compile(r"^\s*\[[^\[\]]+\]:\s+\S")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_SETEXT = re.compile(r"^(=+|-+)\s*$")


def _heading(line: str) -> tuple[int, str] | None:
    """``(level, text)`` of an ATX heading ("## Title ##"), else None."""
    match = _HEADING.match(line)
    if not match:
        return None
    text = line[match.end() :].strip()
    closed = text.rstrip("#")
    if closed != text and (not closed or closed[-1] in " \t"):  # a closing run of #
        text = closed.rstrip()
    return len(match.group(1)), text


def _inline(text: str) -> str:
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    # entities are decoded after the tags go: "&lt;b&gt;" is text about a tag, not a tag
    return html.unescape(_HTML_TAG.sub("", text))


def markdown_blocks(body: str) -> list[Block]:
    blocks: list[Block] = []
    para: list[str] = []
    lines = body.split("\n")

    def flush_para() -> None:
        text = " ".join(s.strip() for s in para if s.strip())
        if text:
            blocks.append(Block(BlockKind.PARAGRAPH, _inline(text)))
        para.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            flush_para()
            fence = _FENCE.match(line).group(1)  # type: ignore[union-attr]
            code = [line]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                code.append(lines[i])
                i += 1
            code.append(fence)
            blocks.append(Block(BlockKind.CODE, "\n".join(code)))
            i += 1
            continue
        heading = _heading(line)
        if heading:
            flush_para()
            blocks.append(Block(BlockKind.HEADING, _inline(heading[1]), level=heading[0]))
            i += 1
            continue
        if para and _SETEXT.match(line) and len(para) == 1:
            level = 1 if line.strip().startswith("=") else 2
            blocks.append(Block(BlockKind.HEADING, _inline(para[0].strip()), level=level))
            para.clear()
            i += 1
            continue
        if is_table_row(line):
            flush_para()
            while i < len(lines) and is_table_row(lines[i]):
                # the rule row is kept: it says the row above names the columns
                text = "| --- |" if is_table_rule(lines[i]) else _inline(lines[i].strip())
                blocks.append(Block(BlockKind.TABLE, text))
                i += 1
            continue
        if not line.strip() or _REF_DEF.match(line):
            flush_para()
        elif re.match(r"^\s*([-*+]|\d+[.)])\s+", line):
            flush_para()  # each list item is its own paragraph
            para.append(line)
        else:
            para.append(line)
        i += 1
    flush_para()
    return blocks


class MarkdownReader:
    extensions = (".md", ".markdown", ".mdx")

    def read(self, data: bytes, name: str) -> ParsedDocument:
        meta, body = split_front_matter(clean_text(decode_text(data)))
        blocks = markdown_blocks(strip_template_tags(body))
        title = str(meta.get("title") or "").strip()
        if not title:
            first = next((b for b in blocks if b.kind is BlockKind.HEADING), None)
            title = first.text if first else ""
        return ParsedDocument(blocks=blocks, title=title, metadata=meta)


class TextReader:
    extensions = (".txt", ".text", ".rst")

    def read(self, data: bytes, name: str) -> ParsedDocument:
        text = clean_text(decode_text(data))
        paras = [p.strip() for p in re.split(r"\n\s*\n", text)]
        return ParsedDocument(
            blocks=[Block(BlockKind.PARAGRAPH, " ".join(p.split())) for p in paras if p]
        )
