"""Insights: two PostgreSQL indexes that let the journey map read a million events in under a second

The journey map groups the events on a course's items per learner and station, and reads time
on task, mood and effort from the results of finishes and pulses. Both indexes cover what
those statements read, so PostgreSQL answers them from the index alone (an index-only scan):
no table pages, and no JSON parsed at read time. They are partial (only the verbs the map
reads), so the ``progressed`` pings of a player do not grow them.

PostgreSQL only: SQLite has no INCLUDE columns, and it is not where the volume lives. The
models do not declare them; ``lxp.insights.indexes.include_object`` keeps autogenerate from
proposing to drop them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24 00:48:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

STATION_VERBS = ("'launched', 'initialized', 'attempted', 'completed', 'passed', 'failed', 'attended', 'missed', "
                 "'responded', 'retracted', 'suspended', 'resumed', 'terminated'")
MEASURE_VERBS = "'completed', 'passed', 'attended', 'responded'"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_learning_events_station_visits ON learning_events "
        "(object_type, object_id, actor_id, verb, occurred_at) "
        f"WHERE verb IN ({STATION_VERBS})"
    )
    op.execute(
        "CREATE INDEX ix_learning_events_station_measures ON learning_events "
        "(object_type, object_id, verb, (result #>> '{duration}'), ((result #>> '{extensions,mood}')::integer), "
        "((result #>> '{extensions,effort}')::integer)) INCLUDE (actor_id, occurred_at, result) "
        f"WHERE verb IN ({MEASURE_VERBS})"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_learning_events_station_measures", table_name="learning_events")
    op.drop_index("ix_learning_events_station_visits", table_name="learning_events")
