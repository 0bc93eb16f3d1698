"""Touchpoint rules per course, the digest day, review cards, and what each message did

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 00:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('pending', 'sent', 'folded', 'dropped', 'skipped', 'failed')"
NEW_STATUSES = "status IN ('pending', 'sending', 'sent', 'folded', 'dropped', 'skipped', 'failed', 'held_out')"


def upgrade():
    op.create_table('touchpoint_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('templates', sa.JSON(), nullable=False),
    sa.Column('holdout_percent', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('holdout_percent BETWEEN 0 AND 50', name=op.f('ck_touchpoint_rules_holdout_range')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_touchpoint_rules_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_touchpoint_rules_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_touchpoint_rules')),
    sa.UniqueConstraint('course_id', 'key', name='uq_touchpoint_rules_course_key')
    )
    op.create_table('review_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=200), nullable=False),
    sa.Column('card', sa.JSON(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_cards_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_cards')),
    sa.UniqueConstraint('user_id', 'question', name='uq_review_cards_user_question')
    )
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.create_index('ix_review_cards_due', ['due_at'], unique=False)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('course_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('opened_via', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('digested_in_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f('ck_outbox_messages_known_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_known_status'), NEW_STATUSES)
        batch_op.create_foreign_key(op.f('fk_outbox_messages_course_id_courses'), 'courses', ['course_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(op.f('fk_outbox_messages_digested_in_id_outbox_messages'), 'outbox_messages', ['digested_in_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_outbox_messages_rule_sent', ['rule', 'sent_at'], unique=False)
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_weekday', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('digest_hour', sa.Integer(), nullable=False, server_default='9'))
        batch_op.add_column(sa.Column('auto_paused_rules', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_column('auto_paused_rules')
        batch_op.drop_column('digest_hour')
        batch_op.drop_column('digest_weekday')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_rule_sent')
        batch_op.drop_constraint(op.f('fk_outbox_messages_digested_in_id_outbox_messages'), type_='foreignkey')
        batch_op.drop_constraint(op.f('fk_outbox_messages_course_id_courses'), type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_outbox_messages_known_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_known_status'), OLD_STATUSES)
        batch_op.drop_column('digested_in_id')
        batch_op.drop_column('opted_out_at')
        batch_op.drop_column('opened_via')
        batch_op.drop_column('opened_at')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('course_id')
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_review_cards_due')
    op.drop_table('review_cards')
    op.drop_table('touchpoint_rules')
