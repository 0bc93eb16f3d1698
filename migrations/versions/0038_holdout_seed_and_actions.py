"""Predictive support: a stored seed per organisation draws the flag holdout; what a coach offered on a flag

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03 22:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("risk_settings") as batch:
        batch.add_column(sa.Column("holdout_seed", sa.String(length=32), nullable=True))
    with op.batch_alter_table("risk_flags") as batch:
        batch.add_column(sa.Column("offered_session_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("minutes_before", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("minutes_after", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_risk_flags_offered_session_id_live_sessions"),
            "live_sessions",
            ["offered_session_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("risk_flags") as batch:
        batch.drop_constraint(batch.f("fk_risk_flags_offered_session_id_live_sessions"), type_="foreignkey")
        batch.drop_column("minutes_after")
        batch.drop_column("minutes_before")
        batch.drop_column("offered_session_id")
    with op.batch_alter_table("risk_settings") as batch:
        batch.drop_column("holdout_seed")
