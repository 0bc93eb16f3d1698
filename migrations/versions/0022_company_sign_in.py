"""Company sign-in: an organisation's OpenID provider, its e-mail domains, provider identities

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 16:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('company_sign_in',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret', sa.Text(), nullable=False),
    sa.Column('email_claim', sa.String(length=100), nullable=False),
    sa.Column('groups_claim', sa.String(length=100), nullable=False),
    sa.Column('role_mapping', sa.JSON(), nullable=False),
    sa.Column('cohort_mapping', sa.JSON(), nullable=False),
    sa.Column('sso_only', sa.Boolean(), nullable=False),
    sa.Column('break_glass_user_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['break_glass_user_id'], ['users.id'], name=op.f('fk_company_sign_in_break_glass_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_company_sign_in_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_company_sign_in'))
    )
    op.create_table('company_sign_in_domains',
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['company_sign_in.organisation_id'], name=op.f('fk_company_sign_in_domains_organisation_id_company_sign_in'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('domain', name=op.f('pk_company_sign_in_domains'))
    )
    with op.batch_alter_table('company_sign_in_domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_sign_in_domains_organisation_id'), ['organisation_id'], unique=False)
    op.create_table('provider_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_provider_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provider_identities')),
    sa.UniqueConstraint('issuer', 'subject', name='uq_provider_identities_issuer_subject')
    )
    with op.batch_alter_table('provider_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provider_identities_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('provider_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provider_identities_user_id'))
    op.drop_table('provider_identities')
    with op.batch_alter_table('company_sign_in_domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_sign_in_domains_organisation_id'))
    op.drop_table('company_sign_in_domains')
    op.drop_table('company_sign_in')
