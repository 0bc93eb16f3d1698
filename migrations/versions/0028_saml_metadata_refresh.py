"""SAML metadata from an address is fetched again daily: when it last worked, and why it last failed

Settings saved before this revision have no fetch time: the first run of the job fetches them.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 19:40:11.362094

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('company_sign_in', schema=None) as batch_op:
        batch_op.add_column(sa.Column('saml_metadata_fetched_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('saml_metadata_error', sa.Text(), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('company_sign_in', schema=None) as batch_op:
        batch_op.drop_column('saml_metadata_error')
        batch_op.drop_column('saml_metadata_fetched_at')

