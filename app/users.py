"""`python -m app.users demo --out FILE`: create demo users with fresh keys (development)."""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

import yaml

from app.auth import hash_key

DEMO_USERS = [
    ("alice", "Alice (admin, HR, legal)", ["everyone", "hr", "legal", "supervisors", "admin"]),
    ("bob", "Bob (employee)", ["everyone"]),
    ("carol", "Carol (legal)", ["everyone", "legal"]),
    ("guest", "Guest (no groups)", []),
]


def write_demo_users(out: Path) -> dict[str, str]:
    """Write the users file and a sibling ``.keys`` file (mode 600); return id -> key."""
    out.parent.mkdir(parents=True, exist_ok=True)
    keys_file = out.with_name(out.name + ".keys")
    if out.exists() and keys_file.exists():
        keys = dict(line.split("=", 1) for line in keys_file.read_text().split())
        if set(keys) == {u for u, _, _ in DEMO_USERS}:
            return keys  # keep existing keys stable across `make run`
    keys = {uid: "dk_" + secrets.token_urlsafe(24) for uid, _, _ in DEMO_USERS}
    users = [
        {"id": uid, "name": name, "groups": groups, "key_sha256": hash_key(keys[uid])}
        for uid, name, groups in DEMO_USERS
    ]
    out.write_text(yaml.safe_dump({"users": users}, sort_keys=False))
    keys_file.write_text("".join(f"{uid}={key}\n" for uid, key in keys.items()))
    keys_file.chmod(0o600)
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    demo = sub.add_parser("demo", help="create demo users")
    demo.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    keys = write_demo_users(args.out)
    print(f"Demo users in {args.out}:")
    for uid, name, groups in DEMO_USERS:
        print(f"  {uid:6} {keys[uid]}  groups={','.join(groups) or '(none)'}  {name}")


if __name__ == "__main__":
    main()
