from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sopflow.scheduling import registry
from sopflow.scheduling.models import Timer
from sopflow.scheduling.services import cancel_timer, fire_due_timers, schedule_timer

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 13, 17, 0, tzinfo=SH)


@pytest.fixture
def fired() -> list[registry.FiredTimer]:
    calls: list[registry.FiredTimer] = []
    registry.register_timer_handler("test.record", calls.append)
    yield calls
    registry.timer_handlers.pop("test.record", None)


def test_due_timer_fires_once_and_second_sweep_does_nothing(
    db: None, fired: list[registry.FiredTimer]
) -> None:
    schedule_timer(key="deadline:1", kind="test.record", due_at=T0 + timedelta(days=2),
                   payload={"task": 1})

    early = fire_due_timers(now=T0 + timedelta(days=2) - timedelta(seconds=1))
    first = fire_due_timers(now=T0 + timedelta(days=2, minutes=1))
    second = fire_due_timers(now=T0 + timedelta(days=2, minutes=2))

    assert (early, first, second) == (0, 1, 0)
    assert len(fired) == 1
    assert fired[0].payload == {"task": 1}
    assert fired[0].lateness == timedelta(minutes=1)
    timer = Timer.objects.get(key="deadline:1")
    assert (timer.fired_at, timer.attempts) == (T0 + timedelta(days=2, minutes=1), 1)


def test_cancelled_timer_never_fires(db: None, fired: list[registry.FiredTimer]) -> None:
    schedule_timer(key="deadline:2", kind="test.record", due_at=T0)

    assert cancel_timer("deadline:2", now=T0 - timedelta(minutes=1)) is True
    assert fire_due_timers(now=T0 + timedelta(hours=1)) == 0
    assert fired == []
    assert cancel_timer("deadline:2") is False


def test_rescheduling_moves_the_due_time(db: None, fired: list[registry.FiredTimer]) -> None:
    schedule_timer(key="deadline:3", kind="test.record", due_at=T0)
    schedule_timer(key="deadline:3", kind="test.record", due_at=T0 + timedelta(hours=2))

    assert fire_due_timers(now=T0 + timedelta(hours=1)) == 0
    assert fire_due_timers(now=T0 + timedelta(hours=2)) == 1
    assert Timer.objects.count() == 1


def test_handler_failure_rolls_back_the_claim_and_retries_after_backoff(db: None) -> None:
    calls: list[datetime] = []

    def flaky(timer: registry.FiredTimer) -> None:
        calls.append(timer.now)
        Timer.objects.create(key=f"side-effect:{len(calls)}", kind="x", due_at=T0, run_at=T0)
        if len(calls) == 1:
            raise RuntimeError("mail server down")

    registry.register_timer_handler("test.flaky", flaky)
    schedule_timer(key="deadline:4", kind="test.flaky", due_at=T0)

    fire_due_timers(now=T0)
    failed = Timer.objects.get(key="deadline:4")
    too_soon = fire_due_timers(now=T0 + timedelta(seconds=59))
    retried = fire_due_timers(now=T0 + timedelta(minutes=1))

    registry.timer_handlers.pop("test.flaky")
    assert (failed.fired_at, failed.attempts, failed.run_at) == (None, 1, T0 + timedelta(minutes=1))
    assert "mail server down" in failed.last_error
    assert (too_soon, retried) == (0, 1)
    assert calls == [T0, T0 + timedelta(minutes=1)]
    # The failed try's side effect was rolled back with the claim.
    assert list(Timer.objects.filter(key__startswith="side-effect").values_list("key", flat=True)) == [
        "side-effect:2"]
    timer = Timer.objects.get(key="deadline:4")
    assert (timer.fired_at, timer.attempts) == (T0 + timedelta(minutes=1), 2)


def test_timer_without_handler_is_marked_failed_after_the_last_try(db: None) -> None:
    schedule_timer(key="deadline:5", kind="test.unknown", due_at=T0)
    now = T0

    for wait in (0, 1, 5, 30, 120, 720):
        now += timedelta(minutes=wait)
        fire_due_timers(now=now)

    timer = Timer.objects.get(key="deadline:5")
    assert (timer.attempts, timer.failed_at, timer.fired_at) == (6, now, None)
    assert fire_due_timers(now=now + timedelta(days=1)) == 0


def test_after_an_outage_overdue_timers_fire_in_due_order(
    db: None, fired: list[registry.FiredTimer]
) -> None:
    for minute in reversed(range(100)):
        schedule_timer(key=f"reminder:{minute:03d}", kind="test.record",
                       due_at=T0 + timedelta(minutes=minute))

    count = fire_due_timers(now=T0 + timedelta(hours=5))

    assert count == 100
    assert [timer.key for timer in fired] == [f"reminder:{minute:03d}" for minute in range(100)]
    assert fired[0].lateness == timedelta(hours=5)
    assert fire_due_timers(now=T0 + timedelta(hours=6)) == 0
