"""Loading spaCy: a missing model is a configuration error that says what to run."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.nlp import load_spacy
from core.settings import Settings


@pytest.mark.unit
def test_a_missing_model_tells_the_user_to_run_setup() -> None:
    with pytest.raises(ConfigError, match=r"'no_such_model_xx' is not installed: run `make setup`"):
        load_spacy("no_such_model_xx")


@pytest.mark.integration
def test_excluded_components_are_not_loaded() -> None:
    nlp = load_spacy(Settings().spacy_model, exclude=["parser", "ner"])
    assert "ner" not in nlp.pipe_names
    assert "parser" not in nlp.pipe_names
    assert "tagger" in nlp.pipe_names
