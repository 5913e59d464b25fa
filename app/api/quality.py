"""The live quality and usage report (``GET /v1/admin/quality``): per day and prompt version,
the shares the alert rules watch, and tokens and cost per user and per group; and the A/B
report (``GET /v1/admin/ab``, ``python -m eval ab-report``): per prompt version, each figure
with its 95% interval and the up-rate tested against a baseline version."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from app.storage.repository import QualityRow
from core.stats import Estimate, ProportionTest, mean_interval, two_proportions, wilson


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


@dataclass(frozen=True)
class Arm:
    """One prompt version's figures, each with its 95% interval."""

    prompt_version: str
    answers: int
    abstained: Estimate
    quoted: Estimate
    unsupported: Estimate  # over sentences: those of one answer are not independent
    up_rate: Estimate
    latency_ms: Estimate
    # the up-rate against the baseline arm's: None for the baseline, or without ratings
    versus_baseline: ProportionTest | None


def ab_report(rows: Iterable[QualityRow], baseline: str) -> list[Arm]:
    """Per prompt version, answers from the cache left out (no model wrote them)."""
    by_version: dict[str, list[QualityRow]] = defaultdict(list)
    for row in rows:
        if row.answer_source != "cache":
            by_version[row.prompt_version].append(row)
    tallies = {v: _tally(rs) for v, rs in by_version.items()}
    base = tallies.get(baseline)
    arms = []
    for version, rs in sorted(by_version.items()):
        t = tallies[version]
        test = None
        if base is not None and version != baseline:
            test = two_proportions(base.up, base.up + base.down, t.up, t.up + t.down)
        arms.append(
            Arm(
                prompt_version=version,
                answers=t.answers,
                abstained=wilson(t.abstained, t.answers),
                quoted=wilson(t.quoted, t.answers),
                unsupported=wilson(t.unsupported, t.sentences),
                up_rate=wilson(t.up, t.up + t.down),
                latency_ms=mean_interval([r.total_ms for r in rs]),
                versus_baseline=test,
            )
        )
    return arms


def _tally(rows: Iterable[QualityRow]) -> Tally:
    tally = Tally()
    for row in rows:
        tally.add(row)
    return tally
