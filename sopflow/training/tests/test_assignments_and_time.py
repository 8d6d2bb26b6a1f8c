"""Onboarding by position, certificate expiry reminders and recertification (time travel),
re-assignment after an SOP change, and error-driven retraining."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sopflow.core.clock import clock
from sopflow.core.errors import Forbidden
from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.services.submissions import start_submission
from sopflow.form_templates.services.templates import publish_version, save_draft
from sopflow.notify.models import Notification
from sopflow.org.models import Company, User
from sopflow.org.tests.builders import build_position, build_user
from sopflow.training.models import Assignment, Certificate, Course, ErrorRecord, RuleTrigger
from sopflow.training.services import assignments, attempts, retraining
from sopflow.training.services.courses import create_course

from .builders import build_course
from .conftest import T0


def _pass(user: User, course: Course) -> Certificate:
    return attempts.issue_certificate(course=course, user=user, score=90, actor=user)


def test_new_sales_rep_gets_the_onboarding_courses_in_order_on_day_one(
        company: Company, hr_admin: User) -> None:
    sales_rep = build_position(company, name="销售专员", code="sales-rep")
    veteran = build_user(company, name="老员工", position=sales_rep)
    first = create_course(actor=hr_admin, company=company, title="公司制度")
    second = build_course(company, title="费用报销SOP", questions=3)
    assignments.save_programme(actor=hr_admin, position_id=sales_rep.pk, name="销售专员入职培训",
                               within_days=14, course_ids=[first.pk, second.pk])
    newcomer = build_user(company, name="新同事", position=sales_rep, hired_on=date(2026, 3, 3))

    before_day_one = assignments.enroll_new_hires(now=T0)
    clock.advance(timedelta(days=1))
    day_one = assignments.enroll_new_hires(now=clock.now())
    again = assignments.enroll_new_hires(now=clock.now())

    assert (before_day_one, day_one, again) == (0, 2, 0)
    given = list(Assignment.objects.order_by("order"))
    assert [(a.user, a.course, a.reason, a.order) for a in given] == [
        (newcomer, first, "onboarding", 0), (newcomer, second, "onboarding", 1)]
    assert {a.due_at for a in given} == {T0 + timedelta(days=15)}
    assert Assignment.objects.filter(user=veteran).exists() is False
    assert Notification.objects.filter(recipient=newcomer, kind="training.assigned").count() == 2


def test_moving_into_a_position_with_a_programme_assigns_it(
        company: Company, alice: User, hr_admin: User) -> None:
    sales_rep = build_position(company, name="销售专员", code="sales-rep")
    course = build_course(company, questions=3)
    assignments.save_programme(actor=hr_admin, position_id=sales_rep.pk, name="",
                               within_days=30, course_ids=[course.pk])
    User.objects.filter(pk=alice.pk).update(position=sales_rep)

    assert assignments.enroll_new_hires(now=T0) == 1
    assert Assignment.objects.get().user == alice


def test_expiry_reminders_30_and_7_days_before_then_recertification_and_expiry(
        company: Company, alice: User, expense: FormTemplate, course: Course) -> None:
    certificate = _pass(alice, course)  # expires 2027-03-02 09:00 Shanghai

    clock.set(certificate.expires_at - timedelta(days=31))
    early = assignments.run_certificate_sweep(now=clock.now())
    clock.set(certificate.expires_at - timedelta(days=30))
    at_30 = assignments.run_certificate_sweep(now=clock.now())
    repeat = assignments.run_certificate_sweep(now=clock.now())
    clock.set(certificate.expires_at - timedelta(days=7))
    at_7 = assignments.run_certificate_sweep(now=clock.now())
    clock.set(certificate.expires_at)
    with pytest.raises(Forbidden):
        start_submission(actor=alice, template_id=expense.pk)

    assert (early, at_30, repeat, at_7) == (0, 2, 0, 1)
    titles = list(Notification.objects.filter(recipient=alice).order_by("pk").values_list(
        "kind", "title"))
    assert titles == [("training.expiring", "证书《费用报销SOP》将于 2027-03-02 到期"),
                      ("training.expiring", "证书《费用报销SOP》将于 2027-03-02 到期")]
    recert = Assignment.objects.get()
    assert (recert.reason, recert.due_at, recert.status) == (
        "recertification", certificate.expires_at, "open")

    _pass(alice, course)
    renewed = Certificate.objects.get()
    assert (renewed.reminded_30_at, renewed.reminded_7_at) == (None, None)
    assert renewed.expires_at.date().isoformat() == "2028-03-02"
    assert Assignment.objects.get().status == "completed"
    start_submission(actor=alice, template_id=expense.pk)


def test_new_version_requiring_retraining_reassigns_the_course_to_certificate_holders(
        company: Company, alice: User, bob: User, expense: FormTemplate,
        course: Course) -> None:
    _pass(alice, course)
    schema = dict(expense.current_version.schema)  # type: ignore[union-attr]  # published
    schema["fields"] = [*schema["fields"], {"key": "f_tax_id", "type": "text",
                                            "label": "购买方纳税人识别号", "required": True}]
    save_draft(actor=None, template_id=expense.pk, template=expense, schema=schema)

    version = publish_version(actor=None, template_id=expense.pk, template=expense,
                              change_summary="新增字段：购买方纳税人识别号",
                              requires_retraining=True)

    assert version.requires_retraining is True
    assignment = Assignment.objects.get()
    assert (assignment.user, assignment.reason, assignment.due_at) == (
        alice, "sop_changed", T0 + timedelta(days=14))
    assert assignment.note == "“费用报销”v2 已更新：新增字段：购买方纳税人识别号"


def test_version_without_retraining_flag_assigns_nothing(
        alice: User, expense: FormTemplate, course: Course) -> None:
    _pass(alice, course)
    save_draft(actor=None, template_id=expense.pk, template=expense,
               schema=expense.current_version.schema)  # type: ignore[union-attr]  # published

    publish_version(actor=None, template_id=expense.pk, template=expense)

    assert Assignment.objects.exists() is False


def test_three_returns_for_missing_invoice_within_30_days_reassign_and_suspend(
        company: Company, alice: User, bob: User, hr_admin: User, expense: FormTemplate,
        course: Course) -> None:
    _pass(alice, course)
    retraining.save_rule(actor=hr_admin, template_id=expense.pk,
                         reason_category="电子发票未上传", course_id=course.pk, threshold=3,
                         window_days=30, suspend_certificate=True)

    fired = []
    for day in (0, 10, 29):
        fired += retraining.record_error(user=alice, template=expense,
                                         reason_category="电子发票未上传", kind="returned",
                                         at=T0 + timedelta(days=day), source_key=f"e{day}")
    duplicate = retraining.record_error(user=alice, template=expense,
                                        reason_category="电子发票未上传", kind="returned",
                                        at=T0 + timedelta(days=29), source_key="e29")

    assert len(fired) == 1
    assert duplicate == []
    assert RuleTrigger.objects.get().error_count == 3
    assignment = Assignment.objects.get()
    assert (assignment.user, assignment.reason) == (alice, "errors")
    assert assignment.note == "近 30 天内“费用报销”因“电子发票未上传”被退回或驳回 3 次"
    assert Certificate.objects.get().status == "suspended"
    assert Notification.objects.get(recipient=alice).title == "需要重新学习《费用报销SOP》"
    assert Notification.objects.get(recipient=bob).title == "张敏 需要重新学习《费用报销SOP》"
    with pytest.raises(Forbidden):
        start_submission(actor=alice, template_id=expense.pk)


def test_returns_spread_over_more_than_30_days_or_other_reasons_do_not_fire(
        alice: User, hr_admin: User, expense: FormTemplate, course: Course) -> None:
    retraining.save_rule(actor=hr_admin, template_id=expense.pk,
                         reason_category="电子发票未上传", course_id=course.pk)

    for day, reason in ((0, "电子发票未上传"), (20, "金额错误"), (31, "电子发票未上传"),
                        (45, "电子发票未上传")):
        retraining.record_error(user=alice, template=expense, reason_category=reason,
                                kind="returned", at=T0 + timedelta(days=day))

    assert ErrorRecord.objects.count() == 4
    assert RuleTrigger.objects.exists() is False
    assert Assignment.objects.exists() is False


def test_recertification_is_assigned_even_when_the_sweep_first_runs_after_expiry(
        company: Company, alice: User, expense: FormTemplate, course: Course) -> None:
    certificate = _pass(alice, course)  # expires 2027-03-02 09:00 Shanghai
    # The sweep did not run in the 30 days before expiry (server down, job paused …).
    clock.set(certificate.expires_at + timedelta(days=3))

    late = assignments.run_certificate_sweep(now=clock.now())
    again = assignments.run_certificate_sweep(now=clock.now())

    assert (late, again) == (1, 0)
    recert = Assignment.objects.get()
    assert (recert.reason, recert.status) == ("recertification", "open")
    assert recert.due_at == clock.now() + timedelta(days=assignments.RECERTIFY_LATE_DAYS)
    assert "2027-03-02 过期" in recert.note
    notice = Notification.objects.get(recipient=alice, kind="training.assigned")
    assert notice.title == "新的培训：《费用报销SOP》"
    with pytest.raises(Forbidden):  # expired counts as not passed until recertified
        start_submission(actor=alice, template_id=expense.pk)

    # Cancelled by HR: the sweep does not hand the same recertification out again.
    Assignment.objects.filter(pk=recert.pk).update(status=Assignment.Status.CANCELLED)
    clock.set(clock.now() + timedelta(days=1))
    assert assignments.run_certificate_sweep(now=clock.now()) == 0

    _pass(alice, course)
    assert Certificate.objects.get().expires_at > clock.now()
    clock.set(Certificate.objects.get().expires_at + timedelta(days=1))
    assert assignments.run_certificate_sweep(now=clock.now()) == 1  # the next expiry counts


def test_a_certificate_expiring_in_the_window_is_not_assigned_twice(
        company: Company, alice: User, course: Course) -> None:
    certificate = _pass(alice, course)
    clock.set(certificate.expires_at - timedelta(days=10))
    assert assignments.run_certificate_sweep(now=clock.now()) == 2  # reminder + recert

    clock.set(certificate.expires_at + timedelta(days=1))
    Assignment.objects.update(status=Assignment.Status.CANCELLED)

    assert assignments.run_certificate_sweep(now=clock.now()) == 0
    assert Assignment.objects.count() == 1
