#!/usr/bin/env bash
# Every goal of issue 20 measured in one run: the benches one after another on the same tree, so
# the README's goals table can quote figures taken together. Prints figures; it is not a test.
# First the machine's yardstick (lxp's CPU a request over the load test's learner tasks in one
# process): this shared machine's speed drifts from day to day, and that figure says by how much.
#
#   bash bench/goals.sh [LOG]        (default /tmp/lxp-goals-<UTC time>.log; about 45 minutes)
#
# Needs PostgreSQL on 127.0.0.1 (scratch databases lxp_bench_goals_*, dropped at the end), wrk,
# and Debian's Chromium for the Kolibri comparison. Run it on a quiet machine: each bench also
# prints its figures as ratios to something measured in the same run, but the load test's p95
# is wall time. The log keeps each bench's whole output under a heading with the load average
# before it; alembic's and the request log's INFO lines are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
log=${1:-/tmp/lxp-goals-$(date -u +%Y%m%dT%H%MZ).log}
python=.venv/bin/python
admin="postgresql+psycopg://postgres@127.0.0.1:5432"

scratch() {  # a fresh, empty database for one bench
  "$python" - "$admin" "$1" <<'EOF'
import sys
from sqlalchemy import create_engine, text
engine = create_engine(sys.argv[1] + "/postgres", isolation_level="AUTOCOMMIT")
with engine.connect() as connection:
    connection.execute(text(f"DROP DATABASE IF EXISTS {sys.argv[2]} WITH (FORCE)"))
    if len(sys.argv) < 4:
        connection.execute(text(f"CREATE DATABASE {sys.argv[2]}"))
EOF
}

step() {  # step TITLE COMMAND...: one bench, its output under a heading
  local title=$1 began
  shift
  began=$(date +%s)
  {
    echo
    echo "===== $title ($(date -u +%H:%M) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)) ====="
    echo "\$ $*"
  } | tee -a "$log"
  "$@" 2>&1 | grep --line-buffered -v -E '^INFO ' | tee -a "$log"
  echo "($(($(date +%s) - began)) s)" | tee -a "$log"
}

{
  echo "issue 20's goals, one run: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' with uncommitted changes'), $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo "$(nproc) cores; $(grep MemTotal /proc/meminfo | tr -s ' ')"
} | tee "$log"

scratch lxp_bench_goals_mix
step "the machine's yardstick: CPU ms a request over the learner mix, in one process" \
  "$python" bench/profile_pages.py --database-url "$admin/lxp_bench_goals_mix" --requests 10 --only none --mix 3000
scratch lxp_bench_goals_mix drop
step "shares of the trivial endpoint, statements, worker and scheduler memory" "$python" bench/compare.py
step "planner over 2,000 items" "$python" bench/planner.py
step "memory: web workers (PSS, RSS, USS) and the scheduler" "$python" bench/memory.py
scratch lxp_bench_goals_map
step "journey map: 10,000 learners, about 1 M events" \
  "$python" bench/insights.py --database-url "$admin/lxp_bench_goals_map"
scratch lxp_bench_goals_map
step "journey map: 100,000 learners, about 10 M events" \
  "$python" bench/insights.py --learners 100000 --everyone-only --database-url "$admin/lxp_bench_goals_map"
scratch lxp_bench_goals_map drop
step "whole learner visits beside Kolibri, bytes of a repeat visit" "$python" bench/peer_kolibri.py
step "300 learners at once" "$python" bench/load.py --users 300
echo | tee -a "$log"
echo "log: $log"
