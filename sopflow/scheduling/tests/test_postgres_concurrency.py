"""Two real OS processes sweep the same 1,000 due timers on PostgreSQL: each fires once in effect."""

import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from sopflow.scheduling.models import JobRun, Timer

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 16, 9, 0, tzinfo=SH)
CHILD = Path(__file__).with_name("sweeper_child.py")
ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def _create_timers(prefix: str, start: datetime, spread: timedelta, count: int = 1000) -> None:
    step = spread / count
    Timer.objects.bulk_create(
        Timer(key=f"{prefix}:{n:04d}", kind="test.effect", due_at=start + step * n,
              run_at=start + step * n)
        for n in range(count)
    )


def _sweep_in_two_processes(now: datetime) -> list[int]:
    settings = connection.settings_dict
    url = (f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
           f"{settings['PORT'] or 5432}/{settings['NAME']}")
    env = os.environ | {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    children = [
        subprocess.Popen([sys.executable, str(CHILD), now.isoformat()], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    totals = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-2000:]
        totals.append(int(out.strip().splitlines()[-1]))
    return totals


def _effects(prefix: str) -> Counter[str]:
    return Counter(
        run.arguments["key"] for run in JobRun.objects.filter(name="effect")
        if run.arguments["key"].startswith(prefix)
    )


def test_two_processes_fire_each_of_1000_timers_exactly_once() -> None:
    _require_postgres()
    _create_timers("due", T0 - timedelta(minutes=10), timedelta(minutes=10))

    totals = _sweep_in_two_processes(T0)

    effects = _effects("due")
    assert sum(totals) == 1000
    assert len(effects) == 1000
    assert set(effects.values()) == {1}
    assert Timer.objects.filter(fired_at__isnull=True).count() == 0


def test_two_processes_after_a_two_hour_outage_fire_each_once_in_due_order() -> None:
    _require_postgres()
    _create_timers("outage", T0, timedelta(hours=2))

    totals = _sweep_in_two_processes(T0 + timedelta(hours=2, minutes=1))

    effects = _effects("outage")
    assert sum(totals) == 1000
    assert (len(effects), set(effects.values())) == (1000, {1})
    for worker in {run.arguments["by"] for run in JobRun.objects.filter(name="effect")}:
        keys = [run.arguments["key"] for run in
                JobRun.objects.filter(name="effect", arguments__by=worker).order_by("pk")]
        assert keys == sorted(keys)  # each sweeper walked the backlog in due order
