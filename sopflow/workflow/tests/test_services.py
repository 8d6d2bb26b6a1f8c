"""Service tests: every action's side effects, and refusals that change nothing."""

from __future__ import annotations

import pytest

from sopflow.audit.models import AuditEvent
from sopflow.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sopflow.form_templates.models import Submission
from sopflow.form_templates.tests.builders import EXPENSE_VALUES, build_submission
from sopflow.notify.models import Notification
from sopflow.org.models import Company, RoleAssignment, User
from sopflow.org.tests.builders import build_user, grant
from sopflow.workflow import services
from sopflow.workflow.models import ApprovalTask, CarbonCopy, Instance, InstanceEvent

from .builders import flow_template, head_then_finance, open_task, running_instance

pytestmark = pytest.mark.django_db


@pytest.fixture
def expense(company: Company, carol: User) -> object:
    return flow_template(company, head_then_finance([carol.pk]))


def test_submitting_opens_the_department_heads_task_with_its_reason(
        alice: User, bob: User, expense: object) -> None:
    instance = running_instance(alice, expense)

    task = ApprovalTask.objects.get(instance=instance)
    assert (task.assignee, task.node_name, task.status) == (bob, "部门负责人审核", "open")
    assert task.reason == "市场部负责人"
    assert (instance.status, instance.status_text) == ("running", "部门负责人审核中")
    assert instance.submission.status == Submission.Status.SUBMITTED
    assert Notification.objects.get(recipient=bob).kind == "workflow.task.assigned"
    assert list(InstanceEvent.objects.filter(instance=instance).values_list("verb", flat=True)
                )[:2] == ["workflow.instance.submitted", "workflow.node.entered"]
    assert AuditEvent.objects.filter(object_type="workflow.instance", object_id=str(instance.pk)
                                     ).count() == InstanceEvent.objects.filter(
                                         instance=instance).count()


def test_expense_goes_through_head_and_finance_with_a_return_and_resubmission(
        alice: User, bob: User, carol: User, expense: object) -> None:
    instance = running_instance(alice, expense)

    services.approve(actor=bob, task_id=open_task(instance, bob).pk, comment="同意")
    instance.refresh_from_db()
    assert instance.status_text == "财务审核中"

    services.return_item(actor=carol, task_id=open_task(instance, carol).pk,
                         reason_category="电子发票未上传", note="发票缺购买方纳税人识别号",
                         checklist=["重新上传电子发票"])
    instance.refresh_from_db()
    assert (instance.status, instance.status_text) == ("returned", "已退回")
    returned = Notification.objects.get(recipient=alice, kind="workflow.instance.returned")
    assert "电子发票未上传" in returned.body
    assert "发票缺购买方纳税人识别号" in returned.body

    values = dict(EXPENSE_VALUES, f_payee="工商银行 6222 0000 1111")
    services.resubmit(actor=alice, instance_id=instance.pk, values=values)
    instance.refresh_from_db()
    resubmitted = InstanceEvent.objects.get(instance=instance,
                                            verb="workflow.instance.resubmitted")
    assert resubmitted.payload["diff"] == [{"path": "f_payee", "label": "收款账户",
                                           "old": "招商银行 6225 8801 2345 6789",
                                           "new": "工商银行 6222 0000 1111"}]
    # Straight back to finance: bob already approved and is not asked again.
    assert (resubmitted.payload["target"], resubmitted.payload["reason"]) == (
        "returner", "直接回到“财务审核”")
    assert instance.status_text == "财务审核中"
    assert not ApprovalTask.objects.filter(instance=instance, assignee=bob,
                                           status="open").exists()

    services.approve(actor=carol, task_id=open_task(instance, carol).pk, comment="已核对")
    instance.refresh_from_db()

    assert (instance.status, instance.status_text) == ("approved", "已通过")
    assert instance.finished_at is not None
    assert Notification.objects.filter(recipient=alice, kind="workflow.instance.finished"
                                       ).count() == 1
    assert ApprovalTask.objects.get(instance=instance, assignee=carol,
                                    status="approved").comment == "已核对"
    assert not ApprovalTask.objects.filter(instance=instance, status="open").exists()


