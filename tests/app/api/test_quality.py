"""The quality and usage report's arithmetic (pure: rows in, figures out)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.api.quality import build_report
from app.storage.repository import QualityRow

pytestmark = pytest.mark.unit


def _row(day: int, version: str = "answer-v2", **kw: object) -> QualityRow:
    base: dict[str, object] = {
        "at": datetime(2026, 12, day, 9, tzinfo=UTC),
        "prompt_version": version,
        "answer_source": "generated",
        "abstained": False,
        "sentences": 4,
        "unsupported": 1,
        "dropped": 0,
        "tokens_in": 1000,
        "tokens_out": 100,
        "cost": 0.5,
        "user_id": "bob",
        "groups": ("everyone",),
        "rating": None,
    }
    return QualityRow(**{**base, **kw})  # type: ignore[arg-type]


def test_shares_per_day_and_version_and_usage_per_user_and_group() -> None:
    report = build_report(
        [
            _row(1, rating="up"),
            _row(1, answer_source="extractive", sentences=2, unsupported=2, rating="down"),
            _row(1, answer_source="abstained", abstained=True, sentences=0, unsupported=0),
            _row(1, version="answer-cot", dropped=2, user_id="alice", groups=("everyone", "hr")),
            _row(2, rating="up"),
        ]
    )
    v2 = report.by_day[("2026-12-01", "answer-v2")]
    shares = v2.shares()
    assert v2.answers == 3 and v2.quoted == 1 and v2.abstained == 1
    assert shares["unsupported_share"] == pytest.approx(3 / 6)
    assert shares["up_rate"] == 0.5 and shares["abstained_share"] == pytest.approx(1 / 3, abs=1e-4)
    cot = report.by_day[("2026-12-01", "answer-cot")]
    assert cot.shares()["dropped_per_answer"] == 2 and cot.shares()["up_rate"] is None
    assert report.by_user["bob"].cost == pytest.approx(2.0)
    assert report.by_group["everyone"].answers == 5 and report.by_group["hr"].answers == 1
    assert report.by_user["alice"].tokens_in == 1000


def test_the_ab_report_gives_intervals_and_tests_the_up_rate_against_the_baseline() -> None:
    from app.api.quality import ab_report

    rows = [_row(1, rating="up", total_ms=100.0) for _ in range(30)]
    rows += [_row(1, rating="down", total_ms=120.0) for _ in range(10)]
    rows += [_row(1, "answer-cot", rating="up", total_ms=300.0) for _ in range(12)]
    rows += [_row(1, "answer-cot", rating="down", total_ms=340.0) for _ in range(28)]
    rows += [_row(1, "answer-cot", answer_source="cache", rating="up") for _ in range(50)]
    v2, cot = ab_report(rows, baseline="answer-v2")[::-1]
    assert (v2.prompt_version, cot.prompt_version) == ("answer-v2", "answer-cot")
    assert cot.answers == 40  # cache hits are not the arm's answers
    assert v2.up_rate.value == 0.75 and cot.up_rate.value == 0.3
    assert (cot.up_rate.low or 0) < 0.3 < (cot.up_rate.high or 1)
    assert v2.versus_baseline is None
    assert cot.versus_baseline is not None and cot.versus_baseline.p_value < 0.001
    assert cot.latency_ms.value == pytest.approx((12 * 300 + 28 * 340) / 40)
    assert v2.unsupported.value == pytest.approx(0.25)  # 1 of 4 sentences in every answer
