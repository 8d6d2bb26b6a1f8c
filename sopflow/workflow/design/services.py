"""Use cases of the flow designer: the draft of a template's flow, its edits, lint, simulation,
publishing, BPMN in and out, and moving running items to the current version.

The draft is a `DefinitionVersion` row with `number=0` and no `published_at` (never routed:
instances only pin published versions). Publishing copies it into the next numbered version
through `sopflow.workflow.definitions.publish_definition`. Only process admins of the template's
company get here (`form_templates.access.get_template_for(..., "manage")`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import get_language, gettext, ngettext

from sopflow.audit.services import lock_chain, record
from sopflow.core.errors import DomainError, ValidationFailed
from sopflow.form_templates import access as template_access
from sopflow.form_templates.models import FormTemplate
from sopflow.form_templates.schema.fields import Schema, SchemaError
from sopflow.org.models import User
from sopflow.workflow import definitions
from sopflow.workflow.directory import OrgDirectory
from sopflow.workflow.engine import Definition
from sopflow.workflow.engine.values import JsonValue
from sopflow.workflow.models import DefinitionVersion, Instance, WorkflowDefinition

from . import bpmn, editing, versions
from .lint import Finding, has_errors, lint
from .simulate import Simulation, simulate

DRAFT_NUMBER = 0
SPEC_FORMAT = "sopflow.workflow/1"


class LintFailed(ValidationFailed):
    """Publishing refused: lint errors, or warnings not yet accepted. `findings` lists them all."""

    def __init__(self, message: str, findings: list[Finding]) -> None:
        super().__init__(message, code="lint_failed",
                         details=[finding.to_dict() for finding in findings])  # type: ignore[misc]  # str dicts are objects
        self.findings = findings


@dataclass(frozen=True)
class Draft:
    template: FormTemplate
    flow: dict[str, JsonValue]
    schema: Schema


@dataclass(frozen=True)
class Migration:
    movable: list[tuple[Instance, str]]
    stuck: list[tuple[Instance, str]]


def get_draft(*, actor: User, template_id: int) -> Draft:
    """The template's draft flow: the saved draft, else the current version, else just 发起人."""
    template = template_access.get_template_for(actor, template_id, "manage")
    row = _draft_row(template)
    if row is not None:
        flow = row.spec.get("flow") or editing.empty_definition()
    else:
        current = definitions.current_version(template.pk)
        flow = current.spec["flow"] if current is not None else editing.empty_definition()
    return Draft(template, editing.normalise(flow), _schema(template))


def save_draft(*, actor: User, template_id: int, flow: Mapping[str, Any]) -> Draft:
    """Validate and store a whole draft (API put, BPMN import). Raises ValidationFailed."""
    template = template_access.get_template_for(actor, template_id, "manage")
    normalised = _validated(lambda: editing.normalise(flow))
    with transaction.atomic():
        _store(template, normalised)
    return Draft(template, normalised, _schema(template))


def edit_draft(*, actor: User, template_id: int, operation: str,
               params: Mapping[str, Any]) -> Draft:
    """Apply one designer operation (`insert`, `delete`, `add_branch`, `delete_branch`,
    `move_branch`, `update_node`, `update_branch`) to the draft and store the result."""
    draft = get_draft(actor=actor, template_id=template_id)
    flow = draft.flow

    def apply() -> dict[str, JsonValue]:
        match operation:
            case "insert":
                return editing.insert_node(flow, kind=str(params.get("kind")),
                                           after=str(params.get("after") or ""),
                                           into_branch=str(params.get("into_branch") or ""))
            case "delete":
                return editing.delete_node(flow, str(params.get("node_id")))
            case "add_branch":
                return editing.add_branch(flow, str(params.get("group_id")))
            case "delete_branch":
                return editing.delete_branch(flow, str(params.get("branch_id")))
            case "move_branch":
                return editing.move_branch(flow, str(params.get("branch_id")),
                                           int(params.get("offset") or 0))
            case "update_node":
                return editing.update_node(flow, str(params.get("node_id")),
                                           params.get("settings") or {})
            case "update_branch":
                return editing.update_branch(flow, str(params.get("branch_id")),
                                             name=str(params.get("name") or ""),
                                             condition=params.get("condition"))
            case _:
                raise editing.EditError(f"未知的操作 {operation}")

    changed = _validated(apply)
    with transaction.atomic():
        _store(draft.template, changed)
    return Draft(draft.template, changed, draft.schema)


