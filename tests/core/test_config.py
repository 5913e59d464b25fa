"""Configuration from a YAML file, overridden by DOCENT_* variables, shown with its sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.config import main
from core.settings import RetrievalMode, Settings

pytestmark = pytest.mark.unit


def test_file_then_environment_then_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "docent.yaml"
    config.write_text("retrieval_mode: dense\nmax_tokens: 150\nmetrics_token: s3cret\n")
    monkeypatch.setenv("DOCENT_CONFIG_FILE", str(config))
    monkeypatch.setenv("DOCENT_MAX_TOKENS", "99")
    settings = Settings()
    assert settings.retrieval_mode is RetrievalMode.DENSE  # from the file
    assert settings.max_tokens == 99  # the variable wins over the file
    assert Settings(max_tokens=7).max_tokens == 7  # arguments win over both
    assert main(["config", "show", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["retrieval_mode"] == {
        "name": "retrieval_mode",
        "value": "dense",
        "source": f"file {config}",
    }
    assert rows["max_tokens"]["source"] == "env DOCENT_MAX_TOKENS"
    assert rows["max_tokens"]["value"] == 99
    assert rows["metrics_token"]["value"] == "***"
    assert rows["temperature"]["source"] == "default"


def test_a_bad_value_in_the_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "docent.yaml"
    config.write_text("retrieval_mode: telepathy\n")
    monkeypatch.setenv("DOCENT_CONFIG_FILE", str(config))
    assert main(["config", "show"]) == 1
    assert "retrieval_mode" in capsys.readouterr().err


def test_the_example_file_holds_only_real_settings_at_their_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import yaml

    example = Path(__file__).resolve().parents[2] / "deploy" / "docent.example.yaml"
    values = yaml.safe_load(example.read_text())
    monkeypatch.delenv("DOCENT_GLOSSARY_FILE", raising=False)
    monkeypatch.setenv("DOCENT_CONFIG_FILE", "/nonexistent/docent.yaml")
    defaults = Settings()
    for name, value in values.items():
        assert name in Settings.model_fields, name
        current = getattr(defaults, name)
        assert (str(current) if isinstance(current, Path) else current) == value, name
