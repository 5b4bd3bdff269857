"""The client each card was issued to, the tenant of feedback, and whether its card was known.

Additive only: during a rolling update the previous release keeps writing rows without these
columns (NULL: no client recorded), and reads nothing it does not know.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("issued_card", sa.Column("issuer", sa.String(), nullable=True))
    op.add_column("issued_card", sa.Column("tenant", sa.String(), nullable=True))
    op.add_column("feedback", sa.Column("tenant", sa.String(), nullable=True))
    op.add_column("feedback", sa.Column("card_known", sa.Boolean(), nullable=True))
    op.create_index("ix_feedback_client_received_at", "feedback", ["client", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_client_received_at", table_name="feedback")
    with op.batch_alter_table("feedback") as feedback:
        feedback.drop_column("card_known")
        feedback.drop_column("tenant")
    with op.batch_alter_table("issued_card") as issued_card:
        issued_card.drop_column("tenant")
        issued_card.drop_column("issuer")
