from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sopflow.core.clock import clock
from sopflow.org.models import Company
from sopflow.scheduling import registry
from sopflow.scheduling.models import JobRun, ScheduleFire, ScheduleRule
from sopflow.scheduling.services import fire_due_rules, run_scheduler_tick
from sopflow.worktime.tests.builders import seed_national_2026

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def runs() -> list[registry.RuleRun]:
    calls: list[registry.RuleRun] = []
    registry.register_rule_handler("test.record", calls.append)
    yield calls
    registry.rule_handlers.pop("test.record", None)


def build_rule(company: Company, **overrides: object) -> ScheduleRule:
    values: dict[str, object] = {"company": company, "key": "daily-report-remind",
                                 "time_of_day": time(19), "handler": "test.record",
                                 "payload": {"audience": "sales"}} | overrides
    return ScheduleRule.objects.create(**values)


def test_two_ticks_make_one_fire_and_one_run(
    company: Company, runs: list[registry.RuleRun], django_capture_on_commit_callbacks: object
) -> None:
    seed_national_2026()
    rule = build_rule(company)
    friday_evening = datetime(2026, 3, 13, 19, 0, 30, tzinfo=SH)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        first = run_scheduler_tick(now=friday_evening)
        second = run_scheduler_tick(now=friday_evening + timedelta(seconds=30))

    assert (first["rules"], second["rules"]) == (1, 0)
    fire = ScheduleFire.objects.get()
    assert (fire.rule, str(fire.period_on)) == (rule, "2026-03-13")
    assert fire.job_run is not None
    assert fire.job_run.status == JobRun.Status.SUCCEEDED
    assert [(run.key, run.payload, str(run.period_on)) for run in runs] == [
        ("daily-report-remind", {"audience": "sales"}, "2026-03-13")]


def test_rule_does_not_fire_before_its_time_nor_after_catch_up(
    company: Company, runs: list[registry.RuleRun]
) -> None:
    build_rule(company, catch_up_minutes=60)

    early = fire_due_rules(now=datetime(2026, 3, 13, 18, 59, tzinfo=SH))
    late = fire_due_rules(now=datetime(2026, 3, 13, 20, 1, tzinfo=SH))

    assert (early, late) == (0, 0)
    assert ScheduleFire.objects.exists() is False


def test_working_days_rule_skips_holiday_and_fires_on_makeup_saturday(
    company: Company, runs: list[registry.RuleRun]
) -> None:
    seed_national_2026()
    build_rule(company)

    national_day = fire_due_rules(now=datetime(2026, 10, 1, 19, 5, tzinfo=SH))
    sunday = fire_due_rules(now=datetime(2026, 10, 11, 19, 5, tzinfo=SH))
    makeup_saturday = fire_due_rules(now=datetime(2026, 10, 10, 19, 5, tzinfo=SH))

    assert (national_day, sunday, makeup_saturday) == (0, 0, 1)
    assert [str(day) for day in ScheduleFire.objects.values_list("period_on", flat=True)] == [
        "2026-10-10"]


def test_every_day_rule_fires_on_holidays_too(company: Company, runs: list[registry.RuleRun]) -> None:
    seed_national_2026()
    build_rule(company, days=ScheduleRule.Days.EVERY_DAY)

    assert fire_due_rules(now=datetime(2026, 10, 1, 19, 5, tzinfo=SH)) == 1


def test_failing_rule_job_is_retried_with_backoff_then_failed(
    company: Company, django_capture_on_commit_callbacks: object
) -> None:
    def broken(run: registry.RuleRun) -> None:
        raise RuntimeError("no audience")

    registry.register_rule_handler("test.broken", broken)
    build_rule(company, handler="test.broken", days=ScheduleRule.Days.EVERY_DAY)
    now = datetime(2026, 3, 13, 19, 0, tzinfo=SH)

    with clock.frozen(now), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        run_scheduler_tick(now=now)
    run = JobRun.objects.get()
    first = (run.status, run.attempts, run.next_attempt_at)

    for wait in (1, 5, 30, 120, 720):
        now += timedelta(minutes=wait)
        with clock.frozen(now), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            run_scheduler_tick(now=now)

    registry.rule_handlers.pop("test.broken")
    assert first == (JobRun.Status.RETRYING, 1, datetime(2026, 3, 13, 19, 1, tzinfo=SH))
    run.refresh_from_db()
    assert (run.status, run.attempts) == (JobRun.Status.FAILED, 6)
    assert "no audience" in run.last_error
