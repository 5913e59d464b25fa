"""Loading a spaCy pipeline, with the error that tells the user what to do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import ConfigError


def load_spacy(model: str, exclude: Sequence[str] = ()) -> Any:
    """The installed spaCy model ``model`` without the components in ``exclude``."""
    import spacy

    try:
        return spacy.load(model, exclude=list(exclude))
    except OSError as exc:
        raise ConfigError(f"spaCy model {model!r} is not installed: run `make setup`") from exc
