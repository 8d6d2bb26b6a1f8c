from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from sopflow.audit.models import AuditEvent
from sopflow.core.errors import Forbidden
from sopflow.form_templates.schema.dates import count_days
from sopflow.org.models import Company, User
from sopflow.worktime import queries, services
from sopflow.worktime.calendar import CompanyCalendar, DurationUnit, WorkDuration, calendar_for
from sopflow.worktime.models import CalendarDay

from .builders import seed_national_2026

SH = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)


@pytest.fixture
def national_2026(db: None) -> None:
    seed_national_2026()


def test_s3_leave_across_national_day_counts_four_working_days(
    national_2026: None, company: Company
) -> None:
    calendar = calendar_for(company)

    days = calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 10))

    assert days == 4
    assert [calendar.is_working_day(date(2026, 10, d)) for d in (1, 7, 8, 9, 10, 11)] == [
        False, False, True, True, True, False]


def test_calendar_satisfies_the_form_schema_protocol(national_2026: None) -> None:
    duration = count_days(date(2026, 9, 30), date(2026, 10, 10), calendar_for(None))

    assert (duration.calendar_days, duration.working_days) == (11, 4)


def test_two_working_days_from_friday_evening_land_on_tuesday(national_2026: None) -> None:
    calendar = calendar_for(None)

    deadline = calendar.add_working_days(at(2026, 3, 13, 17, 0), 2)

    assert deadline == at(2026, 3, 17, 17, 0)


def test_two_working_days_across_national_day_land_on_october_ninth(national_2026: None) -> None:
    deadline = WorkDuration.parse("2 working days").after(at(2026, 9, 30, 10, 0), calendar_for(None))

    assert deadline == at(2026, 10, 9, 10, 0)


def test_working_hours_skip_lunch_nights_and_weekends() -> None:
    calendar = CompanyCalendar()

    assert calendar.add_working_hours(at(2026, 3, 13, 11, 0), 2) == at(2026, 3, 13, 14, 30)
    assert calendar.add_working_hours(at(2026, 3, 13, 16, 0), 2) == at(2026, 3, 13, 18, 0)
    assert calendar.add_working_hours(at(2026, 3, 13, 17, 0), 2) == at(2026, 3, 16, 10, 0)
    assert calendar.add_working_hours(at(2026, 3, 14, 20, 0), Decimal("0.5")) == at(2026, 3, 16, 9, 30)
    assert calendar.add_working_hours(at(2026, 3, 16, 7, 0), 7.5) == at(2026, 3, 16, 18, 0)


def test_clock_hours_ignore_the_calendar_and_urgent_halves_the_duration() -> None:
    calendar = CompanyCalendar()
    urgent = WorkDuration.parse("48 hours").halved()

    assert urgent == WorkDuration(Decimal(24), DurationUnit.HOURS)
    assert urgent.after(at(2026, 3, 13, 17, 0), calendar) == at(2026, 3, 14, 17, 0)
    assert str(WorkDuration.parse("2 working days")) == "2个工作日"
    assert WorkDuration.from_dict(WorkDuration.parse("3 working hours").to_dict()) == WorkDuration(
        Decimal(3), DurationUnit.WORKING_HOURS)


def test_half_a_working_day_is_half_the_working_hours_of_a_day() -> None:
    calendar = CompanyCalendar()

    deadline = WorkDuration.parse("1 working day").halved().after(at(2026, 3, 16, 9, 0), calendar)

    assert deadline == at(2026, 3, 16, 14, 15)  # 3.75 working hours: 09:00–12:00, 13:30–14:15


def test_sync_is_idempotent_and_maps_names(db: None) -> None:
    first = services.sync_national_days(years=[2026])

    second = services.sync_national_days(years=[2026])

    assert (first[0].created, first[0].available) == (39, True)
    assert (second[0].created, second[0].updated, second[0].removed) == (0, 0, 0)
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).name == "国庆节调休上班"
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).name == "国庆节"
    assert AuditEvent.objects.filter(action="worktime.national_days.synced").count() == 1


