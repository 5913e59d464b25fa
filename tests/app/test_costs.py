"""Pricing an answer's tokens by the configured table."""

from __future__ import annotations

import pytest

from app.costs import PriceTable
from core.settings import ModelPrice, Settings

pytestmark = pytest.mark.unit


def test_exact_name_then_longest_prefix_then_star() -> None:
    table = PriceTable(
        {
            "openai:docent-llm": ModelPrice(input_per_million=0.2, output_per_million=0.6),
            "openai:": ModelPrice(input_per_million=1.0, output_per_million=1.0),
            "*": ModelPrice(input_per_million=0.01, output_per_million=0.01),
        }
    )
    behind_alias = "openai:docent-llm(Qwen/Qwen2.5-7B-Instruct)"
    assert table.cost(behind_alias, 1_000_000, 500_000) == pytest.approx(0.2 + 0.3)
    assert table.cost("openai:other", 1000, 1000) == pytest.approx(0.002)
    assert table.cost("llama.cpp:smollm2", 1_000_000, 0) == pytest.approx(0.01)
    assert PriceTable({}).cost("anything", 10**9, 10**9) == 0.0


def test_the_table_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "DOCENT_PRICES",
        '{"openai:docent-llm": {"input_per_million": 0.2, "output_per_million": 0.6}}',
    )
    prices = Settings().prices
    assert prices["openai:docent-llm"].output_per_million == 0.6
