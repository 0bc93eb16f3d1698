"""Journeys: a learner's goals, calendar, frozen course versions and stored plan

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:24:21.996809

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('journeys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('weekly_minutes', sa.Integer(), nullable=False),
    sa.Column('modalities', sa.JSON(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=True),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'paused', 'finished', 'left')", name=op.f('ck_journeys_known_status')),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_journeys_learner_id_users')),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_journeys_package_id_packages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journeys'))
    )
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.create_index('ix_journeys_learner_status', ['learner_id', 'status'], unique=False)

    op.create_table('journey_courses',
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_journey_courses_course_id_courses')),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_journey_courses_journey_id_journeys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], name=op.f('fk_journey_courses_version_id_course_versions')),
    sa.PrimaryKeyConstraint('journey_id', 'course_id', name=op.f('pk_journey_courses'))
    )
    op.create_table('journey_goals',
    sa.Column('journey_id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['goals.id'], name=op.f('fk_journey_goals_goal_id_goals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_journey_goals_journey_id_journeys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('journey_id', 'goal_id', name=op.f('pk_journey_goals'))
    )


def downgrade():
    op.drop_table('journey_goals')
    op.drop_table('journey_courses')
    with op.batch_alter_table('journeys', schema=None) as batch_op:
        batch_op.drop_index('ix_journeys_learner_status')

    op.drop_table('journeys')