def test_sync_reports_unknown_year_without_guessing(db: None) -> None:
    call_command("sync_cn_calendar", "--years", "2027", verbosity=0)

    assert services.sync_national_days(years=[2027])[0].available is False
    assert CalendarDay.objects.filter(date__year=2027).exists() is False


def test_company_day_overrides_national_and_is_audited(
    national_2026: None, company: Company, hr_admin: User
) -> None:
    services.set_day(actor=hr_admin, company=company, day=date(2026, 10, 9), kind="holiday",
                     name="公司年会")

    calendar = calendar_for(company)
    assert calendar.is_working_day(date(2026, 10, 9)) is False
    assert calendar_for(None).is_working_day(date(2026, 10, 9)) is True
    event = AuditEvent.objects.get(action="worktime.day.set")
    assert (event.actor, event.company_id) == (hr_admin, company.pk)


def test_employee_cannot_edit_company_days(company: Company, alice: User) -> None:
    with pytest.raises(Forbidden):
        services.set_day(actor=alice, company=company, day=date(2026, 10, 9), kind="holiday")

    assert CalendarDay.objects.exists() is False
    assert AuditEvent.objects.exists() is False


def test_settings_change_working_hours(company: Company, hr_admin: User) -> None:
    services.update_settings(actor=hr_admin, company=company, timezone="Asia/Shanghai",
                             working_periods=[["08:30", "12:00"], ["13:00", "17:30"]],
                             weekend_days=[6], quiet_start=time(21), quiet_end=time(7))

    calendar = calendar_for(company)
    assert calendar.is_working_day(date(2026, 3, 14)) is True  # Saturday is now a working day
    assert calendar.add_working_hours(at(2026, 3, 13, 11, 0), 2) == at(2026, 3, 13, 14, 0)
    assert calendar.is_quiet_time(at(2026, 3, 13, 21, 30)) is True


def test_next_year_warning_starts_on_first_of_december(national_2026: None) -> None:
    assert queries.year_missing_holiday_data(now=at(2026, 11, 30, 23, 59)) is None
    assert queries.year_missing_holiday_data(now=at(2026, 12, 1, 0, 0)) == 2027


def test_next_year_warning_stops_once_dates_are_entered(national_2026: None, admin: User) -> None:
    services.set_day(actor=admin, company=None, day=date(2027, 1, 1), kind="holiday", name="元旦")

    assert queries.year_missing_holiday_data(now=at(2026, 12, 1, 9, 0)) is None


def test_quiet_hours_move_delivery_to_the_next_morning(national_2026: None) -> None:
    calendar = calendar_for(None)

    assert calendar.next_delivery_moment(at(2026, 3, 13, 23, 0)) == at(2026, 3, 14, 8, 0)
    assert calendar.next_delivery_moment(at(2026, 3, 14, 6, 0)) == at(2026, 3, 14, 8, 0)
    assert calendar.next_delivery_moment(at(2026, 3, 13, 15, 0)) == at(2026, 3, 13, 15, 0)
    assert calendar.next_delivery_moment(
        at(2026, 9, 30, 23, 0), working_days_only=True) == at(2026, 10, 8, 8, 0)


def test_special_days_are_read_only_when_a_working_day_is_asked_about(
        national_2026: None, company: Company) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as quiet_hours_only:
        calendar = calendar_for(company)
        moment = calendar.next_delivery_moment(at(2026, 10, 1, 15, 0))
    with CaptureQueriesContext(connection) as working_days:
        holiday = calendar.is_working_day(date(2026, 10, 1))
        makeup = calendar.is_working_day(date(2026, 10, 10))

    # Quiet hours need the settings row only (every e-mail notice asks this); the national
    # days are read once, on the first working-day question, and still count.
    assert (len(quiet_hours_only.captured_queries), moment) == (1, at(2026, 10, 1, 15, 0))
    assert (len(working_days.captured_queries), holiday, makeup) == (1, False, True)
