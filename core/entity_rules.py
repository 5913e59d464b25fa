"""Entity rules shared by the ingest (catalogue) and the query-time linker: acronym
definitions, glossary names and job titles found by pattern, and the canonical form of a
name. Acronyms are linked to their expansions when a text defines them, in either order:
"Technology Transformation Services (TTS)" or "TTS (Technology Transformation Services)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.glossary import Glossary

COMMON = Glossary()
# spaCy components the NER does not need (loaded without them: 3x faster)
NER_ONLY_EXCLUDE = ["tok2vec", "parser", "lemmatizer", "tagger", "attribute_ruler", "senter"]


@dataclass(frozen=True)
class Mention:
    """One mention of an entity in one chunk."""

    canonical: str
    label: str  # ORG, PERSON, ACRONYM, TOOL, TITLE, ...
    alias: str  # the surface form in the text
    chunk_index: int


NER_LABELS = frozenset({"ORG", "PRODUCT", "PERSON", "GPE", "LAW", "EVENT", "WORK_OF_ART"})

_ACRONYM = r"[A-Z][A-Za-z&]{0,2}[A-Z]{1,6}s?"
_EXPANSION = r"[A-Z][\w'-]*(?:\s+(?:of|and|for|the|on|to|&|[A-Z][\w'-]*)){1,8}"
_EXPANSION_FIRST = re.compile(rf"\b({_EXPANSION})\s+\(({_ACRONYM})\)")
_ACRONYM_FIRST = re.compile(rf"\b({_ACRONYM})\s+\(({_EXPANSION})\)")
_BARE_ACRONYM = re.compile(r"\b([A-Z]{2,6})\b")
_TITLE = re.compile(
    r"\b((?:Chief|Senior|Lead|Principal|Staff|Head|Deputy|Associate|Assistant|Director|VP|"
    r"Vice President|[A-Z][a-z]+)(?:\s+(?:of\s+)?[A-Z][a-z]+){0,3}\s+"
    r"(?:Officer|Director|Manager|Engineer|Supervisor|Lead|Designer|Strategist|Specialist|"
    r"Coordinator|Administrator|Counsel|Partner|Recruiter))\b"
)
_STOP_ACRONYMS = frozenset(
    {"I", "A", "OK", "US", "AM", "PM", "TBD", "FAQ", "NOTE", "TODO", "II", "III", "IV"}
)


def canonical_form(text: str) -> str:
    text = " ".join(text.replace("\u2019", "'").split())
    text = re.sub(r"^(?:the|a|an)\s+", "", text, flags=re.I)
    return text.strip(" .,:;'\"()[]")


def acronym_of(expansion: str) -> str:
    words = [w for w in re.split(r"[\s-]+", expansion) if w and w[0].isupper()]
    return "".join(w[0] for w in words)


def _plausible(acronym: str, expansion: str) -> bool:
    letters = re.sub(r"[^A-Z]", "", acronym.rstrip("s"))
    initials = acronym_of(expansion)
    return len(letters) >= 2 and (initials == letters or initials.startswith(letters[:2]))


def rule_mentions(text: str, chunk_index: int, glossary: Glossary = COMMON) -> list[Mention]:
    """Acronym definitions, glossary names and job titles found by pattern."""
    out: list[Mention] = []
    defined: set[str] = set()
    for m in _EXPANSION_FIRST.finditer(text):
        expansion, acronym = canonical_form(m.group(1)), m.group(2)
        # the expansion regex is greedy to the left: keep only as many words as letters
        words = expansion.split()
        letters = len(re.sub(r"[^A-Z]", "", acronym.rstrip("s")))
        for start in range(len(words)):
            candidate = " ".join(words[start:])
            if _plausible(acronym, candidate) and len(words) - start <= letters + 3:
                expansion = candidate
                break
        else:
            continue
        defined.add(acronym)
        out.append(Mention(expansion, "ACRONYM", acronym, chunk_index))
        out.append(Mention(expansion, "ACRONYM", expansion, chunk_index))
    for m in _ACRONYM_FIRST.finditer(text):
        acronym, expansion = m.group(1), canonical_form(m.group(2))
        if _plausible(acronym, expansion):
            defined.add(acronym)
            out.append(Mention(expansion, "ACRONYM", acronym, chunk_index))
            out.append(Mention(expansion, "ACRONYM", expansion, chunk_index))
    for m in _BARE_ACRONYM.finditer(text):
        acronym = m.group(1)
        if acronym not in defined and acronym not in _STOP_ACRONYMS:
            out.append(Mention(acronym, "ACRONYM", acronym, chunk_index))
    for m in glossary.pattern.finditer(text):
        out.append(Mention(m.group(1), "TOOL", m.group(1), chunk_index))
    for m in _TITLE.finditer(text):
        title = canonical_form(m.group(1))
        if len(title.split()) >= 2:
            out.append(Mention(title, "TITLE", title, chunk_index))
    return out
