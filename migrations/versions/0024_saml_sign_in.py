"""Company sign-in with SAML 2.0: the protocol and the provider's metadata and attribute names,
the requests lxp issued and the assertions it has seen

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 17:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('company_sign_in', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol', sa.String(length=10), server_default='oidc', nullable=False))
        batch_op.add_column(sa.Column('saml_metadata_url', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('saml_metadata', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('saml_email_attribute', sa.String(length=200), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('saml_name_attribute', sa.String(length=200), server_default='name', nullable=False))
        batch_op.add_column(sa.Column('saml_groups_attribute', sa.String(length=200), server_default='groups', nullable=False))
        batch_op.add_column(sa.Column('saml_locale_attribute', sa.String(length=200), server_default='locale', nullable=False))
    op.create_table('saml_requests',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('relay_state', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_saml_requests_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saml_requests'))
    )
    with op.batch_alter_table('saml_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saml_requests_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_saml_requests_organisation_id'), ['organisation_id'], unique=False)
    op.create_table('saml_assertions_seen',
    sa.Column('assertion_id', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('not_on_or_after', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_saml_assertions_seen_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assertion_id', name=op.f('pk_saml_assertions_seen'))
    )
    with op.batch_alter_table('saml_assertions_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saml_assertions_seen_not_on_or_after'), ['not_on_or_after'], unique=False)
        batch_op.create_index(batch_op.f('ix_saml_assertions_seen_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('saml_assertions_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saml_assertions_seen_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_saml_assertions_seen_not_on_or_after'))
    op.drop_table('saml_assertions_seen')
    with op.batch_alter_table('saml_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saml_requests_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_saml_requests_expires_at'))
    op.drop_table('saml_requests')
    with op.batch_alter_table('company_sign_in', schema=None) as batch_op:
        for column in ('saml_locale_attribute', 'saml_groups_attribute', 'saml_name_attribute', 'saml_email_attribute',
                       'saml_metadata', 'saml_metadata_url', 'protocol'):
            batch_op.drop_column(column)
