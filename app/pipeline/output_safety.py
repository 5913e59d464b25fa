"""Stage 7c: output safety: no raw HTML, no images, no links to hosts outside an allowlist."""

from __future__ import annotations

import re
from urllib.parse import urlparse

_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)[^)]*\)")
_BARE_URL = re.compile(r"\bhttps?://[^\s)\]]+")
_HTML = re.compile(r"</?[a-zA-Z][^>]*>")


def sanitize(text: str, allowed_hosts: list[str]) -> str:
    allowed = {h.lower() for h in allowed_hosts}

    def host_ok(url: str) -> bool:
        host = (urlparse(url).hostname or "").lower()
        return bool(host) and any(host == a or host.endswith("." + a) for a in allowed)

    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(0) if host_ok(m.group(2)) else m.group(1), text)
    text = _BARE_URL.sub(lambda m: m.group(0) if host_ok(m.group(0)) else "[link removed]", text)
    return _HTML.sub("", text)
