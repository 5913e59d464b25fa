"""Alembic migrations of the service's database (see app/storage/schema.py)."""
