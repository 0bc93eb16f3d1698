"""Coaches per learner, and "I'm stuck" help requests with their context, answer and feedback

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 21:43:53.200786

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coach_assignments',
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_coach_assignments_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_coach_assignments_coach_id_users')),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_coach_assignments_learner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('learner_id', name=op.f('pk_coach_assignments'))
    )
    with op.batch_alter_table('coach_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coach_assignments_coach_id'), ['coach_id'], unique=False)

    op.create_table('help_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('item_ref', sa.String(length=64), nullable=False),
    sa.Column('item_title', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('helped', sa.Boolean(), nullable=True),
    sa.Column('mood', sa.Integer(), nullable=True),
    sa.CheckConstraint("helped IS NULL OR status = 'resolved'", name=op.f('ck_help_requests_feedback_after_resolution')),
    sa.CheckConstraint("status IN ('open', 'answered', 'resolved')", name=op.f('ck_help_requests_known_status')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_help_requests_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_help_requests_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_help_requests_learner_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_help_requests_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_requests'))
    )
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_requests_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_help_requests_learner_status', ['learner_id', 'status'], unique=False)
        batch_op.create_index('ix_help_requests_organisation_status', ['organisation_id', 'status', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_help_requests_organisation_status')
        batch_op.drop_index('ix_help_requests_learner_status')
        batch_op.drop_index(batch_op.f('ix_help_requests_assignee_id'))

    op.drop_table('help_requests')
    with op.batch_alter_table('coach_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coach_assignments_coach_id'))

    op.drop_table('coach_assignments')
