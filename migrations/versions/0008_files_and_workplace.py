"""Stored files (uploads outside static/) and on-the-job task submissions with their reviews

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 22:26:57.087589

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('draft', 'submitted')")


def upgrade():
    op.create_table('stored_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('attached_id', sa.Integer(), nullable=True),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_stored_files_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_stored_files_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('token', name=op.f('uq_stored_files_token'))
    )
    op.create_index('ix_stored_files_attached', 'stored_files', ['kind', 'attached_id'], unique=False)
    op.create_index(op.f('ix_stored_files_owner_id'), 'stored_files', ['owner_id'], unique=False)

    op.create_table('task_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('journey_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('item_ref', sa.String(length=64), nullable=False),
    sa.Column('item_title', sa.String(length=200), nullable=False),
    sa.Column('rubric', sa.JSON(), nullable=False),
    sa.Column('competencies', sa.JSON(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('account', sa.Text(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'accepted', 'needs_another_try')", name=op.f('ck_task_submissions_known_status')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_task_submissions_item_id_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['journey_id'], ['journeys.id'], name=op.f('fk_task_submissions_journey_id_journeys'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_task_submissions_learner_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_task_submissions_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_submissions')),
    sa.UniqueConstraint('learner_id', 'item_ref', 'number', name='uq_task_submissions_try')
    )
    op.create_index('ix_task_submissions_waiting', 'task_submissions', ['organisation_id', 'status', 'submitted_at'], unique=False)
    # At most one open try (draft or submitted) per learner and task.
    op.create_index('uq_task_submissions_open', 'task_submissions', ['learner_id', 'item_ref'], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)

    op.create_table('task_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('accepted', 'needs_another_try')", name=op.f('ck_task_reviews_known_outcome')),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_task_reviews_reviewer_id_users')),
    sa.ForeignKeyConstraint(['submission_id'], ['task_submissions.id'], name=op.f('fk_task_reviews_submission_id_task_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_reviews')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_task_reviews_submission_id'))
    )


def downgrade():
    op.drop_table('task_reviews')
    op.drop_index('uq_task_submissions_open', table_name='task_submissions')
    op.drop_index('ix_task_submissions_waiting', table_name='task_submissions')
    op.drop_table('task_submissions')
    op.drop_index(op.f('ix_stored_files_owner_id'), table_name='stored_files')
    op.drop_index('ix_stored_files_attached', table_name='stored_files')
    op.drop_table('stored_files')
