"""Conversations, feedback, traces and the audit log (SQLite by default, PostgreSQL by URL)."""
