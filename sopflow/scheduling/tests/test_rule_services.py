"""create_rule / set_rule_active: who may, what is checked, and that refusals change nothing."""

from __future__ import annotations

from datetime import time

import pytest

import sopflow.notify.jobs  # noqa: F401  (registers the "notify.reminder" rule kind)
from sopflow.audit.models import AuditEvent
from sopflow.core.errors import Forbidden, ValidationFailed
from sopflow.notify.services import create_reminder_rule
from sopflow.org.models import Company, User
from sopflow.org.tests.builders import build_company, build_department
from sopflow.scheduling.models import ScheduleRule
from sopflow.scheduling.services import create_rule, set_rule_active


def _rule(actor: User, company: Company, **overrides: object) -> ScheduleRule:
    values: dict[str, object] = {"name": "日报提醒", "time_of_day": time(19), "days": "working",
                                 "handler": "notify.reminder", "payload": {"user_ids": []}}
    return create_rule(actor=actor, company=company, **(values | overrides))  # type: ignore[arg-type]  # test helper


def test_admin_creates_rule_with_generated_key_and_audit_row(admin: User, company: Company) -> None:
    rule = _rule(admin, company)

    assert rule.key.startswith("notify-reminder-")
    assert AuditEvent.objects.get(action="scheduling.rule.created").object_id == str(rule.pk)


@pytest.mark.parametrize(("case", "overrides", "field"), [
    ("unknown handler", {"handler": "nope"}, "handler"),
    ("bad days", {"days": "weekly"}, "days"),
    ("blank name", {"name": "  "}, "name"),
])
def test_invalid_rule_is_refused(case: str, overrides: dict[str, object], field: str,
                                 admin: User, company: Company) -> None:
    with pytest.raises(ValidationFailed) as refusal:
        _rule(admin, company, **overrides)

    assert refusal.value.field == field
    assert ScheduleRule.objects.exists() is False


def test_employee_cannot_create_or_toggle_rules(admin: User, alice: User, company: Company) -> None:
    rule = _rule(admin, company)

    with pytest.raises(Forbidden):
        _rule(alice, company)
    with pytest.raises(Forbidden):
        set_rule_active(actor=alice, rule=rule, is_active=False)

    assert list(ScheduleRule.objects.values_list("is_active", flat=True)) == [True]


def test_toggle_to_the_same_state_writes_nothing(admin: User, company: Company) -> None:
    rule = _rule(admin, company)

    set_rule_active(actor=admin, rule=rule, is_active=True)

    assert AuditEvent.objects.filter(action="scheduling.rule.updated").exists() is False


def test_reminder_rule_includes_sub_departments_and_skips_disabled_people(
    admin: User, company: Company, bob: User, alice: User,
) -> None:
    from sopflow.org.tests.builders import build_user

    marketing = bob.department
    assert marketing is not None
    team = build_department(company, name="华北组", code="north", parent=marketing)
    member = build_user(company, department=team)
    build_user(company, department=team, is_active=False)

    rule = create_reminder_rule(actor=admin, company=company, name="周报", time_of_day=time(17),
                                days="every_day", title="请交周报", department_ids=[marketing.pk])

    assert rule.payload["user_ids"] == sorted([alice.pk, bob.pk, member.pk])
    assert rule.payload["days"] == "every_day"


def test_reminder_rule_refuses_another_companys_department(admin: User, company: Company) -> None:
    foreign = build_department(build_company())

    with pytest.raises(ValidationFailed):
        create_reminder_rule(actor=admin, company=company, name="x", time_of_day=time(17),
                             days="working", title="x", department_ids=[foreign.pk])

    assert ScheduleRule.objects.exists() is False


def test_reminder_reaches_people_who_joined_the_audience_after_the_rule_was_made(
    admin: User, company: Company, bob: User, alice: User,
) -> None:
    from datetime import date

    from sopflow.notify.jobs import send_reminder_rule
    from sopflow.notify.models import Notification
    from sopflow.org.tests.builders import build_user
    from sopflow.scheduling.registry import RuleRun

    marketing = bob.department
    rule = create_reminder_rule(actor=admin, company=company, name="日报", time_of_day=time(19),
                                days="every_day", title="请交日报", department_ids=[marketing.pk])
    newcomer = build_user(company, department=marketing)

    send_reminder_rule(RuleRun(rule_id=rule.pk, company_id=company.pk, key=rule.key,
                               payload=rule.payload, period_on=date(2026, 11, 23)))

    reminded = set(Notification.objects.filter(kind="schedule.reminder").values_list(
        "recipient_id", flat=True))
    assert reminded == {alice.pk, bob.pk, newcomer.pk}
