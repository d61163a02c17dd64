"""each plan's own rules: its settings and its status scheme

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("settings_json", sa.Text(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("statuses_json", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("statuses_json")
        batch.drop_column("settings_json")
