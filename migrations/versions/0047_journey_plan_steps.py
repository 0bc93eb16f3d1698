"""Journeys: how many steps the stored plan has, written with the plan, so the insights' people
page counts them without reading every plan (issue 20)

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-05 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("journeys") as batch:
        batch.add_column(sa.Column("plan_steps", sa.Integer(), nullable=True))
    # The plans stored so far, counted once here (empty where no plan is stored yet).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE journeys SET plan_steps = json_array_length(plan->'steps') WHERE plan IS NOT NULL")
    else:
        op.execute("UPDATE journeys SET plan_steps = json_array_length(plan, '$.steps') WHERE plan IS NOT NULL")


def downgrade():
    with op.batch_alter_table("journeys") as batch:
        batch.drop_column("plan_steps")
