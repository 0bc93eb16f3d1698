"""Two-step sign-in (TOTP, recovery codes, the organisation's requirement); secrets encrypted at rest

Adds the TOTP columns to users, the recovery codes, and the organisation's "require two-step
sign-in" switches; widens the LRS password to text and encrypts every stored one with the key
of ``LXP_ENCRYPTION_KEY`` (``lxp.core.crypto``). Values a key already opens are left alone, so
running it on a partly encrypted table is safe. The downgrade decrypts them again.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 16:20:00

"""
import sqlalchemy as sa
from alembic import op

from lxp.core import crypto

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

_lrs = sa.table("lrs_connections", sa.column("organisation_id", sa.Integer), sa.column("password", sa.Text))


def upgrade():
    # Plain ADD COLUMN, never batch mode: on SQLite a batch "move and copy" drops the table, and
    # with foreign keys on, that deletes every row that refers to it (ON DELETE CASCADE).
    op.add_column("organisations", sa.Column("two_step_for_admins", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("organisations", sa.Column("two_step_for_trainers", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("users", sa.Column("totp_secret", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"], unique=False)
    # Nothing refers to lrs_connections, so recreating it (SQLite) loses nothing.
    with op.batch_alter_table("lrs_connections") as batch_op:
        batch_op.alter_column("password", existing_type=sa.String(length=500), type_=sa.Text(), existing_nullable=False)
    connection = op.get_bind()
    for organisation_id, password in connection.execute(sa.select(_lrs.c.organisation_id, _lrs.c.password)).all():
        if not crypto.is_encrypted(password):
            connection.execute(_lrs.update().where(_lrs.c.organisation_id == organisation_id)
                               .values(password=crypto.encrypt(password)))


def downgrade():
    connection = op.get_bind()
    for organisation_id, password in connection.execute(sa.select(_lrs.c.organisation_id, _lrs.c.password)).all():
        if crypto.is_encrypted(password):
            connection.execute(_lrs.update().where(_lrs.c.organisation_id == organisation_id)
                               .values(password=crypto.decrypt(password)))
    with op.batch_alter_table("lrs_connections") as batch_op:
        batch_op.alter_column("password", existing_type=sa.Text(), type_=sa.String(length=500), existing_nullable=False)
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    # DROP COLUMN (SQLite 3.35+), not batch mode, for the reason given in upgrade().
    for column in ("totp_last_step", "totp_enabled_at", "totp_secret"):
        op.drop_column("users", column)
    for column in ("two_step_for_trainers", "two_step_for_admins"):
        op.drop_column("organisations", column)
