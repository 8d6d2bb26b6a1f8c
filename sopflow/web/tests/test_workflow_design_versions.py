"""Flow versions: the history page, moving running items to the current version (all or
nothing), and importing BPMN through the designer's upload form."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from sopflow.audit.models import AuditEvent
from sopflow.core.errors import ValidationFailed
from sopflow.form_templates.models import FormTemplate
from sopflow.org.models import Company, Department, RoleAssignment, User
from sopflow.workflow.design import services as design_services
from sopflow.workflow.models import ApprovalTask, DefinitionVersion, Instance

SCHEMA: dict[str, Any] = {"fields": [
    {"key": "f_title", "type": "text", "label": "活动名称", "required": True},
    {"key": "f_budget", "type": "money", "label": "预算金额", "required": True},
]}


@pytest.fixture
def process_admin(company: Company) -> User:
    from sopflow.org.tests.builders import build_user, grant

    user = build_user(company, employee_no="P001", name="苏畅")
    grant(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)
    return user


@pytest.fixture
def campaign(company: Company) -> FormTemplate:
    from sopflow.form_templates.tests.builders import build_template

    return build_template(company, schema=SCHEMA, name="市场活动", code="campaign-v",
                          scope={"everyone": True})


def _head() -> dict[str, Any]:
    return {"type": "approver", "id": "head", "name": "部门负责人", "mode": "any",
            "approver_rule": {"type": "department_head", "level": 0}}


def _finance(department: Department) -> dict[str, Any]:
    return {"type": "approver", "id": "fin", "name": "财务审核", "mode": "any",
            "approver_rule": {"type": "named_department_head", "department_id": department.pk}}


def _publish(client: Client, template: FormTemplate, *nodes: dict[str, Any]) -> DefinitionVersion:
    flow: dict[str, Any] = {"type": "start", "id": "start", "name": "发起人"}
    tail = flow
    for node in nodes:
        tail["child"] = dict(node)
        tail = tail["child"]
    base = f"/api/v1/flows/{template.pk}"
    put = client.put(f"{base}/draft", json.dumps({"flow": flow}),
                     content_type="application/json")
    assert put.status_code == 200, put.content
    published = client.post(f"{base}/publish", {"accept_warnings": True},
                            content_type="application/json")
    assert published.status_code == 200, published.content
    return DefinitionVersion.objects.get(definition__template=template,
                                         number=published.json()["number"])


def _submit(author: User, template: FormTemplate, title: str) -> Instance:
    from sopflow.form_templates.tests.builders import build_submission
    from sopflow.workflow import services as workflow_services

    submission = build_submission(author, template, values={"f_title": title,
                                                            "f_budget": "1000"})
    workflow_services.submit_for_approval(actor=author, submission_id=submission.pk)
    return Instance.objects.get(submission=submission)


@pytest.fixture
def two_versions(client: Client, process_admin: User, campaign: FormTemplate,
                 finance: Department, alice: User, bob: User,
                 carol: User) -> dict[str, Any]:
    """v1: 部门负责人 → 财务审核. Two items wait at 部门负责人, one at 财务审核.
    v2 deletes 财务审核, so only the items at 部门负责人 can move."""
    from sopflow.workflow import services as workflow_services

    client.force_login(process_admin)
    v1 = _publish(client, campaign, _head(), _finance(finance))
    first = _submit(alice, campaign, "春季活动")
    second = _submit(alice, campaign, "夏季活动")
    at_finance = _submit(alice, campaign, "秋季活动")
    task = ApprovalTask.objects.get(instance=at_finance, status="open")
    workflow_services.approve(actor=bob, task_id=task.pk)
    at_finance.refresh_from_db()
    assert ApprovalTask.objects.get(instance=at_finance, status="open").node_id == "fin"
    v2 = _publish(client, campaign, _head())
    return {"v1": v1, "v2": v2, "first": first, "second": second, "at_finance": at_finance}


def _version_of(instance: Instance) -> int:
    instance.refresh_from_db()
    return instance.definition_version_id


def test_plan_lists_which_running_items_can_move_and_why_the_others_cannot(
        process_admin: User, campaign: FormTemplate, two_versions: dict[str, Any]) -> None:
    plan = design_services.migration_plan(actor=process_admin, template_id=campaign.pk,
                                          from_version_id=two_versions["v1"].pk)

    assert [(i.pk, why) for i, why in plan.movable] == [
        (two_versions["first"].pk, "部门负责人"), (two_versions["second"].pk, "部门负责人")]
    assert [(i.pk, why) for i, why in plan.stuck] == [
        (two_versions["at_finance"].pk, "当前节点 fin 在新版本中已删除")]


def test_the_current_version_has_nothing_to_move(
        process_admin: User, campaign: FormTemplate, two_versions: dict[str, Any]) -> None:
    plan = design_services.migration_plan(actor=process_admin, template_id=campaign.pk,
                                          from_version_id=two_versions["v2"].pk)

    assert plan.movable == []


def test_one_unmovable_item_moves_none(process_admin: User, campaign: FormTemplate,
                                       two_versions: dict[str, Any]) -> None:
    v1 = two_versions["v1"]
    chosen = [two_versions["first"].pk, two_versions["at_finance"].pk]

    with pytest.raises(ValidationFailed, match="不能迁移：当前节点 fin 在新版本中已删除；没有迁移任何审批"):
        design_services.migrate_instances(actor=process_admin, template_id=campaign.pk,
                                          from_version_id=v1.pk, instance_ids=chosen)

    assert _version_of(two_versions["first"]) == v1.pk
    assert _version_of(two_versions["at_finance"]) == v1.pk
    assert not AuditEvent.objects.filter(action="workflow.instance.migrated").exists()


def test_a_concurrent_change_to_one_item_moves_none(
        monkeypatch: pytest.MonkeyPatch, process_admin: User, campaign: FormTemplate,
        two_versions: dict[str, Any]) -> None:
    v1, first, second = two_versions["v1"], two_versions["first"], two_versions["second"]
    real = design_services.versions.movability

    def movability_while_someone_acts(state: Any, new: Any) -> Any:
        # Another request decides on the second item between the check and the move.
        Instance.objects.filter(pk=second.pk).update(revision=second.revision + 5)
        return real(state, new)

    monkeypatch.setattr(design_services.versions, "movability", movability_while_someone_acts)

    with pytest.raises(ValidationFailed, match="刚被处理过，没有迁移任何审批"):
        design_services.migrate_instances(actor=process_admin, template_id=campaign.pk,
                                          from_version_id=v1.pk,
                                          instance_ids=[first.pk, second.pk])

    assert _version_of(first) == v1.pk  # moved first, then rolled back with the second
    assert _version_of(second) == v1.pk
    first.refresh_from_db()
    assert first.revision == two_versions["first"].revision


def test_movable_items_move_together_and_keep_working(
        process_admin: User, campaign: FormTemplate, bob: User,
        two_versions: dict[str, Any]) -> None:
    from sopflow.workflow import services as workflow_services

    v1, v2, first = two_versions["v1"], two_versions["v2"], two_versions["first"]
    ids = [first.pk, two_versions["second"].pk]

    moved = design_services.migrate_instances(actor=process_admin, template_id=campaign.pk,
                                              from_version_id=v1.pk, instance_ids=ids)

    assert moved == 2
    assert _version_of(first) == v2.pk
    assert _version_of(two_versions["second"]) == v2.pk
    assert AuditEvent.objects.filter(action="workflow.instance.migrated").count() == 2
    task = ApprovalTask.objects.get(instance=first, status="open")
    workflow_services.approve(actor=bob, task_id=task.pk)
    first.refresh_from_db()
    assert first.status == Instance.Status.APPROVED  # v2 has no 财务审核 any more


def test_an_item_of_another_version_or_finished_refuses_the_whole_move(
        process_admin: User, campaign: FormTemplate, two_versions: dict[str, Any]) -> None:
    v1, first = two_versions["v1"], two_versions["first"]
    Instance.objects.filter(pk=two_versions["second"].pk).update(
        status=Instance.Status.WITHDRAWN)

    with pytest.raises(ValidationFailed, match="没有迁移任何审批"):
        design_services.migrate_instances(
            actor=process_admin, template_id=campaign.pk, from_version_id=v1.pk,
            instance_ids=[first.pk, two_versions["second"].pk])

    assert _version_of(first) == v1.pk


def test_migration_is_for_process_admins_only(alice: User, campaign: FormTemplate,
                                              two_versions: dict[str, Any]) -> None:
    from sopflow.core.errors import DomainError

    with pytest.raises(DomainError):
        design_services.migrate_instances(actor=alice, template_id=campaign.pk,
                                          from_version_id=two_versions["v1"].pk,
                                          instance_ids=[two_versions["first"].pk])

    assert _version_of(two_versions["first"]) == two_versions["v1"].pk


def test_versions_page_shows_changes_and_the_migration_lists(
        client: Client, campaign: FormTemplate, two_versions: dict[str, Any]) -> None:
    page = client.get(reverse("web:flow-versions", args=[campaign.pk])).content.decode()

    current = page.split('data-testid="version-2"')[1].split('data-testid="version-1"')[0]
    assert "当前" in current
    assert "删除：财务审核" in current
    old = page.split('data-testid="version-1"')[1]
    assert "进行中 3 个" in old
    assert 'data-testid="migrate-1"' in old
    movable, stuck = old.split("可以迁移：")[1].split("不能迁移：")
    assert f'name="instance_ids" value="{two_versions["first"].pk}"' in movable
    assert f'name="instance_ids" value="{two_versions["second"].pk}"' in movable
    assert f'value="{two_versions["at_finance"].pk}"' not in page
    assert "：当前节点 fin 在新版本中已删除" in stuck
    assert "迁移可以迁移的 2 个审批" in old


def test_versions_page_migrates_and_reports(client: Client, campaign: FormTemplate,
                                            two_versions: dict[str, Any]) -> None:
    url = reverse("web:flow-migrate", args=[campaign.pk, two_versions["v1"].pk])

    refused = client.post(url, {"instance_ids": [two_versions["first"].pk,
                                                 two_versions["at_finance"].pk]}, follow=True)
    assert "没有迁移任何审批" in refused.content.decode()
    assert _version_of(two_versions["first"]) == two_versions["v1"].pk

    done = client.post(url, {"instance_ids": [two_versions["first"].pk,
                                              two_versions["second"].pk]}, follow=True)
    assert "已将 2 个审批迁移到当前版本" in done.content.decode()
    assert _version_of(two_versions["first"]) == two_versions["v2"].pk


def test_versions_page_is_for_process_admins_only(client: Client, alice: User,
                                                  campaign: FormTemplate) -> None:
    client.force_login(alice)

    assert client.get(reverse("web:flow-versions", args=[campaign.pk])).status_code in (403, 404)


def test_bpmn_import_form_loads_an_exported_flow_into_the_draft(
        client: Client, process_admin: User, campaign: FormTemplate,
        two_versions: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    xml = client.get(reverse("web:flow-export", args=[campaign.pk]),
                     {"version": two_versions["v1"].pk}).content
    upload = SimpleUploadedFile("flow.bpmn", xml, content_type="application/xml")

    response = client.post(reverse("web:flow-import", args=[campaign.pk]), {"file": upload},
                           follow=True)

    assert "已导入为草稿，请检查后发布" in response.content.decode()
    draft = design_services.get_draft(actor=process_admin, template_id=campaign.pk)
    assert draft.flow == two_versions["v1"].spec["flow"]


def test_bpmn_import_form_refuses_unsupported_elements_by_name(
        client: Client, process_admin: User, campaign: FormTemplate) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(process_admin)
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
    <bpmn:subProcess id="sub" name="\xe5\xad\x90\xe6\xb5\x81\xe7\xa8\x8b"/>
    <bpmn:sequenceFlow id="f2" sourceRef="sub" targetRef="e"/>
    <bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>"""
    before = design_services.get_draft(actor=process_admin, template_id=campaign.pk).flow

    response = client.post(reverse("web:flow-import", args=[campaign.pk]),
                           {"file": SimpleUploadedFile("bad.bpmn", xml)}, follow=True)

    page = response.content.decode()
    assert "不支持的 BPMN 元素 subProcess“子流程”（id=sub）" in page
    assert "已导入为草稿" not in page
    assert design_services.get_draft(actor=process_admin, template_id=campaign.pk).flow == before
