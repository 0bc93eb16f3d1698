"""Course spaces: a thread belongs to a cohort's space or a course's, and the admin's switch per course

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03 22:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "course_space_settings",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["changed_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("course_id"),
    )
    with op.batch_alter_table("space_threads") as batch:
        batch.alter_column("cohort_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("course_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_space_threads_course_id_courses"), "courses", ["course_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_check_constraint("one_space", "(cohort_id IS NULL) <> (course_id IS NULL)")
        batch.create_index("ix_space_threads_course_recent", ["course_id", "last_post_at"])


def downgrade():
    op.execute("DELETE FROM space_threads WHERE cohort_id IS NULL")
    with op.batch_alter_table("space_threads") as batch:
        batch.drop_index("ix_space_threads_course_recent")
        batch.drop_constraint("one_space", type_="check")
        batch.drop_constraint(op.f("fk_space_threads_course_id_courses"), type_="foreignkey")
        batch.drop_column("course_id")
        batch.alter_column("cohort_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("course_space_settings")