def test_a_return_may_ask_for_the_whole_route_again(alice: User, bob: User, carol: User,
                                                   expense: object) -> None:
    instance = running_instance(alice, expense)
    services.approve(actor=bob, task_id=open_task(instance, bob).pk)

    services.return_item(actor=carol, task_id=open_task(instance, carol).pk,
                         note="金额有误", resubmit_to="start")
    services.resubmit(actor=alice, instance_id=instance.pk, values=dict(EXPENSE_VALUES))
    instance.refresh_from_db()

    assert instance.status_text == "部门负责人审核中"
    assert open_task(instance, bob).node_name == "部门负责人审核"
    with pytest.raises(ValidationFailed):
        services.return_item(actor=bob, task_id=open_task(instance, bob).pk, resubmit_to="x")


def test_outsider_cannot_approve_and_nothing_changes(alice: User, bob: User, dave: User,
                                                     expense: object) -> None:
    instance = running_instance(alice, expense)
    task = open_task(instance, bob)
    audit_before = AuditEvent.objects.count()

    with pytest.raises(NotFound):
        services.approve(actor=dave, task_id=task.pk)

    task.refresh_from_db()
    assert task.status == "open"
    assert Instance.objects.get(pk=instance.pk).revision == instance.revision
    assert AuditEvent.objects.count() == audit_before


def test_initiator_cannot_approve_the_heads_task(alice: User, bob: User, expense: object) -> None:
    instance = running_instance(alice, expense)

    with pytest.raises(Forbidden, match="你不是该节点的审批人"):
        services.approve(actor=alice, task_id=open_task(instance, bob).pk)

    assert open_task(instance, bob).decided_at is None


def test_approving_twice_says_who_handled_it(alice: User, bob: User, expense: object) -> None:
    instance = running_instance(alice, expense)
    task = open_task(instance, bob)
    services.approve(actor=bob, task_id=task.pk)
    events = InstanceEvent.objects.count()

    with pytest.raises(Conflict, match="该审批已被李强处理"):
        services.approve(actor=bob, task_id=task.pk)

    assert InstanceEvent.objects.count() == events


def test_reject_needs_a_reason_from_the_list(alice: User, bob: User, expense: object) -> None:
    instance = running_instance(alice, expense)
    task = open_task(instance, bob)

    with pytest.raises(ValidationFailed, match="请选择驳回原因"):
        services.reject(actor=bob, task_id=task.pk, reason_category="随便", note="x")
    services.reject(actor=bob, task_id=task.pk, reason_category="其他", note="金额不对")

    instance.refresh_from_db()
    assert (instance.status, instance.status_text) == ("rejected", "已驳回")
    assert InstanceEvent.objects.get(instance=instance, verb="workflow.task.rejected"
                                     ).payload["reason"] == "其他"


def test_withdraw_before_any_decision_and_not_after(alice: User, bob: User,
                                                    expense: object) -> None:
    first = running_instance(alice, expense)
    services.withdraw(actor=alice, instance_id=first.pk, reason="填错了")
    first.refresh_from_db()
    assert first.status == "withdrawn"
    assert ApprovalTask.objects.get(instance=first).status == "cancelled"

    second = running_instance(alice, expense)
    services.approve(actor=bob, task_id=open_task(second, bob).pk)
    with pytest.raises((Conflict, Forbidden)):
        services.withdraw(actor=alice, instance_id=second.pk)
    second.refresh_from_db()
    assert second.status == "running"


def test_transfer_moves_the_task_and_records_why(alice: User, bob: User, dave: User,
                                                 expense: object) -> None:
    instance = running_instance(alice, expense)

    services.transfer(actor=bob, task_id=open_task(instance, bob).pk, to_user_id=dave.pk,
                      comment="我出差，请何佳处理")

    assert ApprovalTask.objects.get(instance=instance, assignee=bob).status == "transferred"
    assert open_task(instance, dave).node_name == "部门负责人审核"
    event = InstanceEvent.objects.get(instance=instance, verb="workflow.task.transferred")
    assert event.payload["user_names"] == ["何佳"]


def test_add_signer_in_parallel_then_remove(alice: User, bob: User, dave: User,
                                           expense: object) -> None:
    instance = running_instance(alice, expense)
    task = open_task(instance, bob)

    services.add_signer(actor=bob, task_id=task.pk, user_ids=[dave.pk], position="parallel")
    assert open_task(instance, dave).added_by == bob
    services.remove_signer(actor=bob, task_id=task.pk, user_id=dave.pk)

    assert ApprovalTask.objects.get(instance=instance, assignee=dave).status == "cancelled"


