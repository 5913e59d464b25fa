"""``python -m eval ab-report``: the prompt versions' live figures from the database, each
with its 95% interval, and the feedback up-rate of each version tested against a baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.table import Table

from app.api.quality import Arm, ab_report
from app.storage.repository import Repository
from core.database import make_engine
from core.settings import Settings
from core.stats import Estimate


def report(days: int, baseline: str | None, database_url: str | None) -> tuple[list[Arm], str]:
    settings = Settings()
    repo = Repository(make_engine(database_url or settings.sqlalchemy_url))
    try:
        rows = repo.quality_rows(datetime.now(UTC) - timedelta(days=days))
    finally:
        repo.close()
    base = baseline or settings.answer.prompt_version
    return ab_report(rows, base), base


def _share(e: Estimate) -> str:
    if e.value is None:
        return "-"
    return f"{e.value:.1%} [{e.low:.1%}, {e.high:.1%}] n={e.n}"


def _ms(e: Estimate) -> str:
    if e.value is None:
        return "-"
    if e.low is None or e.high is None:
        return f"{e.value:.0f}"
    return f"{e.value:.0f} [{e.low:.0f}, {e.high:.0f}]"


def print_report(arms: list[Arm], baseline: str) -> None:
    table = Table(title=f"Prompt versions (baseline {baseline}; 95% intervals)")
    for column in (
        "version",
        "answers",
        "abstained",
        "quoted",
        "unsupported sentences",
        "up-rate",
        "vs baseline",
        "latency ms",
    ):
        table.add_column(column)
    for arm in arms:
        test = arm.versus_baseline
        versus = "-" if test is None else f"{test.difference:+.1%}, p={test.p_value:.3f}"
        table.add_row(
            arm.prompt_version,
            str(arm.answers),
            _share(arm.abstained),
            _share(arm.quoted),
            _share(arm.unsupported),
            _share(arm.up_rate),
            versus,
            _ms(arm.latency_ms),
        )
    Console().print(table)
