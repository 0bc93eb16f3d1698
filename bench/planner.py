"""How long the path planner takes over a large catalogue.

Prints figures; it is not a test. Target (issue 4): a plan over 2,000 items in under 20 ms.

    .venv/bin/python bench/planner.py [--items 2000] [--runs 50]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, timedelta

from lxp.paths.planner import MODALITIES, Calendar, CatalogueItem, FailedCheck, Goal, LearnerState, plan


def catalogue(size: int, competencies: int, rng: random.Random) -> list[CatalogueItem]:
    """Courses of 20 items: lessons teach, checks assess, with prerequisites and live stand-ins."""
    items = []
    for n in range(size):
        course, position = divmod(n, 20)
        comps = frozenset(f"c{(course * 3 + position // 7 + k) % competencies}" for k in range(rng.randint(1, 2)))
        is_check = position % 4 == 3
        modality = "live" if position % 10 == 5 else rng.choice(list(MODALITIES[:1] * 6) + list(MODALITIES))
        items.append(CatalogueItem(
            ref=f"{course}:{position}", title=f"Course {course}, item {position}", kind="quiz" if is_check else "lesson",
            modality=modality, minutes=rng.randint(2, 10) if modality == "self_paced" else rng.randint(30, 90),
            order=n, teaches=frozenset() if is_check else comps, assesses=comps if is_check else frozenset(),
            prerequisites=(f"{course}:{position - 1}",) if position and rng.random() < 0.6 else (),
            alternatives=(f"{course}:{position + 1}",) if modality == "live" and position < 19 else (),
        ))  # fmt: skip
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--competencies", type=int, default=300)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(42)
    items = catalogue(args.items, args.competencies, rng)
    goals = [
        Goal(f"g{n}", f"Goal {n}", frozenset(f"c{rng.randrange(args.competencies)}" for _ in range(12)))
        for n in range(3)
    ]
    start = date(2026, 11, 23)
    state = LearnerState(
        mastered=frozenset(f"c{n}" for n in range(0, args.competencies, 9)),
        completed=frozenset(i.ref for i in items[:40]),
        failed_checks=(FailedCheck(items[3].ref, items[3].assesses),),
    )
    live = tuple((i.ref, (start + timedelta(days=rng.randint(0, 60)),)) for i in items if i.modality == "live")
    calendar = Calendar(start=start, weekly_minutes=90, target=start + timedelta(weeks=8), live_dates=live,
                        preferred_modalities=frozenset({"self_paced", "live", "on_the_job"}))  # fmt: skip

    timings = []
    for _ in range(args.runs):
        began = time.perf_counter()
        result = plan(goals, items, state, calendar)
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    print(
        f"catalogue: {len(items)} items, {args.competencies} competencies; goals target "
        f"{len(set().union(*(g.competencies for g in goals)))} competencies"
    )
    print(
        f"plan: {len(result.steps)} steps, {len(result.skipped)} skipped, {len(result.unmet)} unmet, "
        f"reachable={result.feasibility.reachable}"
    )
    print(
        f"time per plan over {args.runs} runs: median {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, max {timings[-1]:.1f} ms (target < 20 ms)"
    )


if __name__ == "__main__":
    main()
