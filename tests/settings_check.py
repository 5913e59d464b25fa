"""A check shared by the deployment tests: each DOCENT_* variable a manifest sets is a real
setting, and Settings reads it as the value written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings


def assert_read_as_settings(
    env: dict[str, str], names: list[str], where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("DOCENT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DOCENT_CONFIG_FILE", str(Path(__file__).parent / "no-such-docent.yaml"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    for name in names:
        node: Any = settings
        for part in name.removeprefix("DOCENT_").lower().split("__"):
            assert part in type(node).model_fields, f"{where}: {name} is not a setting"
            node = getattr(node, part)
        assert str(node) == env[name], f"{where}: {name} reads as {node!r}"
