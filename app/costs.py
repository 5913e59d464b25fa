"""What an answer costs: its tokens priced by the configured table (``DOCENT_PRICES``)."""

from __future__ import annotations

from collections.abc import Mapping

from core.settings import ModelPrice


class PriceTable:
    """Looks a model up by exact name, then by the longest key its name starts with (so
    ``openai:docent-llm`` prices whatever runs behind the alias), then ``*``."""

    def __init__(self, prices: Mapping[str, ModelPrice]) -> None:
        self.prices = dict(prices)

    def price(self, model: str) -> ModelPrice | None:
        if model in self.prices:
            return self.prices[model]
        prefixes = [k for k in self.prices if k != "*" and model.startswith(k)]
        if prefixes:
            return self.prices[max(prefixes, key=len)]
        return self.prices.get("*")

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> float:
        price = self.price(model)
        if price is None:
            return 0.0
        return (
            tokens_in * price.input_per_million + tokens_out * price.output_per_million
        ) / 1_000_000
