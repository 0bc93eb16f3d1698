"""Journeys: the earliest due date of the stored plan's open coaching checkpoints, written with
the plan, so a coach's desk reads only the journeys with a conversation due (issue 20)

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-05 20:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0048"
down_revision = "0047"
branch_labels = None
depends_on = None

# The plans stored so far, read once here: their open steps of the coaching checkpoint kind
# (the only kind a coach completes in a conversation when this was written) with a due date.
POSTGRESQL = """
UPDATE journeys SET coached_due_on = (
    SELECT min((step->>'due')::date) FROM json_array_elements(plan->'steps') AS step
    WHERE step->>'kind' = 'coaching_checkpoint' AND step->>'done' = 'false' AND step->>'due' IS NOT NULL
) WHERE plan IS NOT NULL
"""
SQLITE = """
UPDATE journeys SET coached_due_on = (
    SELECT min(json_extract(step.value, '$.due')) FROM json_each(journeys.plan, '$.steps') AS step
    WHERE json_extract(step.value, '$.kind') = 'coaching_checkpoint' AND json_extract(step.value, '$.done') = 0
      AND json_extract(step.value, '$.due') IS NOT NULL
) WHERE plan IS NOT NULL
"""


def upgrade():
    with op.batch_alter_table("journeys") as batch:
        batch.add_column(sa.Column("coached_due_on", sa.Date(), nullable=True))
    op.execute(POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE)


def downgrade():
    with op.batch_alter_table("journeys") as batch:
        batch.drop_column("coached_due_on")
