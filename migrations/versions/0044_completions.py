"""Completions: what each learner has done, kept apart from the event log (filled from it)

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-04 07:30:00

"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None

ITEM_VERBS = ("completed", "passed", "failed", "attended", "mastered", "waived")
CHECKS = ("passed", "failed")
FINISHES = ("completed", "passed", "attended")

events = sa.table(
    "learning_events", sa.column("id", sa.Uuid), sa.column("actor_id", sa.Integer), sa.column("verb", sa.String),
    sa.column("object_type", sa.String), sa.column("object_id", sa.String), sa.column("result", sa.JSON),
    sa.column("context", sa.JSON), sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("recorded_at", sa.DateTime(timezone=True)),
)  # fmt: skip
completions = sa.table(
    "completions", sa.column("learner_id", sa.Integer), sa.column("object_type", sa.String),
    sa.column("object_id", sa.String), sa.column("first_at", sa.DateTime(timezone=True)),
    sa.column("finished_at", sa.DateTime(timezone=True)), sa.column("last_finished_at", sa.DateTime(timezone=True)),
    sa.column("check_verb", sa.String), sa.column("check_at", sa.DateTime(timezone=True)),
    sa.column("score", sa.Float), sa.column("checks", sa.Integer), sa.column("failed_competencies", sa.JSON),
    sa.column("placement", sa.Boolean),
)  # fmt: skip


def upgrade():
    op.create_table(
        "completions",
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_verb", sa.String(length=32), nullable=True),
        sa.Column("check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("failed_competencies", sa.JSON(), nullable=True),
        sa.Column("placement", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("learner_id", "object_type", "object_id"),
    )
    backfill(op.get_bind())


def backfill(connection) -> None:
    """Fill the completions from the log as ``paths.learner_state`` read it: voided events left
    out; an item finished, checked or waived, a competency shown; the latest check's verdict."""
    voided = []
    for (object_id,) in connection.execute(sa.select(events.c.object_id).where(events.c.verb == "voided")):
        try:
            voided.append(uuid.UUID(object_id))
        except ValueError:
            continue
    held = [events.c.id.not_in(voided)] if voided else []
    counts = sa.or_(
        sa.and_(events.c.object_type == "item", events.c.verb.in_(ITEM_VERBS)),
        sa.and_(events.c.object_type == "competency", events.c.verb == "mastered"),
    )
    checks = sa.func.sum(sa.case((sa.and_(events.c.object_type == "item", events.c.verb.in_(CHECKS)), 1), else_=0))
    finishes = sa.and_(events.c.object_type == "item", events.c.verb.in_(FINISHES))
    finished = sa.func.min(sa.case((finishes, events.c.occurred_at)))
    last_finished = sa.func.max(sa.case((finishes, events.c.occurred_at)))
    firsts = (
        sa.select(events.c.actor_id, events.c.object_type, events.c.object_id, sa.func.min(events.c.occurred_at),
                  finished, last_finished, checks, sa.false())
        .where(counts, *held).group_by(events.c.actor_id, events.c.object_type, events.c.object_id)
    )  # fmt: skip
    connection.execute(sa.insert(completions).from_select(
        ["learner_id", "object_type", "object_id", "first_at", "finished_at", "last_finished_at", "checks",
         "placement"], firsts))  # fmt: skip
    # The placement flag lives in the event's context: read in Python, the same on both databases.
    shown = connection.execute(
        sa.select(events.c.actor_id, events.c.object_id, events.c.context)
        .where(events.c.object_type == "competency", events.c.verb == "mastered", events.c.context.is_not(None), *held)
    ).all()  # fmt: skip
    placed = sorted({(actor, ref) for actor, ref, context in shown if (context or {}).get("placement")})
    if placed:
        connection.execute(
            sa.update(completions).where(completions.c.learner_id == sa.bindparam("a"),
                                         completions.c.object_type == "competency",
                                         completions.c.object_id == sa.bindparam("o")).values(placement=True),
            [{"a": a, "o": o} for a, o in placed],
        )  # fmt: skip
    order = sa.func.row_number().over(
        partition_by=(events.c.actor_id, events.c.object_id),
        order_by=(events.c.occurred_at.desc(), events.c.recorded_at.desc()),
    )
    latest = (
        sa.select(events.c.actor_id, events.c.object_id, events.c.verb, events.c.occurred_at, events.c.result,
                  order.label("n"))
        .where(events.c.object_type == "item", events.c.verb.in_(CHECKS), *held)
    ).subquery()  # fmt: skip
    rows = connection.execute(sa.select(latest).where(latest.c.n == 1)).all()
    if rows:
        connection.execute(
            sa.update(completions).where(completions.c.learner_id == sa.bindparam("a"),
                                         completions.c.object_type == "item",
                                         completions.c.object_id == sa.bindparam("o"))
            .values(check_verb=sa.bindparam("v"), check_at=sa.bindparam("at"), score=sa.bindparam("s"),
                    failed_competencies=sa.bindparam("f", type_=sa.JSON)),
            [{"a": r.actor_id, "o": r.object_id, "v": r.verb, "at": r.occurred_at, "s": _scaled(r.result),
              "f": _failed(r.result)} for r in rows],
        )  # fmt: skip


def _scaled(result):
    score = (result or {}).get("score")
    value = score.get("scaled") if isinstance(score, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _failed(result):
    extensions = (result or {}).get("extensions")
    found = extensions.get("failed_competencies") if isinstance(extensions, dict) else None
    return sorted(str(c) for c in found) if isinstance(found, list) else []


def downgrade():
    op.drop_table("completions")
