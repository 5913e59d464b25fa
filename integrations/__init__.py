"""Docent for other tools' frameworks: clients of its HTTP API, nothing else of Docent."""
