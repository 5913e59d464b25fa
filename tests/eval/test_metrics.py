import pytest

from eval.dataset import Case, all_facts, fact_present
from eval.metrics import CitationRecord, Outcome, compute, failures

pytestmark = pytest.mark.unit

SRC = "a/leave.md"


def case(answerable: bool = True, facts: tuple[str, ...] = ("16",)) -> Case:
    return Case(
        "c", "q?", "16 weeks", facts if answerable else (), (SRC,) if answerable else (), answerable
    )


def outcome(
    c: Case,
    answer: str,
    abstained: bool,
    ranked: list[str],
    cites: list[CitationRecord],
    dropped: int = 0,
) -> Outcome:
    return Outcome(
        c, answer, abstained, ranked, cites, dropped, {"total": 100.0, "retrieve": 10.0}, 50, 5
    )


def test_alternatives_and_case() -> None:
    assert fact_present("one year|1 year", "It takes 1 Year.")
    assert not all_facts(case(facts=("50", "75")), "Internet is $50.")


def test_metrics_on_known_outcomes() -> None:
    good = outcome(
        case(), "16 weeks [1].", False, ["x.md", SRC], [CitationRecord(SRC, "up to 16 weeks")]
    )
    wrong_cite = outcome(
        case(), "16 weeks [1].", False, [SRC], [CitationRecord("x.md", "16 weeks")], dropped=1
    )
    abstain_ok = outcome(case(False), "I could not find this", True, ["x.md"], [])
    abstain_bad = outcome(case(), "I could not find this", True, ["y.md"], [])
    m = compute([good, wrong_cite, abstain_ok, abstain_bad])
    assert m["n"] == 4
    assert m["retrieval"]["recall_at_5"] == pytest.approx(2 / 3, abs=1e-3)
    assert m["retrieval"]["mrr"] == pytest.approx((0.5 + 1 + 0) / 3, abs=1e-3)
    assert m["answer"]["must_include_accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    assert m["citations"]["precision"] == 0.5 and m["citations"]["recall"] == pytest.approx(
        1 / 3, abs=1e-3
    )
    assert m["citations"]["dropped_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert m["abstention"]["accuracy"] == 1.0 and m["abstention"]["false_rate"] == pytest.approx(
        1 / 3, abs=1e-3
    )
    assert m["latency_ms"]["p50"] == 100.0 and m["tokens"]["in_mean"] == 50
    reasons = dict(
        (o.case.answer + str(i), why)
        for i, (o, why) in enumerate(failures([wrong_cite, abstain_bad]))
    )
    assert any("no correct citation" in why for why in reasons.values())
    assert any("abstained" in why for why in reasons.values())
