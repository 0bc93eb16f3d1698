#!/usr/bin/env bash
# Wall time of `make test` here against `make test` at an older commit, run one after the
# other (alternating, so a busier moment of a shared machine hurts both alike). Prints figures;
# it is not a test.
#
#   bash bench/suite_time.sh [--same-tests] [BASE_COMMIT] [ROUNDS]      (defaults: e5377d5, 2)
#
# With --same-tests both sides run only the tests whose node ids exist at both commits (each
# side's `pytest --collect-only`, intersected; given to `make test` as pytest's `@file` of ids),
# so the ratio compares the same suite then and now instead of a suite that has grown since.
#
# The older commit is checked out into a scratch worktree with its own .venv (made by its own
# `make install`), kept between runs in $LXP_BENCH_BASE (default /tmp/lxp-bench-base); remove it
# with `git worktree remove --force /tmp/lxp-bench-base`. Both suites run on SQLite, with
# Chromium when /usr/bin/chromium exists. Each line gives the load average just before the
# run, the wall time, what pytest counted, and the ratio of this round's two times.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
same_tests=no
if [ "${1:-}" = --same-tests ]; then
  same_tests=yes
  shift
fi
base_commit=${1:-e5377d5}
rounds=${2:-2}
base=${LXP_BENCH_BASE:-/tmp/lxp-bench-base}
logs=$(mktemp -d)

if [ ! -d "$base" ]; then
  git worktree add --detach "$base" "$base_commit" >/dev/null
fi
make -C "$base" install >/dev/null
make -C "$here" install >/dev/null

# The node ids pytest collects in $1 (sorted), one a line.
collected() {
  (cd "$1" && env -u LXP_TEST_DATABASE_URL -u LXP_TEST_CLOCK -u PYTEST_ADDOPTS \
    .venv/bin/python -m pytest --collect-only -q -p no:cacheprovider 2>/dev/null) | grep '::' | LC_ALL=C sort -u
}

pytest_args=
if [ "$same_tests" = yes ]; then
  collected "$base" >"$logs/base-ids"
  collected "$here" >"$logs/new-ids"
  LC_ALL=C comm -12 "$logs/base-ids" "$logs/new-ids" >"$logs/same-ids"
  pytest_args="@$logs/same-ids"
  echo "same tests: $(wc -l <"$logs/same-ids") node ids at both commits" \
    "(base $(wc -l <"$logs/base-ids"), here $(wc -l <"$logs/new-ids"))"
fi

# Run `make test` in $1; print "<seconds> <load average> <pytest's last line>".
run() {
  local dir=$1 log=$2 load start end
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s.%N)
  # Neither the environment's database nor its clock: both suites on SQLite, now.
  env -u LXP_TEST_DATABASE_URL -u LXP_TEST_CLOCK -u PYTEST_ADDOPTS make -C "$dir" test PYTEST_ARGS="$pytest_args" \
    >"$log" 2>&1 || true
  end=$(date +%s.%N)
  printf '%.0f %s %s\n' "$(echo "$end - $start" | bc)" "$load" \
    "$(grep -E '^=+ .*(passed|failed|error).* =+$' "$log" | tail -1 | tr -d '=' | sed 's/^ *//')"
}

echo "make test: $base_commit ($base) against $(git rev-parse --short HEAD) ($here), $rounds rounds"
echo "machine: $(nproc) CPUs; chromium: $([ -x /usr/bin/chromium ] && echo yes || echo no)"
printf '%-6s %-8s %8s %6s  %s\n' round suite seconds load pytest
ratios=()
for round in $(seq 1 "$rounds"); do
  # Alternate who goes first, so neither always meets the same moment.
  if [ $((round % 2)) -eq 1 ]; then order="base new"; else order="new base"; fi
  for who in $order; do
    if [ "$who" = base ]; then dir=$base; else dir=$here; fi
    read -r seconds load summary < <(run "$dir" "$logs/$who-$round.log")
    printf '%-6s %-8s %8s %6s  %s\n' "$round" "$who" "$seconds" "$load" "$summary"
    eval "${who}_seconds=$seconds"
  done
  ratio=$(echo "scale=2; $new_seconds / $base_seconds" | bc)
  ratios+=("$ratio")
  echo "round $round: new / base = $ratio"
done
echo "ratios (new / base): ${ratios[*]}"
echo "logs: $logs"
