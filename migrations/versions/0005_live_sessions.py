"""Live sessions: dated sessions of live-session items, their trainers and registrations
(seat, offer, waitlist, attendance), and private calendar feed tokens (hashed)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:41:30.865245

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('live_calendar_feeds',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_live_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_live_calendar_feeds_token_hash'))
    )
    op.create_table('live_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=36), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('video_url', sa.String(length=500), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('registration_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_hours', sa.Integer(), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('update_pending_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f('ck_live_sessions_known_status')),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_live_sessions_positive_capacity')),
    sa.CheckConstraint('claim_hours IS NULL OR claim_hours > 0', name=op.f('ck_live_sessions_positive_claim_hours')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_live_sessions_ends_after_start')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_live_sessions_course_id_courses')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_live_sessions_created_by_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_live_sessions_item_id_items')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_live_sessions_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_sessions'))
    )
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_live_sessions_item_start', ['course_id', 'item_key', 'starts_at'], unique=False)
        batch_op.create_index('ix_live_sessions_org_start', ['organisation_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_live_sessions_series_id'), ['series_id'], unique=False)

    op.create_table('live_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('offer_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attendance', sa.String(length=16), nullable=True),
    sa.Column('attendance_event_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("attendance IS NULL OR attendance IN ('present', 'late', 'absent', 'excused')", name=op.f('ck_live_registrations_known_attendance')),
    sa.CheckConstraint("status IN ('registered', 'offered', 'waitlisted', 'cancelled', 'expired')", name=op.f('ck_live_registrations_known_status')),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_live_registrations_learner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], name=op.f('fk_live_registrations_session_id_live_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_registrations')),
    sa.UniqueConstraint('session_id', 'learner_id', name=op.f('uq_live_registrations_session_id'))
    )
    with op.batch_alter_table('live_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_live_registrations_learner_status', ['learner_id', 'status'], unique=False)
        batch_op.create_index('ix_live_registrations_session_status', ['session_id', 'status'], unique=False)

    op.create_table('live_session_trainers',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], name=op.f('fk_live_session_trainers_session_id_live_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_session_trainers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_live_session_trainers'))
    )
    with op.batch_alter_table('live_session_trainers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_session_trainers_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('live_session_trainers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_session_trainers_user_id'))

    op.drop_table('live_session_trainers')
    with op.batch_alter_table('live_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_live_registrations_session_status')
        batch_op.drop_index('ix_live_registrations_learner_status')

    op.drop_table('live_registrations')
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_sessions_series_id'))
        batch_op.drop_index('ix_live_sessions_org_start')
        batch_op.drop_index('ix_live_sessions_item_start')

    op.drop_table('live_sessions')
    op.drop_table('live_calendar_feeds')
