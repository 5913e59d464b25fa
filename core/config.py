"""``docent config show``: the effective configuration and where each value came from.

    docent config show          every setting, its value and its source
    docent config show --json   the same as JSON

Sources, highest first: a DOCENT_* environment variable, the config file
(``DOCENT_CONFIG_FILE``, default ./docent.yaml), the default in core/settings.py.
Secrets (keys, tokens, passwords in URLs) are shown as ``***``.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import yaml

from core.settings import Settings, config_file

_SECRET_ENDINGS = ("_key", "_token", "password", "secret")


def _shown(name: str, value: Any) -> Any:
    if value and name.endswith(_SECRET_ENDINGS):
        return "***"
    if name.endswith("_url") and isinstance(value, str) and "@" in value:
        return value.split("://", 1)[0] + "://***@" + value.rsplit("@", 1)[1]
    return value if isinstance(value, (bool, int, float, type(None))) else str(value)


def effective() -> list[dict[str, Any]]:
    """One row per setting: name, value (secrets hidden) and source."""
    settings = Settings()
    path = config_file()
    from_file = yaml.safe_load(path.read_text()) or {} if path.is_file() else {}
    rows = []
    for name in type(settings).model_fields:
        env = f"DOCENT_{name.upper()}"
        if env in os.environ:
            source = f"env {env}"
        elif name in from_file:
            source = f"file {path}"
        else:
            source = "default"
        rows.append(
            {"name": name, "value": _shown(name, getattr(settings, name)), "source": source}
        )
    return rows


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
