"""An assignment remembers whether a manager asked for it from My team, so the learner is told who asked

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-04 03:15:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade():
    # Every assignment so far is told as the organisation's, as it was shown until now.
    with op.batch_alter_table("assignments") as batch:
        batch.add_column(sa.Column("by_manager", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("assignments") as batch:
        batch.drop_column("by_manager")
