"""Stage 7c: output safety. Text from documents and from the model reaches browsers that
render markdown, so every text field leaves Docent as markdown that does nothing when
rendered: no image (which a browser fetches by itself: an exfiltration channel), no raw
HTML, and no link, bare URL or ``www.`` host outside the allowlist.

The text is parsed with a real CommonMark parser (markdown-it-py), so nested and escaped
brackets, reference-style links and autolinks are seen as a browser's renderer sees them.
Text that is already inert is returned unchanged; anything else is rebuilt from the parse
as escaped plain text, keeping only links to allowed hosts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from urllib.parse import urlparse

from markdown_it import MarkdownIt
from markdown_it.token import Token

# what GitHub-flavoured renderers (Streamlit's among them) turn into links by themselves
# (not \b: GFM also links a URL right after "_", which Python counts as a word character)
_BARE_URL = re.compile(r"(?i)(?<![a-z0-9])(?:https?://|www\.)[^\s<>]+")
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")
LINK_REMOVED = "(link removed)"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _too_deep(token: Token) -> bool:
    """markdown-it stops parsing at ``maxNesting`` and drops the rest; a browser's renderer
    does not. Text that deep is not judged: it is never inert."""
    return token.level >= int(_parser().options["maxNesting"]) - 2


def host_allowed(url: str, allowed_hosts: Sequence[str]) -> bool:
    """An absolute http(s) URL whose host is an allowed host or under one."""
    try:
        parsed = urlparse(url.strip())
        host = (parsed.hostname or "").lower()
    except ValueError:  # "https://[your-team].example.net": not a URL anyone may follow
        return False
    allowed = {h.lower().lstrip(".") for h in allowed_hosts if h}
    return (
        parsed.scheme in ("http", "https")
        and bool(host)
        and any(host == a or host.endswith("." + a) for a in allowed)
    )


def _walk(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _bare_urls_ok(text: str, allowed_hosts: Sequence[str]) -> bool:
    for match in _BARE_URL.finditer(text):
        url = match.group(0)
        if not host_allowed(url if "://" in url else f"https://{url}", allowed_hosts):
            return False
    return True


def is_inert(text: str, allowed_hosts: Sequence[str] = ()) -> bool:
    """Whether rendering ``text`` as markdown shows no image, no HTML and no link outside
    the allowlist."""
    env: dict[str, object] = {}
    tokens = _parser().parse(text, env)
    if env.get("references"):  # a definition another field could use: [r]: //evil/p.png
        return False
    for token in _walk(tokens):
        if _too_deep(token) or token.type in ("image", "html_inline", "html_block"):
            return False
        if token.type == "link_open" and not host_allowed(
            str(token.attrGet("href") or ""), allowed_hosts
        ):
            return False
        if token.type == "text" and not _bare_urls_ok(token.content, allowed_hosts):
            return False
    return True


def escape(text: str) -> str:
    """Plain text as markdown that renders as the same plain text."""
    return _SPECIAL.sub(r"\\\1", text)


def plain_text(text: str) -> str:
    """Any text as markdown that shows it as plain words: every special character escaped
    and every URL removed."""
    return escape(_BARE_URL.sub(LINK_REMOVED, text))


def _plain(text: str, allowed_hosts: Sequence[str]) -> str:
    """``text`` rebuilt from its parse: words escaped, images as their alt text, HTML
    dropped, links to allowed hosts kept, every other URL removed."""

    words = plain_text

    blocks: list[str] = []
    for block in _parser().parse(text):
        if block.type in ("fence", "code_block"):
            blocks.append(words(block.content.strip()))
        if block.type != "inline" or not block.children:
            continue
        out: list[str] = []
        href: str | None = None
        label: list[str] = []
        for token in block.children:
            if token.type == "link_open":
                href = str(token.attrGet("href") or "")
                label = []
            elif token.type == "link_close":
                inner = "".join(label)
                out.append(
                    f"[{inner}]({href})" if href and host_allowed(href, allowed_hosts) else inner
                )
                href = None
            else:
                piece = {
                    "text": words(token.content),
                    "code_inline": words(token.content),
                    "image": words(token.content),
                    "softbreak": " ",
                    "hardbreak": "\n",
                }.get(token.type, "")
                (label if href is not None else out).append(piece)
        blocks.append("".join(out).strip())
    return "\n\n".join(b for b in blocks if b)


def sanitize(text: str, allowed_hosts: Sequence[str] = ()) -> str:
    """``text`` if it is inert as markdown; otherwise its escaped plain-text rebuild."""
    if is_inert(text, allowed_hosts):
        return text
    rebuilt = _plain(text, allowed_hosts)
    return rebuilt if is_inert(rebuilt, allowed_hosts) else plain_text(text)
