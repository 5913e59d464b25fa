"""Evaluation harness and benchmarks: ``python -m eval run|compare|leak|bench|export-feedback``."""
