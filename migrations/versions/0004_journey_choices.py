"""Journeys keep the learner's own choices (steps swapped for their alternatives)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 21:08:20.083655

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('choices', sa.JSON(), nullable=False, server_default='{}'))



def downgrade():
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.drop_column('choices')

