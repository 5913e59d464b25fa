"""``docent config show``: the effective configuration and where each value came from.

    docent config show          every setting, its value and its source
    docent config show --json   the same as JSON

A grouped setting is named by its path (``generation.kind``). Sources, highest first: a
DOCENT_* environment variable (``DOCENT_GENERATION__KIND``, or the deprecated flat
``DOCENT_GENERATOR``), the config file (``DOCENT_CONFIG_FILE``, default ./docent.yaml), the
default in core/settings.py.
Secrets (keys, tokens, passwords in URLs) are shown as ``***``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from core.legacy_settings import LEGACY_NAMES, env_name
from core.settings import Settings, config_file

_SECRET_ENDINGS = ("_key", "_token", "password", "secret")


def _shown(name: str, value: Any) -> Any:
    if value and name.endswith(_SECRET_ENDINGS):
        return "***"
    if name.endswith("_url") and isinstance(value, str) and "@" in value:
        return value.split("://", 1)[0] + "://***@" + value.rsplit("@", 1)[1]
    return value if isinstance(value, (bool, int, float, type(None))) else str(value)


_OLD_NAME = {new: old for old, new in LEGACY_NAMES.items()}


def _leaves(model: BaseModel, prefix: str = "") -> list[tuple[str, Any]]:
    """``("generation.kind", value)`` for every setting, groups flattened to their paths."""
    out: list[tuple[str, Any]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            out.extend(_leaves(value, f"{prefix}{name}."))
        else:
            out.append((f"{prefix}{name}", value))
    return out


def _in_file(tree: Any, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return False
        tree = tree[part]
    return True


def _source(dotted: str, from_file: dict[str, Any], path: Path) -> str:
    prefix = ""
    for part in dotted.split(".")[:-1]:  # DOCENT_ANSWER__QUOTES='{...}' sets a whole group
        prefix += part
        if env_name(prefix) in os.environ:
            return f"env {env_name(prefix)}"
        prefix += "."
    for env in (env_name(dotted), env_name(_OLD_NAME.get(dotted, dotted))):
        if env in os.environ:
            return f"env {env}" if env == env_name(dotted) else f"env {env} (deprecated)"
    if _in_file(from_file, dotted):
        return f"file {path}"
    return "default"


def effective() -> list[dict[str, Any]]:
    """One row per setting: name (``group.field``), value (secrets hidden) and source."""
    settings = Settings()
    path = config_file()
    from_file = yaml.safe_load(path.read_text()) or {} if path.is_file() else {}
    return [
        {"name": name, "value": _shown(name, value), "source": _source(name, from_file, path)}
        for name, value in _leaves(settings)
    ]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:2] != ["config", "show"] or args[2:] not in ([], ["--json"]):
        print("usage: docent config show [--json]", file=sys.stderr)
        return 1
    try:
        rows = effective()
    except ValueError as exc:  # pydantic's validation error names the bad value
        print(f"error: invalid configuration: {exc}", file=sys.stderr)
        return 1
    if args[2:] == ["--json"]:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {json.dumps(r['value'])}  ({r['source']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
