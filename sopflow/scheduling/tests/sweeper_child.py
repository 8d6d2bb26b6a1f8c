"""A separate OS process that sweeps timers (used by the PostgreSQL concurrency test).

Usage: python sweeper_child.py <iso-now>; DATABASE_URL must point at the test database.
Every handler call writes one JobRun(name="effect") row, so duplicates would be visible.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from sopflow.scheduling import registry  # noqa: E402
from sopflow.scheduling.models import JobRun  # noqa: E402
from sopflow.scheduling.services import fire_due_timers, worker_id  # noqa: E402


def record_effect(timer: registry.FiredTimer) -> None:
    JobRun.objects.create(name="effect", arguments={"key": timer.key, "by": worker_id()},
                          created_at=timer.now)


def main() -> None:
    now = datetime.fromisoformat(sys.argv[1])
    registry.register_timer_handler("test.effect", record_effect)
    total = 0
    while True:
        fired = fire_due_timers(now=now, limit=100)
        total += fired
        if fired == 0:
            from sopflow.scheduling.models import Timer

            if not Timer.objects.filter(fired_at__isnull=True, run_at__lte=now).exists():
                break
    sys.stdout.write(f"{total}\n")


if __name__ == "__main__":
    main()
