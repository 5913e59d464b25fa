"""Who may read a document: ``--groups``, an ``--acl`` file of path globs, or front matter.

ACL file (YAML)::

    default: [everyone]            # optional; files matching no rule get these
    rules:                         # first match wins
      - match: "sourcegraph-handbook/content/departments/legal/**"
        groups: [legal]
      - match: "18f-handbook/pages/travel-and-leave/*"
        groups: [hr, everyone]

Front matter ``groups:`` (or ``access:``) overrides both. A file with no source of groups
is refused: permissions are default-deny.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from ingest.errors import FileRejected, IngestError


def parse_groups(raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        items = raw.split(",")
    elif isinstance(raw, list | tuple):
        items = [str(x) for x in raw]
    else:
        return ()
    return tuple(sorted({g.strip() for g in items if g and g.strip()}))


@dataclass(frozen=True)
class AclRule:
    pattern: str
    groups: tuple[str, ...]

    def matches(self, path: str) -> bool:
        # "**" and "*" both cross folders in fnmatch; "dir/**" also matches "dir" itself
        return fnmatchcase(path, self.pattern) or (
            self.pattern.endswith("/**") and path == self.pattern[:-3]
        )


class AclResolver:
    """Resolves the groups of one document from the load's permission sources."""

    def __init__(
        self,
        groups: tuple[str, ...] = (),
        rules: tuple[AclRule, ...] = (),
        default: tuple[str, ...] = (),
    ) -> None:
        self.groups = groups
        self.rules = rules
        self.default = default or groups
        if not self.default and not self.rules:
            raise IngestError(
                "No permission source: pass --groups (e.g. --groups everyone) or --acl FILE. "
                "Documents without groups are readable by nobody."
            )

    @classmethod
    def from_options(cls, groups: str | None, acl_file: Path | None) -> AclResolver:
        if acl_file is None:
            return cls(groups=parse_groups(groups or ""))
        try:
            text = acl_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise IngestError(f"Cannot read ACL file {acl_file}: {exc}") from exc
        return cls.from_yaml(groups, text, str(acl_file))

    @classmethod
    def from_yaml(cls, groups: str | None, text: str, name: str = "ACL") -> AclResolver:
        """Rules from the YAML text of an ACL file (``name`` is used in error messages)."""
        base = parse_groups(groups or "")
        try:
            data: Any = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise IngestError(f"Cannot read ACL file {name}: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
            raise IngestError(f"ACL file {name} must be a mapping with a 'rules' list")
        rules = []
        for i, rule in enumerate(data.get("rules", [])):
            if (
                not isinstance(rule, dict)
                or "match" not in rule
                or not parse_groups(rule.get("groups"))
            ):
                raise IngestError(f"ACL file {name}: rule {i + 1} needs 'match' and 'groups'")
            rules.append(AclRule(str(rule["match"]), parse_groups(rule["groups"])))
        default = parse_groups(data.get("default")) or base
        return cls(groups=base, rules=tuple(rules), default=default)

    def resolve(self, path: str, meta: dict[str, Any]) -> tuple[str, ...]:
        own = parse_groups(meta.get("groups") or meta.get("access"))
        if own:
            return own
        for rule in self.rules:
            if rule.matches(path):
                return rule.groups
        if self.default:
            return self.default
        raise FileRejected("no ACL rule matches this path and no default groups are set")
