"""Deadlines, reminders, escalation and delegation, by time travel (`clock.set`, never sleep).

Timers are `scheduling.Timer` rows fired by `fire_due_timers(now=...)`, which runs them through
`services.fire_timer` → engine `TimerFired` (the same service path as a person's action).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sopflow.core.clock import clock
from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.tests.builders import EXPENSE_VALUES, build_submission
from sopflow.notify.models import Delivery, Notification
from sopflow.org.delegation_services import create_delegation
from sopflow.org.models import Company, User
from sopflow.org.tests.builders import build_user
from sopflow.scheduling.models import Timer
from sopflow.scheduling.services import fire_due_timers, run_scheduler_tick
from sopflow.workflow import queries, services
from sopflow.workflow.models import ApprovalTask, Instance, InstanceEvent
from sopflow.worktime.tests.builders import seed_national_2026

from .builders import approver, flow_template, open_task, running_instance

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
FRIDAY_10 = datetime(2026, 3, 13, 10, 0, tzinfo=SH)
TUESDAY_10 = datetime(2026, 3, 17, 10, 0, tzinfo=SH)

S2_DEADLINE = {"working_days": 2, "urgent_hours": 24, "on_due": [
    {"after_hours": 0, "action": "notify", "notify": ["assignee"]},
    {"after_hours": 4, "action": "notify", "notify": ["manager"]}]}


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)


@pytest.fixture(autouse=True)
def _calendar_and_clock(db: None) -> Iterator[None]:
    seed_national_2026()
    clock.set(FRIDAY_10)
    yield
    clock.unfreeze()


@pytest.fixture
def boss(company: Company, bob: User) -> User:
    """bob's manager, who hears about bob's overdue approvals."""
    boss = build_user(company, employee_no="Z001", name="赵总", email="boss@example.cn")
    User.objects.filter(pk=bob.pk).update(manager=boss, email="bob@example.cn")
    return boss


def one_step(company: Company, deadline: dict[str, Any] | None = None, *,
             child: dict[str, Any] | None = None, **template: Any) -> FormTemplate:
    return flow_template(company, {"type": "start", "id": "start", "name": "发起人", "child": approver(
        "head", "部门负责人审核", {"type": "department_head", "level": 0},
        deadline=copy.deepcopy(deadline or S2_DEADLINE), child=child)}, **template)


def submit(initiator: User, template: FormTemplate, *, urgent: bool = False) -> Instance:
    if not urgent:
        return running_instance(initiator, template)
    draft = build_submission(initiator, template, values=copy.deepcopy(EXPENSE_VALUES))
    return services.submit_for_approval(actor=initiator, submission_id=draft.pk, urgent=True)


def live_timers(instance: Instance) -> list[tuple[str, datetime]]:
    return list(Timer.objects.filter(
        key__startswith=f"wf:{instance.pk}:", fired_at__isnull=True, cancelled_at__isnull=True,
    ).order_by("due_at").values_list("key", "due_at"))


def tick(moment: datetime) -> int:
    clock.set(moment)
    return fire_due_timers(now=moment)


def notified(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__name", flat=True))


# --- due times --------------------------------------------------------------------------------


def test_s2_two_working_days_from_friday_are_due_on_tuesday(
        company: Company, alice: User, bob: User) -> None:
    instance = submit(alice, one_step(company))

    task = open_task(instance, bob)
    assert task.due_at == TUESDAY_10
    assert live_timers(instance) == [(f"wf:{instance.pk}:t1:0", TUESDAY_10)]


def test_s2_two_working_days_across_national_day_are_due_on_october_ninth(
        company: Company, alice: User, bob: User) -> None:
    clock.set(at(2026, 9, 30, 10, 0))  # 10-01..07 holidays; 10-08, 10-09 working days

    instance = submit(alice, one_step(company))

    assert open_task(instance, bob).due_at == at(2026, 10, 9, 10, 0)


def test_urgent_item_gets_the_nodes_24_hours(company: Company, alice: User, bob: User) -> None:
    instance = submit(alice, one_step(company), urgent=True)

    assert open_task(instance, bob).due_at == FRIDAY_10 + timedelta(hours=24)


def test_urgent_without_its_own_value_halves_the_deadline(
        company: Company, alice: User, bob: User) -> None:
    deadline = dict(S2_DEADLINE, urgent_hours=None)

    instance = submit(alice, one_step(company, deadline), urgent=True)

    assert open_task(instance, bob).due_at == at(2026, 3, 16, 10, 0)  # 1 working day: Monday


def test_working_hours_deadline_skips_lunch_and_the_weekend(
        company: Company, alice: User, bob: User) -> None:
    clock.set(at(2026, 3, 13, 16, 0))
    deadline = {"working_hours": 4, "on_due": S2_DEADLINE["on_due"]}

    instance = submit(alice, one_step(company, deadline))

    # 16:00–18:00 Friday, then 09:00–11:00 Monday.
    assert open_task(instance, bob).due_at == at(2026, 3, 16, 11, 0)


# --- reminders and escalation -----------------------------------------------------------------


def test_reminder_at_the_deadline_then_the_managers_escalation(
        company: Company, alice: User, bob: User, boss: User) -> None:
    instance = submit(alice, one_step(company))

    assert tick(TUESDAY_10 - timedelta(minutes=1)) == 0
    assert tick(TUESDAY_10) == 1
    assert notified("workflow.task.escalated") == ["李强"]
    assert live_timers(instance) == [(f"wf:{instance.pk}:t1:1", TUESDAY_10 + timedelta(hours=4))]

    assert tick(TUESDAY_10 + timedelta(hours=4)) == 1
    assert notified("workflow.task.escalated") == ["李强", "赵总"]
    overdue = InstanceEvent.objects.filter(instance=instance, verb="workflow.task.overdue")
    assert [event.payload["user_names"] for event in overdue] == [["李强"], ["赵总"]]
    assert live_timers(instance) == []
    assert tick(TUESDAY_10 + timedelta(days=3)) == 0


def test_a_reminder_before_the_deadline_reads_as_due_soon(
        company: Company, alice: User, bob: User) -> None:
    deadline = dict(S2_DEADLINE, on_due=[
        {"after_hours": -4, "action": "notify", "notify": ["assignee"]},
        *S2_DEADLINE["on_due"]])
    submit(alice, one_step(company, deadline))

    assert tick(TUESDAY_10 - timedelta(hours=4)) == 1

    assert notified("workflow.task.due_soon") == ["李强"]
    assert notified("workflow.task.escalated") == []


def test_department_head_and_named_people_as_escalation_targets(
        company: Company, alice: User, bob: User, carol: User, dave: User) -> None:
    deadline = {"working_days": 2, "on_due": [
        {"after_hours": 0, "action": "notify", "notify": ["department_head", "users"],
         "user_ids": [carol.pk, dave.pk]}]}
    # The head of alice's department is bob, the assignee; his own head is looked for above,
    # and 市场部 has no parent: only the named people remain.
    submit(alice, one_step(company, deadline))

    tick(TUESDAY_10)

    assert notified("workflow.task.escalated") == ["何佳", "冯静"]


def test_repeated_escalation_stops_after_max_repeats(
        company: Company, alice: User, bob: User, boss: User) -> None:
    deadline = {"working_days": 2, "on_due": [
        {"after_hours": 0, "action": "notify", "notify": ["manager"],
         "repeat_every_hours": 24, "max_repeats": 2}]}
    submit(alice, one_step(company, deadline))

    fired = [tick(TUESDAY_10 + timedelta(days=day)) for day in range(6)]

    assert fired == [1, 1, 1, 0, 0, 0]
    assert notified("workflow.task.escalated") == ["赵总"] * 3


def test_after_an_outage_stale_reminders_are_coalesced(
        company: Company, alice: User, bob: User, boss: User) -> None:
    deadline = {"working_days": 2, "on_due": [
        {"after_hours": 0, "action": "notify", "notify": ["assignee"]},
        {"after_hours": 4, "action": "notify", "notify": ["manager"],
         "repeat_every_hours": 24, "max_repeats": 5}]}
    submit(alice, one_step(company, deadline))
    back = TUESDAY_10 + timedelta(days=10)  # the scheduler was down for ten days
    clock.set(back)

    ticks = [run_scheduler_tick(now=back)["timers"] for _ in range(4)]

    assert ticks == [1, 1, 0, 0]
    # The assignee's reminder is superseded by the already-due escalation; the manager hears
    # once, not once per missed repeat.
    assert notified("workflow.task.escalated") == ["赵总"]


@pytest.mark.parametrize(("action", "status", "task_status"), [
    ("auto_approve", "running", "approved"),
    ("auto_reject", "rejected", "rejected"),
])
def test_automatic_decision_happens_once_even_if_the_timer_fires_twice(
        action: str, status: str, task_status: str, company: Company, alice: User, bob: User,
        carol: User) -> None:
    deadline = {"working_days": 2, "on_due": [{"after_hours": 0, "action": action}]}
    finance = approver("finance", "财务审核", {"type": "users", "user_ids": [carol.pk]})
    instance = submit(alice, one_step(company, deadline, child=finance))

    assert tick(TUESDAY_10) == 1
    services.fire_timer(instance_id=instance.pk, timer_key="t1:0")  # a duplicate delivery
    assert tick(TUESDAY_10 + timedelta(hours=1)) == 0

    instance.refresh_from_db()
    assert instance.status == status
    assert ApprovalTask.objects.get(instance=instance, key="t1").status == task_status
    verb = {"auto_approve": "workflow.task.auto_approved",
            "auto_reject": "workflow.task.auto_rejected"}[action]
    assert InstanceEvent.objects.filter(instance=instance, verb=verb).count() == 1
    expected_finance = 1 if action == "auto_approve" else 0
    assert ApprovalTask.objects.filter(instance=instance, node_id="finance").count() == \
        expected_finance


def test_transfer_escalation_moves_the_task_to_the_manager_once(
        company: Company, alice: User, bob: User, boss: User) -> None:
    deadline = {"working_days": 2, "on_due": [{"after_hours": 0, "action": "transfer"}]}
    instance = submit(alice, one_step(company, deadline))

    tick(TUESDAY_10)
    services.fire_timer(instance_id=instance.pk, timer_key="t1:0")

    tasks = ApprovalTask.objects.filter(instance=instance).order_by("pk")
    assert [(t.assignee.name, t.status) for t in tasks] == [("李强", "transferred"),
                                                           ("赵总", "open")]


def test_a_task_closed_before_its_deadline_leaves_no_live_timer(
        company: Company, alice: User, bob: User) -> None:
    instance = submit(alice, one_step(company))

    services.approve(actor=bob, task_id=open_task(instance, bob).pk)

    assert live_timers(instance) == []
    assert tick(TUESDAY_10 + timedelta(days=1)) == 0
    assert notified("workflow.task.escalated") == []


# --- quiet hours ------------------------------------------------------------------------------


def test_quiet_hours_delay_the_email_but_not_the_in_app_reminder(
        company: Company, alice: User, bob: User, boss: User) -> None:
    clock.set(at(2026, 3, 10, 20, 0))  # Tuesday evening
    submit(alice, one_step(company, {"hours": 2, "on_due": S2_DEADLINE["on_due"][:1]}))

    tick(at(2026, 3, 10, 22, 0))

    reminder = Notification.objects.get(kind="workflow.task.escalated")
    assert (reminder.recipient, reminder.created_at) == (bob, at(2026, 3, 10, 22, 0))
    email = Delivery.objects.get(notification=reminder, channel="email")
    assert (email.status, email.next_attempt_at) == ("scheduled", at(2026, 3, 11, 8, 0))


def test_quiet_hours_wait_for_a_working_day(
        company: Company, alice: User, bob: User, boss: User) -> None:
    clock.set(at(2026, 9, 30, 20, 0))  # the eve of National Day
    submit(alice, one_step(company, {"hours": 3, "on_due": S2_DEADLINE["on_due"][:1]}))

    tick(at(2026, 9, 30, 23, 0))

    email = Delivery.objects.get(notification__kind="workflow.task.escalated", channel="email")
    assert email.next_attempt_at == at(2026, 10, 8, 8, 0)


def test_urgent_reminders_skip_quiet_hours(
        company: Company, alice: User, bob: User, boss: User) -> None:
    clock.set(at(2026, 3, 10, 20, 0))
    submit(alice, one_step(company, {"urgent_hours": 2, "hours": 8,
                                     "on_due": S2_DEADLINE["on_due"][:1]}), urgent=True)

    tick(at(2026, 3, 10, 22, 0))

    email = Delivery.objects.get(notification__kind="workflow.task.escalated", channel="email")
    assert email.status != "scheduled"


# --- delegation -------------------------------------------------------------------------------


def delegate(delegator: User, to: User, *, ends_on: date = date(2026, 3, 20),
             template_ids: list[int] | None = None) -> None:
    create_delegation(actor=delegator, delegator=delegator, delegate=to,
                      starts_on=date(2026, 3, 13), ends_on=ends_on, template_ids=template_ids,
                      reason="出差")


def test_a_delegated_task_goes_to_the_delegate_and_the_original_still_sees_it(
        company: Company, alice: User, bob: User, carol: User, boss: User) -> None:
    delegate(bob, carol)

    instance = submit(alice, one_step(company))

    task = ApprovalTask.objects.get(instance=instance)
    assert (task.assignee, task.delegated_from) == (carol, bob)
    assert [row.task.pk for row in queries.inbox_for(carol, "todo") if row.task] == [task.pk]
    assert [row.task.pk for row in queries.inbox_for(bob, "todo") if row.task] == [task.pk]
    assert queries.item_page(bob, instance).my_task == task
    assigned = Notification.objects.get(kind="workflow.task.assigned")
    assert assigned.recipient == carol
    event = InstanceEvent.objects.get(instance=instance, verb="workflow.task.delegated")
    assert (event.payload["delegated_from_name"], event.payload["user_names"],
            event.payload["reason"]) == ("李强", ["冯静"], "代 李强 处理")
    assert event.payload["delegation_id"] is not None


def test_the_delegate_acts_in_the_original_persons_name(
        company: Company, alice: User, bob: User, carol: User) -> None:
    delegate(bob, carol)
    instance = submit(alice, one_step(company))

    services.approve(actor=carol, task_id=open_task(instance, carol).pk, comment="代批")

    instance.refresh_from_db()
    assert instance.status == "approved"
    approved = InstanceEvent.objects.get(instance=instance, verb="workflow.task.approved")
    assert (approved.actor, approved.payload["on_behalf_of_name"]) == (carol, "李强")


def test_the_original_person_can_still_act_on_a_delegated_task(
        company: Company, alice: User, bob: User, carol: User) -> None:
    delegate(bob, carol)
    instance = submit(alice, one_step(company))

    services.approve(actor=bob, task_id=ApprovalTask.objects.get(instance=instance).pk)

    instance.refresh_from_db()
    assert instance.status == "approved"
    assert InstanceEvent.objects.get(instance=instance, verb="workflow.task.approved"
                                     ).actor == bob


def test_deadline_reminders_of_a_delegated_task_go_to_the_delegate(
        company: Company, alice: User, bob: User, carol: User, boss: User) -> None:
    delegate(bob, carol)
    submit(alice, one_step(company))

    tick(TUESDAY_10)

    assert notified("workflow.task.escalated") == ["冯静"]


def test_no_delegation_outside_its_dates_or_templates(
        company: Company, alice: User, bob: User, carol: User) -> None:
    other = one_step(company)
    delegate(bob, carol, ends_on=date(2026, 3, 13), template_ids=[other.pk])
    template = one_step(company)

    outside_scope = submit(alice, template)
    clock.set(at(2026, 3, 16, 10, 0))  # the day after the range ends
    outside_dates = submit(alice, other)

    for instance in (outside_scope, outside_dates):
        task = ApprovalTask.objects.get(instance=instance)
        assert (task.assignee, task.delegated_from) == (bob, None)


def test_item_page_and_inbox_show_who_acts_for_whom(
        company: Company, alice: User, bob: User, carol: User, client: Any) -> None:
    delegate(bob, carol)
    instance = submit(alice, one_step(company))
    clock.set(TUESDAY_10 + timedelta(hours=3))

    client.force_login(carol)
    inbox = client.get("/approvals/").content.decode()
    item = client.get(f"/approvals/{instance.pk}/").content.decode()

    assert "代 李强 处理" in inbox
    assert "已超时 3 小时" in inbox
    assert "代 李强 处理" in item
    assert "已超时 3 小时" in item


def test_badge_and_todo_tab_count_a_delegated_task_for_both_people(
        company: Company, alice: User, bob: User, carol: User) -> None:
    delegate(bob, carol)
    submit(alice, one_step(company))

    for person in (bob, carol):  # the delegator still sees it (decision 0009)
        assert queries.badge_count(person) == queries.inbox_counts(person)["todo"] == 1


def test_the_audit_rows_name_the_delegation_and_whom_the_delegate_acted_for(
        company: Company, alice: User, bob: User, carol: User) -> None:
    from sopflow.audit.models import AuditEvent
    from sopflow.org.models import Delegation

    delegate(bob, carol)
    instance = submit(alice, one_step(company))
    services.approve(actor=carol, task_id=open_task(instance, carol).pk)

    rows = AuditEvent.objects.filter(object_type="workflow.instance", object_id=str(instance.pk))
    delegated = rows.get(action="workflow.task.delegated")
    assert delegated.changes["delegation_id"] == Delegation.objects.get(delegator=bob).pk
    assert delegated.changes["delegated_from"] == bob.pk
    approved = rows.get(action="workflow.task.approved")
    assert (approved.actor, approved.changes["on_behalf_of"]) == (carol, bob.pk)


def test_the_cc_tab_marks_and_sorts_overdue_items_too(
        company: Company, alice: User, bob: User, carol: User) -> None:
    from sopflow.workflow.models import CarbonCopy

    late, fresh = submit(alice, one_step(company)), None
    clock.set(TUESDAY_10)
    fresh = submit(alice, one_step(company))
    for instance in (late, fresh):
        CarbonCopy.objects.create(instance=instance, user=carol, node_id="cc",
                                  created_at=clock.now())
    clock.set(TUESDAY_10 + timedelta(hours=1))

    by_due = queries.inbox_for(carol, "cc", queries.Filters(sort="due"))
    overdue = queries.inbox_for(carol, "cc", queries.Filters(overdue=True))

    assert [row.instance.pk for row in by_due] == [late.pk, fresh.pk]
    assert by_due[0].instance.next_due_at == TUESDAY_10
    assert [row.instance.pk for row in overdue] == [late.pk]
