"""Configuration from a YAML file, overridden by DOCENT_* variables, shown with its sources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from core.config import main
from core.settings import GeneratorKind, RetrievalMode, Settings

pytestmark = pytest.mark.unit


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "docent.yaml"
    monkeypatch.setenv("DOCENT_CONFIG_FILE", str(path))
    return path


def test_file_then_environment_then_arguments(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config.write_text(
        "retrieval:\n  mode: dense\ngeneration:\n  max_tokens: 150\n  temperature: 0.2\n"
        "metrics_token: s3cret\n"
    )
    monkeypatch.setenv("DOCENT_GENERATION__MAX_TOKENS", "99")
    settings = Settings()
    assert settings.retrieval.mode is RetrievalMode.DENSE  # from the file
    assert settings.generation.max_tokens == 99  # the variable wins over the file
    assert settings.generation.temperature == 0.2  # and leaves the group's other keys alone
    assert Settings(generation={"max_tokens": 7}).generation.max_tokens == 7  # arguments win
    assert main(["config", "show", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["retrieval.mode"] == {
        "name": "retrieval.mode",
        "value": "dense",
        "source": f"file {config}",
    }
    assert rows["generation.max_tokens"] == {
        "name": "generation.max_tokens",
        "value": 99,
        "source": "env DOCENT_GENERATION__MAX_TOKENS",
    }
    assert rows["metrics_token"]["value"] == "***"
    assert rows["generation.kind"]["source"] == "default"
    assert rows["answer.quotes.embed_limit"]["value"] == 8  # groups inside groups, flattened


def test_a_flat_variable_from_before_the_groups_still_works(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCENT_GENERATOR", "extractive")
    monkeypatch.setenv("DOCENT_INGEST_ROOTS", '["/srv/docs"]')
    settings = Settings()
    assert settings.generation.kind is GeneratorKind.EXTRACTIVE
    assert settings.ingest.roots == [Path("/srv/docs")]
    monkeypatch.setenv("DOCENT_GENERATION__KIND", "openai")  # the new name wins
    assert Settings().generation.kind is GeneratorKind.OPENAI
    assert main(["config", "show", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["ingest.roots"]["source"] == "env DOCENT_INGEST_ROOTS (deprecated)"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("retrieval:\n  mode: telepathy\n", "retrieval.mode"),
        ("generator: openai\n", "generator is now generation.kind"),
        ("answer:\n  min_quote_scor: 0.5\n", "min_quote_scor"),  # a typo is not ignored
    ],
)
def test_a_bad_file_is_refused_and_names_the_key(
    config: Path, capsys: pytest.CaptureFixture[str], text: str, named: str
) -> None:
    config.write_text(text)
    assert main(["config", "show"]) == 1
    assert named in capsys.readouterr().err.replace("\n  ", " ").replace("\n", " ")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_the_example_file_holds_only_real_settings_at_their_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import yaml

    example = Path(__file__).resolve().parents[2] / "deploy" / "docent.example.yaml"
    values = _flatten(yaml.safe_load(example.read_text()))
    monkeypatch.delenv("DOCENT_GLOSSARY_FILE", raising=False)
    monkeypatch.setenv("DOCENT_CONFIG_FILE", "/nonexistent/docent.yaml")
    defaults = Settings()
    for dotted, value in values.items():
        current: Any = defaults
        for part in dotted.split("."):
            assert isinstance(current, BaseModel) and part in type(current).model_fields, dotted
            current = getattr(current, part)
        assert (str(current) if isinstance(current, Path) else current) == value, dotted
