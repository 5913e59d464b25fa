"""Markdown table lines, as the reader and the quote splitter both read them."""

from __future__ import annotations

import pytest

from core.text import is_table_row, is_table_rule

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("line", "row"),
    [
        ("| a | b |", True),
        ("  | a |  ", True),
        ("||", True),
        ("|", False),
        ("a | b", False),
        ("| a | b", False),
    ],
)
def test_a_row_is_bounded_by_pipes(line: str, row: bool) -> None:
    assert is_table_row(line) is row


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("| --- | --- |", True),
        ("|:---|---:|", True),
        ("  | :-- |", False),  # two dashes are not a rule
        ("| 2024 | --- |", False),
        ("---", True),
    ],
)
def test_a_rule_row_starts_with_three_dashes(line: str, rule: bool) -> None:
    assert is_table_rule(line) is rule
