"""Leak mode: every question as every user; count what reaches them from outside their groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from app.pipeline.factory import PipelineParts
from app.pipeline.types import User
from eval.dataset import Case
from indexes.store import IndexStore


@dataclass
class LeakReport:
    users: int = 0
    questions: int = 0
    chunks_checked: int = 0
    leaked_chunks: int = 0
    leaked_citations: int = 0
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "users": self.users,
            "questions": self.questions,
            "chunks_checked": self.chunks_checked,
            "leaked_chunks": self.leaked_chunks,
            "leaked_citations": self.leaked_citations,
            "examples": self.examples[:20],
        }


def load_users(path: Path) -> list[User]:
    data = yaml.safe_load(path.read_text()) or {}
    return [User(str(u["id"]), tuple(u.get("groups") or ())) for u in data.get("users", [])]


def run_leaks(
    components: PipelineParts, store: IndexStore, cases: list[Case], users: list[User]
) -> LeakReport:
    groups_of = {d.path: set(d.groups) for d in store.active().documents().values()}
    report = LeakReport(users=len(users), questions=len(cases))
    for user in users:
        allowed = set(user.groups)
        for case in cases:
            result = components.pipeline.run(case.question, user)
            shown = result.retrieved + components.retriever.search(
                case.question, user.groups, limit=20
            )
            paths = [c.path for c in shown] + [c.path for c in result.closest_sources]
            report.chunks_checked += len(paths)
            for path in paths:
                if not groups_of.get(path, set()) & allowed:
                    report.leaked_chunks += 1
                    report.examples.append(f"{user.id} saw {path} for {case.id}")
            for c in result.citations:
                if not groups_of.get(c.path, set()) & allowed:
                    report.leaked_citations += 1
    return report
