"""Who may read a document: ``--groups``, an ``--acl`` file of path globs, or front matter.

ACL file (YAML)::

    default: [everyone]            # optional; files matching no rule get these
    rules:                         # first match wins
      - match: "handbook/departments/legal/**"
        groups: [legal]
      - match: "handbook/travel-and-leave/*"
        groups: [hr, everyone]

Rules match the document's path relative to the loaded root, and also every tail of its
real (link-resolved) absolute path: ``departments/legal/x.md`` loaded on its own, its
folder loaded on its own, or a link to it elsewhere, still matches
``departments/legal/**``. The first rule that matches wins, so specific rules go first.

Front matter ``groups:`` (or ``access:``) may only narrow what the ACL gives: its groups
must be among the ACL's, unless the ACL gives the open group (``everyone``), which any
group narrows. Widening needs ``front_matter_widens`` (DOCENT_INGEST__FRONT_MATTER_MAY_WIDEN),
off by default: an author in a restricted folder cannot publish to everyone. A file with
no source of groups is refused: permissions are default-deny.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from ingest.errors import IngestError, NoPermissions


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
        *,
        front_matter_widens: bool = False,
        open_group: str = "everyone",
    ) -> None:
        self.groups = groups
        self.rules = rules
        self.default = default or groups
        self.front_matter_widens = front_matter_widens
        self.open_group = open_group
        if not self.default and not self.rules:
            raise IngestError(
                "No permission source: pass --groups (e.g. --groups everyone) or --acl FILE. "
                "Documents without groups are readable by nobody."
            )

    @classmethod
    def from_options(
        cls, groups: str | None, acl_file: Path | None, *, front_matter_widens: bool = False
    ) -> AclResolver:
        if acl_file is None:
            return cls(groups=parse_groups(groups or ""), front_matter_widens=front_matter_widens)
        try:
            text = acl_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise IngestError(f"Cannot read ACL file {acl_file}: {exc}") from exc
        return cls.from_yaml(groups, text, str(acl_file), front_matter_widens=front_matter_widens)

    @classmethod
    def from_yaml(
        cls,
        groups: str | None,
        text: str,
        name: str = "ACL",
        *,
        front_matter_widens: bool = False,
    ) -> AclResolver:
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
        return cls(
            groups=base,
            rules=tuple(rules),
            default=default,
            front_matter_widens=front_matter_widens,
        )

    def resolve(
        self, path: str, meta: dict[str, Any], location: Path | None = None
    ) -> tuple[str, ...]:
        """The groups of the document at ``path`` (relative to its loaded root; at
        ``location`` on disk), narrowed by its front matter."""
        given = self._acl_groups(path, location)
        own = parse_groups(meta.get("groups") or meta.get("access"))
        if not own:
            return given
        if self.front_matter_widens or set(own) <= set(given) or self.open_group in given:
            return own
        raise NoPermissions(
            f"its front matter gives groups {', '.join(own)}, beyond the ACL's "
            f"{', '.join(given)}: front matter may only narrow access "
            "(an administrator can allow widening with DOCENT_INGEST__FRONT_MATTER_MAY_WIDEN=true)"
        )

    def _acl_groups(self, path: str, location: Path | None) -> tuple[str, ...]:
        # first match wins, as the file says; a rule may match the path or any tail of the
        # file's real location (links resolved), so a folder or file loaded on its own, or
        # reached through a link, resolves as it would inside the whole tree
        names = [path]
        if location is not None:
            parts = location.resolve().as_posix().strip("/").split("/")
            names += ["/".join(parts[-k:]) for k in range(1, len(parts) + 1)]
        for rule in self.rules:
            if any(rule.matches(name) for name in names):
                return rule.groups
        if self.default:
            return self.default
        raise NoPermissions("no ACL rule matches this path and no default groups are set")
