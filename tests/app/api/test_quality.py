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
