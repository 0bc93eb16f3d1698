"""Predictive support: risk models per organisation, flags for coaches, learners who turned it off; touchpoints at the learner's own time

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 19:16:34.050625

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('risk_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('model', sa.JSON(), nullable=True),
    sa.Column('baseline', sa.JSON(), nullable=True),
    sa.Column('evaluation', sa.JSON(), nullable=True),
    sa.CheckConstraint("status IN ('used', 'not_better', 'not_enough_history')", name=op.f('ck_risk_models_known_status')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_risk_models_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_models'))
    )
    with op.batch_alter_table('risk_models', schema=None) as batch_op:
        batch_op.create_index('ix_risk_models_organisation_trained', ['organisation_id', 'trained_at'], unique=False)

    op.create_table('risk_settings',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('holdout_share', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_risk_settings_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_risk_settings'))
    )
    op.create_table('risk_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('suggested', sa.String(length=16), nullable=False),
    sa.Column('held_out', sa.Boolean(), nullable=False),
    sa.Column('acted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acted_by_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('came_back_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acted_by_id'], ['users.id'], name=op.f('fk_risk_flags_acted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['learner_id'], ['users.id'], name=op.f('fk_risk_flags_learner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_risk_flags_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_flags'))
    )
    with op.batch_alter_table('risk_flags', schema=None) as batch_op:
        batch_op.create_index('ix_risk_flags_learner_raised', ['learner_id', 'raised_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_flags_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('risk_opt_outs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_risk_opt_outs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_risk_opt_outs'))
    )
    with op.batch_alter_table('touchpoint_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adaptive_time', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timing', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('timing')
    with op.batch_alter_table('touchpoint_rules', schema=None) as batch_op:
        batch_op.drop_column('adaptive_time')
    op.drop_table('risk_opt_outs')
    with op.batch_alter_table('risk_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_flags_organisation_id'))
        batch_op.drop_index('ix_risk_flags_learner_raised')

    op.drop_table('risk_flags')
    op.drop_table('risk_settings')
    with op.batch_alter_table('risk_models', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_models_organisation_trained')

    op.drop_table('risk_models')