def test_urge_once_an_hour(alice: User, bob: User, expense: object) -> None:
    instance = running_instance(alice, expense)

    services.urge(actor=alice, instance_id=instance.pk)
    with pytest.raises(Forbidden, match="每小时只能催办一次"):
        services.urge(actor=alice, instance_id=instance.pk)

    assert Notification.objects.filter(recipient=bob, kind="workflow.task.reminder").count() == 1


def test_comment_with_mention_notifies_the_mentioned(alice: User, bob: User, carol: User,
                                                     expense: object) -> None:
    instance = running_instance(alice, expense)

    services.comment(actor=bob, instance_id=instance.pk, text="@冯静 请留意发票",
                     mentions=[carol.pk])

    assert InstanceEvent.objects.get(instance=instance, verb="workflow.comment.added"
                                     ).comment == "@冯静 请留意发票"
    assert Notification.objects.get(recipient=carol).kind == "workflow.comment.mentioned"


def test_batch_approve_reports_each_item(alice: User, bob: User, carol: User,
                                         expense: object) -> None:
    first, second = running_instance(alice, expense), running_instance(alice, expense)
    foreign = open_task(first, bob)
    services.approve(actor=bob, task_id=foreign.pk)

    results = services.batch_approve(actor=bob, task_ids=[foreign.pk,
                                                          open_task(second, bob).pk])

    assert [(r.ok, r.message) for r in results] == [(False, "该审批已被李强处理"), (True, "")]
    assert open_task(second, carol).node_name == "财务审核"


def test_admin_actions_need_a_process_admin_and_a_reason(company: Company, alice: User,
                                                          bob: User, dave: User,
                                                          expense: object) -> None:
    instance = running_instance(alice, expense)
    su = build_user(company, employee_no="S013", name="苏畅")
    grant(su, RoleAssignment.Role.PROCESS_ADMIN, company=company)

    with pytest.raises(NotFound):
        services.terminate(actor=dave, instance_id=instance.pk, reason="x")
    with pytest.raises(ValidationFailed):
        services.reassign(actor=su, task_id=open_task(instance, bob).pk, to_user_id=dave.pk,
                          reason=" ")
    services.reassign(actor=su, task_id=open_task(instance, bob).pk, to_user_id=dave.pk,
                      reason="李强离职")
    assert open_task(instance, dave).node_id == "head"
    services.skip_node(actor=su, instance_id=instance.pk, node_id="head", reason="紧急")
    instance.refresh_from_db()
    assert instance.status_text == "财务审核中"
    services.restart_from(actor=su, instance_id=instance.pk, node_id="head", reason="误操作")
    instance.refresh_from_db()
    assert (instance.status, instance.status_text) == ("running", "部门负责人审核中")
    services.terminate(actor=su, instance_id=instance.pk, reason="重复提交")
    instance.refresh_from_db()
    assert instance.status == "terminated"
    assert not ApprovalTask.objects.filter(instance=instance, status="open").exists()


def test_refused_route_rolls_back_the_submission(company: Company, alice: User) -> None:
    flow = {"type": "start", "id": "start", "child": {
        "type": "approver", "id": "finance", "name": "财务审核",
        "approver_rule": {"type": "role", "role": "finance", "role_name": "财务"},
        "policies": {"nobody": "refuse"}, "child": None}}
    template = flow_template(company, flow)
    submission = build_submission(alice, template, values=dict(EXPENSE_VALUES))

    with pytest.raises(ValidationFailed, match="找不到审批人"):
        services.submit_for_approval(actor=alice, submission_id=submission.pk)

    submission.refresh_from_db()
    assert submission.status == Submission.Status.DRAFT
    assert not Instance.objects.exists()


def test_cc_node_writes_cc_rows_and_notifies(company: Company, alice: User, bob: User,
                                             carol: User) -> None:
    flow = {"type": "start", "id": "start", "child": {
        "type": "cc", "id": "cc", "name": "抄送财务",
        "approver_rule": {"type": "users", "user_ids": [carol.pk]}, "child": {
            "type": "approver", "id": "head", "name": "部门负责人审核",
            "approver_rule": {"type": "department_head"}, "child": None}}}
    instance = running_instance(alice, flow_template(company, flow))

    assert CarbonCopy.objects.get(instance=instance).user == carol
    assert Notification.objects.get(recipient=carol).kind == "workflow.instance.cc"
