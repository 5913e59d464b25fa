"""One revision per schema version: ``NNNN_<what>.py`` with ``revision = "NNNN"``."""
