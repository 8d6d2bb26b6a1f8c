"""Approval API in the demo company: S1, S2, S8 and S12, and Idempotency-Key."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from sopflow.api.tests.conftest import bearer_client
from sopflow.demo.seed import seed_demo
from sopflow.form_templates.models import Attachment, FormTemplate
from sopflow.form_templates.services import attachments as attachment_services
from sopflow.form_templates.services import submissions as submission_services
from sopflow.notify.models import Notification
from sopflow.org.models import Company, User
from sopflow.workflow.models import ApprovalTask, Instance

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n"


@pytest.fixture
def demo() -> Company:
    return seed_demo()


def person(number: str) -> User:
    return User.objects.get(employee_no=number)


def draft(author: User, code: str, values: dict[str, Any]) -> int:
    template = FormTemplate.objects.get(company_id=author.company_id, code=code)
    submission = submission_services.start_submission(actor=author, template_id=template.pk)
    submission_services.update_draft(actor=author, submission_id=submission.pk, values=values)
    return submission.pk


def pdf(author: User, submission_id: int, field: str = "f_invoices",
        name: str = "invoice.pdf") -> Attachment:
    return attachment_services.upload_attachment(actor=author, submission_id=submission_id,
                                                 field_key=field, file_name=name, content=PDF)


def expense_values(invoice_ids: list[int]) -> dict[str, Any]:
    return {"f_type": "差旅", "f_items": [{"f_item": "交通", "f_amount": "1200.00"},
                                          {"f_item": "住宿", "f_amount": "2000.00"}],
            "f_invoices": invoice_ids, "f_payee_name": "张敏",
            "f_payee_account": "招商银行 6225 8801 2345 6789"}


def post(client: Client, url: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(f"/api/v1/approvals{url}", body, content_type="application/json",
                       headers=headers)


def test_s1_expense_with_a_returned_invoice(demo: Company) -> None:
    zhang, li, feng = person("E041"), person("E040"), person("E031")
    submission_id = draft(zhang, "expense", {})
    first = pdf(zhang, submission_id)
    api = {user: bearer_client(user) for user in (zhang, li, feng)}

    started = post(api[zhang], f"/submissions/{submission_id}/submit",
                   {"values": expense_values([first.pk])})
    assert started.status_code == 200, started.content
    item = started.json()
    assert item["status_text"] == "部门负责人审核中"
    assert item["computed"]["f_total"] == {"display": "3200.00", "capital": "叁仟贰佰元整"}
    assert [r["label"] for r in item["route"]] == ["已提交", "部门负责人审核中", "财务审核", "已通过"]

    inbox = api[li].get("/api/v1/approvals/inbox?tab=todo").json()
    assert inbox["counts"]["todo"] == 1
    approved = post(api[li], f"/tasks/{inbox['items'][0]['task']['id']}/approve",
                    {"comment": "同意"})
    assert approved.json()["item"]["status_text"] == "财务审核中"

    task_id = api[feng].get("/api/v1/approvals/inbox").json()["items"][0]["task"]["id"]
    returned = post(api[feng], f"/tasks/{task_id}/return",
                    {"reason_category": "电子发票未上传", "note": "发票缺购买方纳税人识别号"})
    assert returned.json()["item"]["status"] == "returned"
    waiting = api[zhang].get(f"/api/v1/approvals/items/{item['id']}").json()
    assert (waiting["resubmit_to"], waiting["resume_node"]) == ("returner", "财务审核")
    assert "电子发票未上传" in Notification.objects.get(
        recipient=zhang, kind="workflow.instance.returned").body

    second = attachment_services.upload_attachment(
        actor=zhang, version_id=Instance.objects.get(pk=item["id"]).submission.version_id,
        field_key="f_invoices", file_name="invoice-v2.pdf", content=PDF)
    resubmitted = post(api[zhang], f"/items/{item['id']}/resubmit",
                       {"values": expense_values([second.pk])})
    assert resubmitted.status_code == 200, resubmitted.content
    # The flow resubmits straight back to 财务审核: 李强 already approved and is not asked again.
    assert resubmitted.json()["status_text"] == "财务审核中"
    assert api[li].get("/api/v1/approvals/inbox?tab=todo").json()["counts"]["todo"] == 0

    seen = api[feng].get(f"/api/v1/approvals/items/{item['id']}").json()
    assert [c["path"] for c in seen["changes"]] == ["f_invoices"]
    assert post(api[feng], f"/tasks/{seen['my_task_id']}/approve", {}).status_code == 200

    final = api[zhang].get(f"/api/v1/approvals/items/{item['id']}").json()
    assert (final["status"], final["status_text"]) == ("approved", "已通过")
    verbs = [e["verb"] for e in final["timeline"]]
    for verb in ("workflow.instance.submitted", "workflow.task.approved",
                 "workflow.task.returned", "workflow.instance.resubmitted",
                 "workflow.instance.approved"):
        assert verb in verbs
    resubmission = next(e for e in final["timeline"]
                        if e["verb"] == "workflow.instance.resubmitted")
    assert (resubmission["payload"]["target"], resubmission["payload"]["reason"]) == (
        "returner", "直接回到“财务审核”")
    assert verbs.count("workflow.task.approved") == 2  # 李强 once, 冯静 once
    assert Attachment.objects.get(pk=second.pk).submission_id == final["submission_id"]


@pytest.mark.parametrize(("budget", "route"), [
    ("200000", ["部门负责人审核", "分管领导审批", "财务会签"]),
    ("30000", ["部门负责人审核", "分管领导审批"]),
    ("50000", ["部门负责人审核", "分管领导审批"]),
])
def test_s2_campaign_route_depends_on_the_budget(demo: Company, budget: str,
                                                 route: list[str]) -> None:
    zhang = person("E041")
    submission_id = draft(zhang, "campaign", {})
    plan = pdf(zhang, submission_id, "f_plan", "plan.pdf")
    values = {"f_name": "秋季新品发布会", "f_time": {"start": "2026-11-01", "end": "2026-11-02"},
              "f_budget": budget, "f_target": "提升品牌曝光", "f_plan": [plan.pk]}
    api = bearer_client(zhang)

    preview = post(api, "/preview", {"submission_id": submission_id, "values": values}).json()
    steps = [s for s in preview["steps"] if s["kind"] in ("approver", "handler")]
    assert [s["node_name"] for s in steps] == route
    assert [a["name"] for a in steps[0]["assignees"]] == ["李强"]
    assert [a["name"] for a in steps[1]["assignees"]] == ["刘志强"]
    if len(route) == 3:
        assert sorted(a["name"] for a in steps[2]["assignees"]) == ["冯静", "钱伟"]

    item = post(api, f"/submissions/{submission_id}/submit", {"values": values}).json()
    for approver in ("E040", "E002", "E030", "E031")[:len(route) + (1 if len(route) == 3 else 0)]:
        user = person(approver)
        task = ApprovalTask.objects.get(instance_id=item["id"], assignee=user, status="open")
        post(bearer_client(user), f"/tasks/{task.pk}/approve", {})
    instance = Instance.objects.get(pk=item["id"])
    assert instance.status == "approved"
    nodes = list(ApprovalTask.objects.filter(instance=instance).values_list("node_name", flat=True)
                 .distinct().order_by("node_name"))
    assert sorted(set(nodes)) == sorted(route)
    assert Decimal(instance.submission.values["f_budget"]) == Decimal(budget)


def test_s8_repair_notifies_the_repair_person_and_the_department_head(demo: Company) -> None:
    zhou, wei, sun = person("E011"), person("E101"), person("E010")
    submission_id = draft(zhou, "repair", {})
    photo = attachment_services.upload_attachment(
        actor=zhou, submission_id=submission_id, field_key="f_photos", file_name="p.png",
        content=_png())
    values = {"f_device": "打印机", "f_location": "3楼行政区", "f_photos": [photo.pk],
              "f_description": "打印机卡纸，无法打印", "f_repairer": [wei.pk]}

    item = post(bearer_client(zhou), f"/submissions/{submission_id}/submit",
                {"values": values}).json()

    assert item.get("status_text") == "维修办理中", item
    assert Notification.objects.get(recipient=wei).kind == "workflow.task.assigned"
    assert Notification.objects.get(recipient=sun).kind == "workflow.instance.cc"
    head_view = bearer_client(sun).get(f"/api/v1/approvals/items/{item['id']}")
    assert head_view.status_code == 200
    assert bearer_client(sun).get("/api/v1/approvals/inbox?tab=cc").json()["counts"]["cc"] == 1
    task = ApprovalTask.objects.get(instance_id=item["id"], assignee=wei)
    done = post(bearer_client(wei), f"/tasks/{task.pk}/complete", {"comment": "已更换搓纸轮"})
    assert done.json()["item"]["status"] == "approved"


def test_s12_outsider_gets_404_and_participants_see_it(demo: Company) -> None:
    zhang = person("E041")
    submission_id = draft(zhang, "expense", {})
    invoice = pdf(zhang, submission_id)
    item = post(bearer_client(zhang), f"/submissions/{submission_id}/submit",
                {"values": expense_values([invoice.pk])}).json()

    for number, status in (("E042", 404), ("E101", 404), ("E040", 200), ("E033", 200),
                           ("admin", 200), ("E013", 200)):
        response = bearer_client(person(number)).get(f"/api/v1/approvals/items/{item['id']}")
        assert (number, response.status_code) == (number, status)
    outsider = bearer_client(person("E042"))
    task = ApprovalTask.objects.get(instance_id=item["id"])
    assert post(outsider, f"/tasks/{task.pk}/approve", {}).status_code == 404
    assert ApprovalTask.objects.get(pk=task.pk).status == "open"


def test_idempotency_key_replays_and_refuses_a_different_body(demo: Company) -> None:
    zhang, li = person("E041"), person("E040")
    submission_id = draft(zhang, "expense", {})
    invoice = pdf(zhang, submission_id)
    item = post(bearer_client(zhang), f"/submissions/{submission_id}/submit",
                {"values": expense_values([invoice.pk])}, key="submit-1").json()
    task = ApprovalTask.objects.get(instance_id=item["id"])
    api = bearer_client(li)

    first = post(api, f"/tasks/{task.pk}/approve", {"comment": "好"}, key="k1")
    again = post(api, f"/tasks/{task.pk}/approve", {"comment": "好"}, key="k1")
    other = post(api, f"/tasks/{task.pk}/approve", {"comment": "不同"}, key="k1")

    assert (first.status_code, again.status_code, other.status_code) == (200, 200, 422)
    assert first.json() == again.json()
    assert Instance.objects.get(pk=item["id"]).revision == 2
    assert ApprovalTask.objects.filter(instance_id=item["id"]).count() == 3  # head + 2 finance


def _png() -> bytes:
    import base64

    return base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
