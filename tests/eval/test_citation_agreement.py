import pytest

from eval.citations import agreement
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.integration


def test_citation_checker_agrees_with_labelled_pairs() -> None:
    report = agreement(ROOT / "eval" / "datasets" / "citation_pairs.jsonl", CORPUS)
    assert report["pairs"] >= 30
    assert report["agreement"] >= 0.9, report["disagreements"]
