"""The flow designer over the API: the draft of a template's flow, lint, simulate, publish and
BPMN in and out (same services and messages as the web designer; process admins only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from sopflow.workflow.design import services

router = Router(tags=["workflow_design"])


class DraftIn(Schema):
    flow: dict[str, Any]


class DraftOut(Schema):
    template_id: int
    flow: dict[str, Any]


class FindingOut(Schema):
    level: str
    code: str
    node_id: str
    node_name: str
    message: str


class LintOut(Schema):
    can_publish: bool
    findings: list[FindingOut]


class SimulateIn(Schema):
    initiator_id: int
    values: dict[str, Any] = {}
    chosen_approvers: dict[str, list[int]] | None = None


class PublishIn(Schema):
    accept_warnings: bool = False


class PublishOut(Schema):
    version_id: int
    number: int
    template_version_id: int | None


class BpmnIn(Schema):
    xml: str


@router.get("/{template_id}/draft", response=DraftOut, summary="流程草稿")
def get_draft(request: HttpRequest, template_id: int) -> DraftOut:
    draft = services.get_draft(actor=request.user, template_id=template_id)  # type: ignore[arg-type]  # authenticated
    return DraftOut(template_id=template_id, flow=draft.flow)


@router.put("/{template_id}/draft", response=DraftOut, summary="保存流程草稿")
def put_draft(request: HttpRequest, template_id: int, body: DraftIn) -> DraftOut:
    draft = services.save_draft(actor=request.user, template_id=template_id, flow=body.flow)  # type: ignore[arg-type]  # authenticated
    return DraftOut(template_id=template_id, flow=draft.flow)


@router.post("/{template_id}/lint", response=LintOut, summary="检查流程草稿")
def lint(request: HttpRequest, template_id: int) -> LintOut:
    findings = services.lint_draft(actor=request.user, template_id=template_id)  # type: ignore[arg-type]  # authenticated
    return LintOut(can_publish=not any(f.is_error for f in findings),
                   findings=[FindingOut(**f.to_dict()) for f in findings])


@router.post("/{template_id}/simulate", summary="模拟流转")
def simulate(request: HttpRequest, template_id: int, body: SimulateIn) -> dict[str, Any]:
    result = services.simulate_draft(actor=request.user, template_id=template_id,  # type: ignore[arg-type]  # authenticated
                                     initiator_id=body.initiator_id, form=body.values,
                                     chosen_approvers=body.chosen_approvers)
    return result.to_dict()


@router.post("/{template_id}/publish", response=PublishOut, summary="发布流程草稿")
def publish(request: HttpRequest, template_id: int, body: PublishIn) -> PublishOut:
    version = services.publish_draft(actor=request.user, template_id=template_id,  # type: ignore[arg-type]  # authenticated
                                     accept_warnings=body.accept_warnings)
    return PublishOut(version_id=version.pk, number=version.number,
                      template_version_id=version.template_version_id)


@router.get("/{template_id}/bpmn", summary="导出 BPMN 2.0（默认当前版本）")
def export_bpmn(request: HttpRequest, template_id: int,
                version_id: int | None = None) -> HttpResponse:
    xml = services.export_bpmn(actor=request.user, template_id=template_id,  # type: ignore[arg-type]  # authenticated
                               version_id=version_id)
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")


@router.post("/{template_id}/bpmn", response=DraftOut, summary="导入 BPMN 2.0 为草稿")
def import_bpmn(request: HttpRequest, template_id: int, body: BpmnIn) -> DraftOut:
    draft = services.import_bpmn(actor=request.user, template_id=template_id, xml=body.xml)  # type: ignore[arg-type]  # authenticated
    return DraftOut(template_id=template_id, flow=draft.flow)
