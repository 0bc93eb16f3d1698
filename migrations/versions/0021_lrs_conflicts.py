"""LRS forwarding: statements the LRS holds in a different form (it answered 409)

Forwarding records such a statement with what differs and goes on with the next ones; the
admin's LRS page lists them.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 16:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lrs_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Uuid(), nullable=False),
    sa.Column('differs', sa.String(length=200), nullable=False),
    sa.Column('ours', sa.Text(), nullable=False),
    sa.Column('theirs', sa.Text(), nullable=False),
    sa.Column('noticed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_lrs_conflicts_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lrs_conflicts')),
    sa.UniqueConstraint('organisation_id', 'statement_id', name=op.f('uq_lrs_conflicts_organisation_id'))
    )
    with op.batch_alter_table('lrs_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lrs_conflicts_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lrs_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lrs_conflicts_organisation_id'))
    op.drop_table('lrs_conflicts')
