"""``python -m app.storage upgrade|check``: the explicit schema step (see schema.py).

Exit codes: 0 done or current, 3 an upgrade is needed (check), 1 an error.
"""

from __future__ import annotations

import sys

from app.errors import DocentError
from app.settings import Settings
from app.storage.models import SCHEMA_VERSION
from app.storage.repository import make_engine
from app.storage.schema import current_version, upgrade

USAGE = "usage: python -m app.storage upgrade|check"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("upgrade", "check"):
        print(USAGE, file=sys.stderr)
        return 1
    settings = Settings()
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        if argv[0] == "check":
            version = current_version(engine)
            print(f"schema version {version or 'none'} (this Docent: {SCHEMA_VERSION})")
            return 0 if version == SCHEMA_VERSION else 3
        before, now = upgrade(engine)
        print(f"schema version {before or 'none'} -> {now}")
        return 0
    except DocentError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