def lint_draft(*, actor: User, template_id: int) -> list[Finding]:
    """Lint the draft against the template's current form and the company's current org."""
    draft = get_draft(actor=actor, template_id=template_id)
    return _lint(draft)


def simulate_draft(*, actor: User, template_id: int, initiator_id: int,
                   form: Mapping[str, object],
                   chosen_approvers: Mapping[str, Sequence[int]] | None = None) -> Simulation:
    """The route the draft would give `initiator_id` (an employee of the same company)."""
    draft = get_draft(actor=actor, template_id=template_id)
    company_id = draft.template.company_id
    if not User.objects.filter(pk=initiator_id, company_id=company_id).exists():
        raise ValidationFailed(gettext("请选择本公司的员工作为发起人"), field="initiator_id")
    return simulate(Definition.from_dict(draft.flow), schema=draft.schema,
                    directory=OrgDirectory(company_id), initiator_id=initiator_id, form=form,
                    chosen_approvers=chosen_approvers)


def publish_draft(*, actor: User, template_id: int,
                  accept_warnings: bool = False) -> DefinitionVersion:
    """Lint, then publish the draft as the next version tied to the current template version.

    Raises LintFailed when there are errors, or warnings and `accept_warnings` is false.
    """
    draft = get_draft(actor=actor, template_id=template_id)
    findings = _lint(draft)
    if has_errors(findings):
        count = sum(1 for finding in findings if finding.is_error)
        raise LintFailed(ngettext("流程有 %(count)s 个错误，修正后才能发布", "流程有 %(count)s 个错误，修正后才能发布", count) % {"count": count}, findings)
    if findings and not accept_warnings:
        raise LintFailed(ngettext("流程有 %(count)s 条警告，确认后才能发布", "流程有 %(count)s 条警告，确认后才能发布", len(findings)) % {"count": len(findings)}, findings)
    previous = definitions.current_version(draft.template.pk)
    spec: dict[str, Any] = {"format": SPEC_FORMAT, "template": draft.template.code,
                            "reject_reasons": [], "return_reasons": [], "batch_approve": False}
    if previous is not None:
        spec |= {key: previous.spec[key] for key in ("format", "reject_reasons",
                                                     "return_reasons", "batch_approve")
                 if key in previous.spec}
    spec["flow"] = draft.flow
    with transaction.atomic():
        version = definitions.publish_definition(actor=actor, template=draft.template, spec=spec)
        change = versions.diff(_definition_of(previous), Definition.from_dict(draft.flow))
        record(actor=actor, action="workflow.design.published", obj=version,
               company_id=draft.template.company_id,
               changes={"version": version.number, "summary": change.summary(),
                        "warnings_accepted": [f.message for f in findings]})
    return version


def import_bpmn(*, actor: User, template_id: int, xml: str | bytes) -> Draft:
    """Replace the draft with an imported BPMN diagram. Raises ValidationFailed naming the element."""
    try:
        flow = bpmn.import_bpmn(xml)
    except bpmn.BpmnError as error:
        raise ValidationFailed(error.message, code="bpmn_refused") from None
    return save_draft(actor=actor, template_id=template_id, flow=flow)


def export_bpmn(*, actor: User, template_id: int, version_id: int | None = None) -> str:
    """A published version (the current one by default) as BPMN 2.0 XML."""
    template = template_access.get_template_for(actor, template_id, "manage")
    version = _version(template, version_id)
    return bpmn.export_bpmn(Definition.from_dict(version.spec["flow"]),
                            name=f"{template.name}审批")


def migration_plan(*, actor: User, template_id: int, from_version_id: int) -> Migration:
    """Running items of an old version: which can move to the current version and why not."""
    template = template_access.get_template_for(actor, template_id, "manage")
    old = _version(template, from_version_id)
    current = _version(template, None)
    new = Definition.from_dict(current.spec["flow"])
    movable: list[tuple[Instance, str]] = []
    stuck: list[tuple[Instance, str]] = []
    for instance in (Instance.objects.filter(definition_version=old,
                                             status=Instance.Status.RUNNING)
                     .select_related("initiator").order_by("pk")):
        verdict = versions.movability(instance.state, new)
        target = movable if verdict.can_move and old.pk != current.pk else stuck
        reason = "、".join(verdict.nodes) if verdict.can_move else verdict.reason
        target.append((instance, reason if old.pk != current.pk else "已是当前版本"))
    return Migration(movable, stuck)


