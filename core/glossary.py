"""The glossary: product and tool names that NER misses or mislabels, matched by rule.

Docent ships the common workplace tools; a company adds its own products and internal
systems in a YAML file named by ``DOCENT_GLOSSARY_FILE``:

    tools: [Deskly, PayPortal, "Acme Cloud"]

The same glossary serves the ingest (catalogue entities) and the query-time linker, so a
change to it needs a reload (`ingest load` with the new file) to reach the catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.errors import ConfigError

COMMON_TOOLS = (
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
    "ServiceNow",
    "HubSpot",
    "Docusign",
    "DocuSign",
    "Bitbucket",
    "Kubernetes",
)


@dataclass(frozen=True)
class Glossary:
    tools: tuple[str, ...] = COMMON_TOOLS
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = sorted(set(self.tools), key=len, reverse=True)  # longest first
        alternatives = "|".join(re.escape(t) for t in names) or r"(?!x)x"
        # case-sensitive, as whole words
        object.__setattr__(self, "pattern", re.compile(rf"(?<![\w.])({alternatives})(?![\w])"))

    @classmethod
    def load(cls, path: Path | None) -> Glossary:
        """The common tools plus those of ``path`` (None: the common tools alone)."""
        if path is None:
            return cls()
        try:
            data = yaml.safe_load(path.read_text()) or {}
            extra = data.get("tools", []) if isinstance(data, dict) else None
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"glossary {path} cannot be read: {exc}") from exc
        if not isinstance(extra, list) or not all(isinstance(t, str) and t for t in extra):
            raise ConfigError(f"glossary {path}: `tools` must be a list of names")
        return cls(tuple(dict.fromkeys([*COMMON_TOOLS, *extra])))
