"""Rollups for the journey map: station-days, learners' latest moments, the high-water mark

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 17:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "insight_station_days",
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.Column("finished", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("pulsed", sa.Integer(), nullable=False),
        sa.Column("moods", sa.JSON(), nullable=False),
        sa.Column("effort_total", sa.Integer(), nullable=False),
        sa.Column("effort_answers", sa.Integer(), nullable=False),
        sa.Column("durations", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("ref", "day"),
    )
    op.create_index("ix_insight_station_days_course_id", "insight_station_days", ["course_id"])
    op.create_table(
        "insight_learner_ends",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_refs", sa.JSON(), nullable=False),
        sa.Column("finished_refs", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("course_id", "learner_id"),
    )
    op.create_table(
        "insight_rollup_marks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("until_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("until_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    # The first run of the job (or `flask lxp insights rollup`) rolls up the existing log.


def downgrade():
    op.drop_table("insight_rollup_marks")
    op.drop_table("insight_learner_ends")
    op.drop_index("ix_insight_station_days_course_id", table_name="insight_station_days")
    op.drop_table("insight_station_days")
