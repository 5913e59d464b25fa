"""The evaluation dataset format (one JSON object per line; see shared/eval/README.md)."""

from __future__ import annotations

import json
import re
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
    # a follow-up's standalone rewrite must hold each of these ("a|b": either) and none of
    # the excluded (the slot a contrast replaced); empty: the rewrite is not scored
    rewrite_must_include: tuple[str, ...] = ()
    rewrite_must_exclude: tuple[str, ...] = ()


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
                    rewrite_must_include=tuple(raw.get("rewrite_must_include") or ()),
                    rewrite_must_exclude=tuple(raw.get("rewrite_must_exclude") or ()),
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


def rewrite_correct(case: Case, standalone: str) -> bool:
    """Whether a follow-up's standalone question keeps what it must and drops the replaced
    slot (whole words, case-insensitive)."""

    def has(item: str) -> bool:
        return any(
            re.search(rf"\b{re.escape(alt.strip())}\b", standalone, re.I)
            for alt in item.split("|")
            if alt.strip()
        )

    return all(has(i) for i in case.rewrite_must_include) and not any(
        has(i) for i in case.rewrite_must_exclude
    )
