"""Schema version 3: what each trace adds for quality and cost over time: the asker's
groups, the model's sentences and the unsupported ones, and the answer's cost.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = ("groups", "sentences", "unsupported", "cost")


def upgrade() -> None:
    with op.batch_alter_table("traces") as traces:
        traces.add_column(sa.Column("groups", sa.JSON(), nullable=False, server_default="[]"))
        traces.add_column(sa.Column("sentences", sa.Integer(), nullable=False, server_default="0"))
        traces.add_column(
            sa.Column("unsupported", sa.Integer(), nullable=False, server_default="0")
        )
        traces.add_column(sa.Column("cost", sa.Float(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("traces") as traces:
        for column in _COLUMNS:
            traces.drop_column(column)
