"""A learner may let their manager know when lxp notices they may need support

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03 22:35:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    # Off for everyone: predictive support told only the coach until the learner says otherwise.
    with op.batch_alter_table("reporting_lines") as batch:
        batch.add_column(sa.Column("share_support", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("reporting_lines") as batch:
        batch.drop_column("share_support")
