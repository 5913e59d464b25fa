"""The shared core: settings, errors, process helpers, encoders and text rules that the
query service (`app`), the ingest (`ingest`) and the index backends (`indexes`) all use.
It imports nothing of theirs (an import-linter contract in pyproject.toml)."""
