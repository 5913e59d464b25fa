"""The evaluation dataset format (one JSON object per line; see shared/eval/README.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    answer: str
    must_include: tuple[str, ...]
    sources: tuple[str, ...]
    answerable: bool
    history: tuple[str, ...] = field(default_factory=tuple)  # earlier questions, in order


def load_cases(path: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            history = raw.get("history") or []
            cases.append(
                Case(
                    id=str(raw["id"]),
                    question=str(raw["question"]),
                    answer=str(raw.get("answer", "")),
                    must_include=tuple(raw.get("must_include") or ()),
                    sources=tuple(raw.get("sources") or ()),
                    answerable=bool(raw.get("answerable", True)),
                    history=tuple(
                        h["question"] if isinstance(h, dict) else str(h) for h in history
                    ),
                )
            )
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid case ({exc})") from exc
    return cases


def fact_present(item: str, text: str) -> bool:
    """``a|b`` means either spelling counts; case-insensitive."""
    lower = text.lower()
    return any(alt.strip().lower() in lower for alt in item.split("|") if alt.strip())


def all_facts(case: Case, text: str) -> bool:
    return all(fact_present(item, text) for item in case.must_include)


def any_fact(case: Case, text: str) -> bool:
    return not case.must_include or any(fact_present(item, text) for item in case.must_include)
