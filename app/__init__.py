"""Docent query service and the shared foundation (settings, errors, logging)."""
