"""``python -m app.storage``: the explicit schema step (see schema.py) and data retention.

    python -m app.storage upgrade              create or upgrade the schema
    python -m app.storage check                exit 0 when current, 3 when `upgrade` is needed
    python -m app.storage purge [--days N]     delete what is older than the retention window
                                               (DOCENT_RETENTION_DAYS unless --days); for cron
    python -m app.storage purge-user USER_ID   delete everything stored about one user

Exit codes: 0 done or current, 3 an upgrade is needed (check), 1 an error or bad usage.
"""

from __future__ import annotations

import json
import sys

from app.storage.models import SCHEMA_VERSION
from app.storage.repository import Repository
from app.storage.schema import current_version, upgrade
from core.database import make_engine
from core.errors import DocentError
from core.settings import Settings

USAGE = "usage: python -m app.storage upgrade | check | purge [--days N] | purge-user USER_ID"


def _run(command: str, args: list[str], settings: Settings) -> int:
    engine = make_engine(settings.sqlalchemy_url)
    if command == "check":
        version = current_version(engine)
        print(f"schema version {version or 'none'} (this Docent: {SCHEMA_VERSION})")
        engine.dispose()
        return 0 if version == SCHEMA_VERSION else 3
    if command == "upgrade":
        before, now = upgrade(engine)
        print(f"schema version {before or 'none'} -> {now}")
        engine.dispose()
        return 0
    repo = Repository(engine)
    try:
        repo.ensure_schema(auto_upgrade=False)
        if command == "purge-user":
            counts = repo.purge_user(args[0])
        else:
            days = int(args[1]) if args else settings.retention_days
            counts = repo.sweep(days)
        print(json.dumps({"deleted": counts}))
        return 0
    finally:
        repo.close()


def main(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("", [])
    valid = (
        (command in ("upgrade", "check") and not args)
        or (command == "purge-user" and len(args) == 1)
        or (command == "purge" and (not args or (len(args) == 2 and args[0] == "--days")))
    )
    if not valid or (command == "purge" and args and not args[1].isdigit()):
        print(USAGE, file=sys.stderr)
        return 1
    settings = Settings()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _run(command, args, settings)
    except DocentError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