def migrate_instances(*, actor: User, template_id: int, from_version_id: int,
                      instance_ids: Sequence[int]) -> int:
    """Move the chosen running items to the current version, all of them or none.

    Raises ValidationFailed (and moves nothing) when any chosen item cannot move.
    """
    with transaction.atomic():
        template = template_access.get_template_for(actor, template_id, "manage")
        current = _version(template, None)
        new = Definition.from_dict(current.spec["flow"])
        lock_chain()  # the workflow's lock order: audit head, then the items (decision 0010)
        rows = list(Instance.objects.select_for_update().filter(
            pk__in=list(instance_ids), definition_version_id=from_version_id,
            template=template, status=Instance.Status.RUNNING).order_by("pk"))
        if len(rows) != len(set(instance_ids)):
            raise ValidationFailed(gettext("部分审批已结束或不属于该版本，没有迁移任何审批"))
        for row in rows:
            verdict = versions.movability(row.state, new)
            if not verdict.can_move:
                raise ValidationFailed(gettext("“%(title)s”不能迁移：%(reason)s；没有迁移任何审批") % {"title": row.title, "reason": verdict.reason})
        for row in rows:
            updated = Instance.objects.filter(pk=row.pk, revision=row.revision).update(
                definition_version=current, revision=row.revision + 1)
            if updated != 1:
                raise ValidationFailed(gettext("“%(title)s”刚被处理过，没有迁移任何审批") % {"title": row.title})
            record(actor=actor, action="workflow.instance.migrated", obj=row,
                   company_id=template.company_id,
                   changes={"from_version": from_version_id, "to_version": current.pk})
    return len(rows)


# --- helpers --------------------------------------------------------------------------------

def _lint(draft: Draft) -> list[Finding]:
    company_id = draft.template.company_id
    people = list(User.objects.filter(company_id=company_id, is_active=True).order_by("pk"))
    directory = OrgDirectory(company_id)
    directory.prime(people)
    # The pure lint has its own bilingual catalogue; it speaks the active (request's) language.
    return lint(Definition.from_dict(draft.flow), schema=draft.schema, directory=directory,
                initiators=[person.pk for person in people],
                language=get_language() or "zh-hans")


def _draft_row(template: FormTemplate) -> DefinitionVersion | None:
    return DefinitionVersion.objects.filter(definition__template=template,
                                            number=DRAFT_NUMBER).first()


def _store(template: FormTemplate, flow: dict[str, JsonValue]) -> None:
    definition, _ = WorkflowDefinition.objects.get_or_create(
        template=template, defaults={"company_id": template.company_id,
                                     "name": f"{template.name}审批"})
    DefinitionVersion.objects.update_or_create(
        definition=definition, number=DRAFT_NUMBER,
        defaults={"spec": {"format": SPEC_FORMAT, "template": template.code, "flow": flow},
                  "template_version": template.current_version, "published_at": None})


def _schema(template: FormTemplate) -> Schema:
    version = template.current_version or template.versions.order_by("-number").first()
    try:
        return Schema.from_dict(version.schema if version is not None else {"fields": []})
    except SchemaError:
        return Schema(())


def _version(template: FormTemplate, version_id: int | None) -> DefinitionVersion:
    found = DefinitionVersion.objects.filter(definition__template=template,
                                             published_at__isnull=False)
    version = (found.filter(pk=version_id).first() if version_id is not None
               else found.order_by("-number").first())
    if version is None:
        raise ValidationFailed(gettext("该模板还没有已发布的流程版本"))
    return version


def _definition_of(version: DefinitionVersion | None) -> Definition | None:
    return Definition.from_dict(version.spec["flow"]) if version is not None else None


def _validated[T](make: Any) -> Any:
    try:
        return make()
    except editing.EditError as error:
        raise ValidationFailed(error.message) from None
    except DomainError:
        raise
