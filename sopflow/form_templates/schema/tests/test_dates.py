from datetime import date

from sopflow.form_templates.schema.dates import Duration, WeekdayCalendar, count_days

from .builders import StatutoryCalendar


def test_s3_leave_counts_four_working_days_when_calendar_knows_national_day() -> None:
    duration = count_days(date(2026, 9, 30), date(2026, 10, 10), StatutoryCalendar())

    assert duration == Duration(calendar_days=11, working_days=4)


def test_s3_leave_counts_weekdays_when_calendar_is_the_monday_to_friday_fallback() -> None:
    duration = count_days(date(2026, 9, 30), date(2026, 10, 10), WeekdayCalendar())

    assert duration == Duration(calendar_days=11, working_days=8)


def test_single_day_counts_one_when_start_equals_end() -> None:
    assert count_days(date(2026, 9, 30), date(2026, 9, 30), WeekdayCalendar()) == Duration(1, 1)


def test_weekend_day_counts_no_working_day_when_range_is_a_saturday() -> None:
    assert count_days(date(2026, 10, 3), date(2026, 10, 3), WeekdayCalendar()) == Duration(1, 0)


def test_nothing_is_counted_when_end_is_before_start() -> None:
    assert count_days(date(2026, 10, 2), date(2026, 10, 1), WeekdayCalendar()) == Duration(0, 0)
