"""Write the briefings of chosen RealTime QA dev days as Markdown, one file a day, for reading.

Used for editor reads and blind A/B comparisons of briefing changes: run it on two commits
(``git worktree``) with the same days and compare the folders. Each day is built on a fresh
store that holds that day's articles (the seeds and eval corpus too, as the suites do).

    python bench/tools/briefing_days.py --out /tmp/before 2025-01-06 2025-01-13
    python bench/tools/briefing_days.py --out /tmp/busy --busiest 8 --skip-suites
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from qa.evals import realtimeqa  # noqa: E402
from qa.evals.runner import bench_dir, in_process_target  # noqa: E402


def suite_days() -> set[str]:
    """Days some briefing suite is written about: not for blind reads."""
    days: set[str] = set()
    for f in (REPO / "evals").glob("briefings*/*.yaml"):
        days |= set(re.findall(r'date: "(\d{4}-\d\d-\d\d)"', f.read_text()))
    return days


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("days", nargs="*", help="YYYY-MM-DD")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--busiest", type=int, default=0, help="add the N busiest days (by article count)")
    p.add_argument("--skip-suites", action="store_true", help="leave out days a briefing suite is about")
    p.add_argument("--skip", type=int, default=0, help="with --busiest: skip the first N busiest days")
    args = p.parse_args()

    articles = realtimeqa.load_articles(bench_dir())
    days = [dt.date.fromisoformat(d) for d in args.days]
    if args.busiest:
        used = suite_days() if args.skip_suites else set()
        counts = collections.Counter(a.published_date for a in articles if a.published_date)
        ranked = [d for d, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if d.isoformat() not in used]
        days += ranked[args.skip : args.skip + args.busiest]
    wanted = set(days)
    chosen = [a for a in articles if a.published_date in wanted]
    args.out.mkdir(parents=True, exist_ok=True)
    with in_process_target("extractive", extra=chosen) as target:
        for day in days:
            t0 = time.perf_counter()
            r = target.client.get("/briefing", params={"date": day.isoformat(), "format": "md"})
            r.raise_for_status()
            (args.out / f"{day.isoformat()}.md").write_text(r.text)
            print(f"{day}: {len(r.text)} chars, {(time.perf_counter() - t0) * 1000:.0f} ms", file=sys.stderr)


if __name__ == "__main__":
    main()
