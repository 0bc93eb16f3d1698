"""cmi5: the statements an AU sent, kept per attempt; the learner preferences an AU wrote

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-04 03:30:00

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "package_statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("verb", sa.String(length=500), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["package_attempts.id"],
            name=op.f("fk_package_statements_attempt_id_package_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_statements")),
        sa.UniqueConstraint("attempt_id", "statement_id", name=op.f("uq_package_statements_attempt_id")),
    )
    with op.batch_alter_table("package_statements") as batch:
        batch.create_index(batch.f("ix_package_statements_attempt_id"), ["attempt_id"], unique=False)
    op.create_table(
        "package_learner_preferences",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["users.id"],
            name=op.f("fk_package_learner_preferences_learner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("learner_id", name=op.f("pk_package_learner_preferences")),
    )


def downgrade():
    op.drop_table("package_learner_preferences")
    with op.batch_alter_table("package_statements") as batch:
        batch.drop_index(batch.f("ix_package_statements_attempt_id"))
    op.drop_table("package_statements")
