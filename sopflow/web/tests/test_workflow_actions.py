"""审批 item page actions beyond approve/return: signature and attachments on approve, 减签, the
admin node list, a handler node filling its fields (web and API), and the navbar 审批 badge."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sopflow.api.tests.conftest import bearer_client
from sopflow.form_templates.models import Attachment, FormTemplate, Submission
from sopflow.org.models import Company, RoleAssignment, User
from sopflow.org.tests.builders import build_user, grant
from sopflow.workflow import services
from sopflow.workflow.models import ApprovalTask, Instance, InstanceEvent
from sopflow.workflow.tests.builders import approver, flow_template, open_task, running_instance

pytestmark = pytest.mark.django_db

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 1\ntrailer\n<<>>\nstartxref\n9\n%%EOF\n"


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def signed_flow(finance_ids: list[int]) -> dict[str, Any]:
    return {"type": "start", "id": "start", "name": "发起人", "child": approver(
        "head", "部门负责人审核", {"type": "department_head", "level": 0},
        require_signature_on_approve=True,
        child=approver("finance", "财务审核", {"type": "users", "user_ids": finance_ids}))}


def handler_flow(handler_ids: list[int]) -> dict[str, Any]:
    return {"type": "start", "id": "start", "name": "发起人", "child": {
        "type": "handler", "id": "archive", "name": "财务备案",
        "approver_rule": {"type": "users", "user_ids": handler_ids}, "mode": "any",
        "field_permissions": {"f_payee": "edit"},
        "allowed_actions": ["complete", "return", "transfer"], "child": None}}


def upload(client: Client, task: ApprovalTask, kind: str, name: str, content: bytes) -> Any:
    return client.post(f"/approvals/tasks/{task.pk}/files/",
                       {"field": kind, "file": SimpleUploadedFile(name, content)})


# --- signature and attachments on approve --------------------------------------------------------


def test_approve_is_refused_without_a_signature_where_the_node_requires_one(
        company: Company, alice: User, bob: User, carol: User) -> None:
    instance = running_instance(alice, flow_template(company, signed_flow([carol.pk])))
    task = open_task(instance, bob)

    page = client_for(bob).get(f"/approvals/{instance.pk}/").content.decode()
    response = client_for(bob).post(f"/approvals/tasks/{task.pk}/approve/", {},
                                    HTTP_HX_REQUEST="true")

    assert 'data-testid="signature-pad"' in page
    assert response.status_code == 422
    assert "此节点审批需要手写签名" in response.content.decode()
    assert open_task(instance, bob).pk == task.pk


def test_approve_with_signature_and_attachment_shows_both_in_the_timeline(
        company: Company, alice: User, bob: User, carol: User) -> None:
    instance = running_instance(alice, flow_template(company, signed_flow([carol.pk])))
    task = open_task(instance, bob)
    client = client_for(bob)
    signature = upload(client, task, "signature", "signature.png", PNG)
    document = upload(client, task, "attachment", "核对表.pdf", PDF)

    response = client.post(f"/approvals/tasks/{task.pk}/approve/", {
        "comment": "已核对", "signature": signature.json()["id"],
        "attachments": [document.json()["id"]]}, HTTP_HX_REQUEST="true")

    assert (signature.status_code, document.status_code, response.status_code) == (201, 201, 200)
    event = InstanceEvent.objects.get(instance=instance, verb="workflow.task.approved")
    assert event.payload["files"] == [{"id": document.json()["id"], "name": "核对表.pdf"}]
    assert event.payload["signature_file"] == signature.json()["id"]
    html = response.content.decode()
    assert 'data-testid="event-signature"' in html
    assert "核对表.pdf" in html
    stored = Attachment.objects.get(pk=signature.json()["id"])
    assert (stored.owner_id, stored.submission_id, stored.field_key) == (
        bob.pk, instance.submission_id, "_review_signature")
    # Finance (a later approver) may open the signature file.
    assert client_for(carol).get(f"/files/{stored.pk}/").status_code == 200


def test_approve_refuses_a_file_that_is_not_the_approvers(
        company: Company, alice: User, bob: User, carol: User) -> None:
    instance = running_instance(alice, flow_template(company, signed_flow([carol.pk])))
    task = open_task(instance, bob)
    other = running_instance(alice, flow_template(company, signed_flow([carol.pk])))
    foreign = upload(client_for(bob), open_task(other, bob), "signature", "s.png", PNG)

    response = client_for(bob).post(f"/approvals/tasks/{task.pk}/approve/", {
        "signature": foreign.json()["id"]}, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    assert "签名文件无效，请重新签名" in response.content.decode()
    assert open_task(instance, bob).pk == task.pk


def test_outsider_cannot_upload_a_decision_file(company: Company, alice: User, bob: User,
                                                carol: User, dave: User) -> None:
    instance = running_instance(alice, flow_template(company, signed_flow([carol.pk])))

    response = upload(client_for(dave), open_task(instance, bob), "signature", "s.png", PNG)

    assert response.status_code == 404
    assert Attachment.objects.filter(owner=dave).exists() is False


def test_a_signature_must_be_a_png(company: Company, alice: User, bob: User,
                                   carol: User) -> None:
    instance = running_instance(alice, flow_template(company, signed_flow([carol.pk])))

    response = upload(client_for(bob), open_task(instance, bob), "signature", "s.pdf", PDF)

    assert response.status_code == 422
    assert Attachment.objects.filter(owner=bob).exists() is False


# --- 减签 and the admin panel ----------------------------------------------------------------------


def test_remove_signer_button_cancels_the_added_signer(company: Company, alice: User, bob: User,
                                                       carol: User, dave: User) -> None:
    instance = running_instance(alice, flow_template(company, signed_flow([carol.pk])))
    task = open_task(instance, bob)
    services.add_signer(actor=bob, task_id=task.pk, user_ids=[dave.pk], position="parallel")
    client = client_for(bob)

    page = client.get(f"/approvals/{instance.pk}/").content.decode()
    response = client.post(f"/approvals/tasks/{task.pk}/remove-signer/", {"user_id": dave.pk},
                           HTTP_HX_REQUEST="true")

    assert 'data-testid="remove-signer"' in page
    assert "何佳" in page
    assert response.status_code == 200
    assert ApprovalTask.objects.get(instance=instance, assignee=dave).status == "cancelled"
    assert 'data-testid="remove-signer"' not in response.content.decode()


def test_admin_picks_the_node_from_the_definitions_nodes(company: Company, alice: User,
                                                         bob: User, carol: User) -> None:
    process_admin = build_user(company, employee_no="P001", name="苏畅")
    grant(process_admin, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    instance = running_instance(alice, flow_template(company, signed_flow([carol.pk])))

    html = client_for(process_admin).get(f"/approvals/{instance.pk}/").content.decode()
    response = client_for(process_admin).post(f"/approvals/{instance.pk}/skip/", {
        "node_id": "head", "reason": "负责人出差"})

    skip = html[html.index('data-testid="admin-skip"'):html.index('data-testid="admin-restart"')]
    assert '<option value="head">部门负责人审核</option>' in skip
    assert '<option value="finance">财务审核</option>' in skip
    assert 'name="node_id" required placeholder' not in html
    assert response.status_code == 302
    assert Instance.objects.get(pk=instance.pk).current_nodes == "财务审核"


# --- a handler node fills its fields -------------------------------------------------------------


@pytest.fixture
def archive(company: Company, carol: User) -> FormTemplate:
    return flow_template(company, handler_flow([carol.pk]))


def test_handler_page_shows_only_the_editable_fields_as_inputs(alice: User, carol: User,
                                                               archive: FormTemplate) -> None:
    instance = running_instance(alice, archive)

    html = client_for(carol).get(f"/approvals/{instance.pk}/").content.decode()

    form = html[html.index('data-testid="complete-form"'):]
    form = form[:form.index("</form>")]
    assert 'name="f_payee"' in form
    assert 'name="f_type"' not in form


def test_handler_completes_with_new_values_on_the_web(alice: User, carol: User,
                                                      archive: FormTemplate) -> None:
    instance = running_instance(alice, archive)
    task = open_task(instance, carol)

    response = client_for(carol).post(f"/approvals/tasks/{task.pk}/complete/", {
        "f_payee": "建设银行 6217 0000 1111", "comment": "已备案"})

    assert response.status_code == 302
    submission = Submission.objects.get(pk=instance.submission_id)
    assert submission.values["f_payee"] == "建设银行 6217 0000 1111"
    assert submission.values["f_type"] == "差旅"
    assert Instance.objects.get(pk=instance.pk).status == "approved"
    event = InstanceEvent.objects.get(instance=instance, verb="workflow.task.completed")
    assert event.comment == "已备案"


def test_handler_values_are_validated_and_nothing_changes_when_invalid(
        alice: User, carol: User, archive: FormTemplate) -> None:
    instance = running_instance(alice, archive)
    task = open_task(instance, carol)
    before = Submission.objects.get(pk=instance.submission_id).values

    response = client_for(carol).post(f"/approvals/tasks/{task.pk}/complete/", {"f_payee": ""})

    assert response.status_code == 422
    assert 'data-testid="error-f_payee"' in response.content.decode()
    assert Submission.objects.get(pk=instance.submission_id).values == before
    assert open_task(instance, carol).pk == task.pk


def test_handler_api_complete_with_form_updates(alice: User, carol: User,
                                                archive: FormTemplate) -> None:
    instance = running_instance(alice, archive)
    task = open_task(instance, carol)
    api = bearer_client(carol)

    refused = api.post(f"/api/v1/approvals/tasks/{task.pk}/complete",
                       {"form_updates": {"f_type": "办公"}}, content_type="application/json")
    invalid = api.post(f"/api/v1/approvals/tasks/{task.pk}/complete",
                       {"form_updates": {"f_payee": ""}}, content_type="application/json")
    done = api.post(f"/api/v1/approvals/tasks/{task.pk}/complete",
                    {"form_updates": {"f_payee": "工商银行 6222"}, "comment": "好"},
                    content_type="application/json")

    assert (refused.status_code, invalid.status_code, done.status_code) == (403, 422, 200)
    assert refused.json()["message"] == "字段“f_type”在此节点不可编辑"
    assert invalid.json()["details"][0]["field"] == "f_payee"
    assert done.json()["item"]["status"] == "approved"
    assert Submission.objects.get(pk=instance.submission_id).values["f_payee"] == "工商银行 6222"


# --- the navbar badge ----------------------------------------------------------------------------


def test_navbar_badge_is_polled_and_counts_open_tasks(alice: User, bob: User,
                                                      archive: FormTemplate,
                                                      carol: User) -> None:
    running_instance(alice, archive)
    running_instance(alice, archive)

    page = client_for(carol).get("/approvals/").content.decode()
    badge = client_for(carol).get("/approvals/badge/?nav=1", HTTP_HX_REQUEST="true")

    assert 'hx-get="/approvals/badge/?nav=1"' in page
    assert 'data-testid="nav-approvals-count">2<' in badge.content.decode()
    assert 'data-testid="nav-approvals-count"' not in client_for(bob).get(
        "/approvals/badge/?nav=1").content.decode()


def test_api_approve_with_an_uploaded_signature(company: Company, alice: User, bob: User,
                                                carol: User) -> None:
    instance = running_instance(alice, flow_template(company, signed_flow([carol.pk])))
    task = open_task(instance, bob)
    api = bearer_client(bob)

    saved = api.post(f"/api/v1/approvals/tasks/{task.pk}/files",
                     {"kind": "signature", "file": SimpleUploadedFile("s.png", PNG)})
    approved = api.post(f"/api/v1/approvals/tasks/{task.pk}/approve",
                        {"signature": saved.json()["id"]}, content_type="application/json")

    assert (saved.status_code, approved.status_code) == (201, 200)
    assert approved.json()["item"]["current_nodes"] == "财务审核"
