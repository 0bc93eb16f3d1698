"""Company sign-in reads the person's department from a claim (OpenID Connect) or an attribute (SAML)

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-04 03:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade():
    # Empty: no department is read (what every organisation had until now).
    with op.batch_alter_table("company_sign_in") as batch:
        batch.add_column(sa.Column("department_claim", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("saml_department_attribute", sa.String(200), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("company_sign_in") as batch:
        batch.drop_column("saml_department_attribute")
        batch.drop_column("department_claim")
