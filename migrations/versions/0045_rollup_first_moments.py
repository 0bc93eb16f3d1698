"""Rollup baselines: each learner's first moment per station and flag, and each organisation's "rolled up for good until"

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-04 07:35:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None

# As lxp.insights.maths.STATION_VERBS and rollups.FLAGS when this was written.
STATION_VERBS = ("launched", "initialized", "attempted", "completed", "passed", "failed", "attended", "missed",
                 "responded", "retracted", "suspended", "resumed", "terminated")  # fmt: skip
FLAGS = {
    "reached": STATION_VERBS,
    "finished": ("completed", "passed", "attended"),
    "checked": ("passed", "failed"),
    "failed": ("failed",),
    "pulsed": ("responded",),
}

events = sa.table(
    "learning_events", sa.column("id", sa.Uuid), sa.column("actor_id", sa.Integer), sa.column("verb", sa.String),
    sa.column("object_type", sa.String), sa.column("object_id", sa.String),
    sa.column("occurred_at", sa.DateTime(timezone=True)), sa.column("recorded_at", sa.DateTime(timezone=True)),
)  # fmt: skip
marks = sa.table("insight_rollup_marks", sa.column("name", sa.String),
                 sa.column("until_at", sa.DateTime(timezone=True)), sa.column("until_id", sa.Uuid))  # fmt: skip
moments = sa.table("insight_first_moments", sa.column("learner_id", sa.Integer), sa.column("ref", sa.String),
                   sa.column("flag", sa.String), sa.column("first_at", sa.DateTime(timezone=True)))  # fmt: skip


def upgrade():
    op.create_table(
        "insight_first_moments",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("flag", sa.String(length=16), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("learner_id", "ref", "flag"),
    )
    op.create_table(
        "insight_rollups_kept",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("until_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    backfill(op.get_bind())


def backfill(connection) -> None:
    """The first moments of everything the rollups hold: the events up to their mark (what is
    past it is added by the next roll-up, which now keeps this table)."""
    mark = connection.execute(
        sa.select(marks.c.until_at, marks.c.until_id).where(marks.c.name == "journey_map")
    ).first()
    if mark is None or mark.until_at is None:
        return
    rolled = sa.tuple_(events.c.recorded_at, events.c.id) <= sa.tuple_(
        sa.literal(mark.until_at, sa.DateTime(timezone=True)), sa.literal(mark.until_id, sa.Uuid)
    )
    for flag, verbs in FLAGS.items():
        firsts = (
            sa.select(events.c.actor_id, events.c.object_id, sa.literal(flag, sa.String), sa.func.min(events.c.occurred_at))
            .where(events.c.object_type == "item", events.c.verb.in_(verbs), rolled)
            .group_by(events.c.actor_id, events.c.object_id)
        )  # fmt: skip
        connection.execute(sa.insert(moments).from_select(["learner_id", "ref", "flag", "first_at"], firsts))


def downgrade():
    op.drop_table("insight_rollups_kept")
    op.drop_table("insight_first_moments")
