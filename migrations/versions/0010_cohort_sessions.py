"""Live sessions for one cohort only

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 22:30:52.301009

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cohort_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_live_sessions_cohort_id'), ['cohort_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_live_sessions_cohort_id_cohorts'), 'cohorts', ['cohort_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_live_sessions_cohort_id_cohorts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_live_sessions_cohort_id'))
        batch_op.drop_column('cohort_id')

