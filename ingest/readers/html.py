"""HTML: headings, paragraphs, list items, tables (row by row) and code; scripts and
elements hidden from readers dropped."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from ingest.document import Block, BlockKind, ParsedDocument
from ingest.normalize import clean_text, strip_template_tags
from ingest.readers.base import decode_text

_BLOCK_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "pre",
    "table",
    "blockquote",
    "dt",
    "dd",
}


# inline styles that hide an element from people (but not from a model reading the text)
_HIDDEN_STYLE = re.compile(
    r"display:none|visibility:(?:hidden|collapse)|font-size:0*\.?0+(?:px|pt|em|rem|%)?(?:;|$)"
    r"|font-size:0?\.0\d*|opacity:0*\.?0+(?:;|$)|(?:^|;)(?:width|height|max-height):0(?:px)?(?:;|$)"
    r"|transform:scale\(0\)|clip-path:inset\(50%\)|(?:left|top|text-indent):-\d{4,}",
    re.IGNORECASE,
)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def _style(el: Tag) -> str:
    """The inline style without comments and spaces, for matching declarations."""
    return re.sub(r"\s+", "", _CSS_COMMENT.sub("", str(el.get("style", ""))))


def _hidden(el: Tag) -> bool:
    return (
        el.has_attr("hidden")
        or str(el.get("aria-hidden", "")).lower() == "true"
        or bool(_HIDDEN_STYLE.search(_style(el)))
    )


class HtmlReader:
    extensions = (".html", ".htm")

    def read(self, data: bytes, name: str) -> ParsedDocument:
        soup = BeautifulSoup(strip_template_tags(clean_text(decode_text(data))), "html.parser")
        for junk in soup(["script", "style", "nav", "noscript", "template"]):
            junk.decompose()
        for el in soup.find_all(_hidden):
            if not el.decomposed:  # inside a hidden element already removed
                el.decompose()
        title = soup.title.get_text(" ", strip=True) if soup.title else ""
        blocks: list[Block] = []
        body = soup.body or soup
        for el in body.find_all(_BLOCK_TAGS):
            if not isinstance(el, Tag) or el.find_parent(["table", "pre", "li"]) is not None:
                continue  # nested inside a block we already emit whole
            name_ = el.name or ""
            if name_.startswith("h") and len(name_) == 2:
                text = el.get_text(" ", strip=True)
                if text:
                    blocks.append(Block(BlockKind.HEADING, text, level=int(name_[1])))
            elif name_ == "pre":
                blocks.append(Block(BlockKind.CODE, "```\n" + el.get_text() + "\n```"))
            elif name_ == "table":
                for row in el.find_all("tr"):
                    cells = [c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
                    if any(cells):
                        blocks.append(Block(BlockKind.TABLE, "| " + " | ".join(cells) + " |"))
            else:
                text = " ".join(el.get_text(" ", strip=True).split())
                if text:
                    blocks.append(Block(BlockKind.PARAGRAPH, text))
        if not title:
            first = next((b for b in blocks if b.kind is BlockKind.HEADING), None)
            title = first.text if first else ""
        return ParsedDocument(blocks=blocks, title=title)
