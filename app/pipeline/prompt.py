"""Stage 5: versioned prompt templates (sandboxed Jinja files) rendered into chat messages.

The system part is static and comes first, so servers with prefix caching can reuse it;
sources are fenced in ``<source n=...>`` tags and any tag-like text inside them is escaped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from app.pipeline.types import RetrievedChunk
from core.errors import ConfigError

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"


@dataclass(frozen=True)
class Prompt:
    version: str
    messages: list[dict[str, str]]
    reasoning: bool = False  # the model reasons before "Answer:" (app/pipeline/reasoning.py)


def _fence(text: str) -> str:
    """Sources cannot close their own fence or open a fake one."""
    return text.replace("<", "‹").replace(">", "›")


def _attribute(text: str) -> str:
    """A fenced value inside a quoted attribute (title="..."): it cannot end the quote and
    add attributes of its own (note="trusted")."""
    return " ".join(_fence(text).replace('"', "”").split())


class PromptBuilder:
    """Loads every template in the manifest once; picks a version per user for A/B splits."""

    def __init__(
        self,
        active: str,
        *,
        ab_version: str | None,
        ab_share: float,
        directory: Path = PROMPT_DIR,
    ) -> None:
        manifest = yaml.safe_load((directory / "manifest.yaml").read_text())
        env = SandboxedEnvironment(
            undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
        )
        self._templates: dict[str, tuple[Any, Any]] = {}
        self._reasoning: set[str] = set()
        for name, spec in manifest.items():
            try:
                system = env.from_string((directory / spec["system"]).read_text())
                user = env.from_string((directory / spec["user"]).read_text())
            except (OSError, KeyError, TemplateError) as exc:
                raise ConfigError(f"prompt {name!r} in {directory} is broken: {exc}") from exc
            self._templates[name] = (system, user)
            if spec.get("reasoning"):
                self._reasoning.add(name)
        for name in filter(None, (active, ab_version)):
            if name not in self._templates:
                raise ConfigError(
                    f"prompt version {name!r} is not in {directory / 'manifest.yaml'}; "
                    f"known: {', '.join(sorted(self._templates))}"
                )
        self.active = active
        self.ab_version = ab_version
        self.ab_share = ab_share

    @property
    def versions(self) -> list[str]:
        return sorted(self._templates)

    def version_for(self, user_id: str) -> str:
        """Stable per user: the same person always sees the same arm of an A/B test."""
        if not self.ab_version or self.ab_share <= 0:
            return self.active
        bucket = int(hashlib.sha256(user_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        return self.ab_version if bucket < self.ab_share else self.active

    def run(self, question: str, sources: list[RetrievedChunk], version: str) -> Prompt:
        system, user = self._templates[version]
        fenced = [
            {
                "n": i,
                "title": _attribute(s.title),
                "section": _attribute(s.section),
                "text": _fence(s.text),
                "suspicious": s.suspicious,
            }
            for i, s in enumerate(sources, start=1)
        ]
        return Prompt(
            reasoning=version in self._reasoning,
            version=version,
            messages=[
                {"role": "system", "content": system.render().strip()},
                {"role": "user", "content": user.render(sources=fenced, question=_fence(question))},
            ],
        )
