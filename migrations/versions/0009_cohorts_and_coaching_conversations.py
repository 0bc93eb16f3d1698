"""Cohorts with a coach; coaching conversations with read state; a coach's feedback on a competency

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 22:28:16.339043

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coach_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=False),
    sa.Column('competency', sa.String(length=64), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 4', name=op.f('ck_coach_feedback_rating_range')),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_coach_feedback_coach_id_users')),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_coach_feedback_learner_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_coach_feedback_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coach_feedback'))
    )
    with op.batch_alter_table('coach_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_coach_feedback_learner', ['learner_id', 'created_at'], unique=False)

    op.create_table('cohorts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('coach_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coach_id'], ['users.id'], name=op.f('fk_cohorts_coach_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_cohorts_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohorts')),
    sa.UniqueConstraint('organisation_id', 'name', name='uq_cohorts_organisation_name')
    )
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohorts_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('cohort_members',
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_members_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cohort_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cohort_id', 'user_id', name=op.f('pk_cohort_members'))
    )
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cohort_members_user_id'), ['user_id'], unique=False)

    op.create_table('coaching_threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=True),
    sa.Column('item_ref', sa.String(length=64), nullable=True),
    sa.Column('item_title', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_coaching_threads_journey_id_journeys'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['last_author_id'], ['users.id'], name=op.f('fk_coaching_threads_last_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_coaching_threads_learner_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_coaching_threads_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaching_threads'))
    )
    with op.batch_alter_table('coaching_threads', schema=None) as batch_op:
        batch_op.create_index('ix_coaching_threads_learner', ['learner_id', 'last_message_at'], unique=False)

    op.create_table('coaching_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('helped', sa.Boolean(), nullable=True),
    sa.Column('mood', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_coaching_messages_author_id_users')),
    sa.ForeignKeyConstraint(['thread_id'], ['coaching_threads.id'], name=op.f('fk_coaching_messages_thread_id_coaching_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaching_messages'))
    )
    with op.batch_alter_table('coaching_messages', schema=None) as batch_op:
        batch_op.create_index('ix_coaching_messages_thread_time', ['thread_id', 'created_at'], unique=False)

    op.create_table('coaching_read_marks',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['thread_id'], ['coaching_threads.id'], name=op.f('fk_coaching_read_marks_thread_id_coaching_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_coaching_read_marks_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', 'user_id', name=op.f('pk_coaching_read_marks'))
    )


def downgrade():
    op.drop_table('coaching_read_marks')
    with op.batch_alter_table('coaching_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_coaching_messages_thread_time')

    op.drop_table('coaching_messages')
    with op.batch_alter_table('coaching_threads', schema=None) as batch_op:
        batch_op.drop_index('ix_coaching_threads_learner')

    op.drop_table('coaching_threads')
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohort_members_user_id'))

    op.drop_table('cohort_members')
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cohorts_organisation_id'))

    op.drop_table('cohorts')
    with op.batch_alter_table('coach_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_coach_feedback_learner')

    op.drop_table('coach_feedback')
