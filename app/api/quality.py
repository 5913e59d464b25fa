"""The live quality and usage report (``GET /v1/admin/quality``): per day and prompt version,
the shares the alert rules watch, and tokens and cost per user and per group."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.storage.repository import QualityRow


@dataclass
class Tally:
    answers: int = 0
    abstained: int = 0
    quoted: int = 0  # the model's answer replaced by quotes from the sources
    cached: int = 0
    sentences: int = 0
    unsupported: int = 0
    dropped: int = 0
    up: int = 0
    down: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0

    def add(self, row: QualityRow) -> None:
        self.answers += 1
        self.abstained += row.abstained
        self.quoted += row.answer_source == "extractive"
        self.cached += row.answer_source == "cache"
        self.sentences += row.sentences
        self.unsupported += row.unsupported
        self.dropped += row.dropped
        self.up += row.rating == "up"
        self.down += row.rating == "down"
        self.tokens_in += row.tokens_in
        self.tokens_out += row.tokens_out
        self.cost += row.cost

    def shares(self) -> dict[str, float | None]:
        """Rates with their denominators' zero as None (no data), never as 0."""
        rated = self.up + self.down
        return {
            "abstained_share": _share(self.abstained, self.answers),
            "quoted_share": _share(self.quoted, self.answers),
            "unsupported_share": _share(self.unsupported, self.sentences),
            "dropped_per_answer": _share(self.dropped, self.answers),
            "up_rate": _share(self.up, rated),
        }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class QualityReport:
    by_day: dict[tuple[str, str], Tally] = field(default_factory=dict)  # (day, version)
    by_user: dict[str, Tally] = field(default_factory=dict)
    by_group: dict[str, Tally] = field(default_factory=dict)


def build_report(rows: Iterable[QualityRow]) -> QualityReport:
    """A user in several groups counts in each of them."""
    by_day: dict[tuple[str, str], Tally] = defaultdict(Tally)
    by_user: dict[str, Tally] = defaultdict(Tally)
    by_group: dict[str, Tally] = defaultdict(Tally)
    for row in rows:
        by_day[(row.at.date().isoformat(), row.prompt_version)].add(row)
        by_user[row.user_id].add(row)
        for group in row.groups:
            by_group[group].add(row)
    return QualityReport(dict(by_day), dict(by_user), dict(by_group))
