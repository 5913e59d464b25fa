"""Keep every library off the network: models come from installed packages only."""

from __future__ import annotations

import os

_OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "ANONYMIZED_TELEMETRY": "False",
}


def enforce_offline() -> None:
    """Set the variables that stop Hugging Face and friends from phoning home."""
    for key, value in _OFFLINE.items():
        os.environ.setdefault(key, value)
