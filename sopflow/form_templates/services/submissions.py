"""Use cases for filling forms: start a draft (pinned to the current version), autosave it,
submit it (validated by the schema package: the server is the authority), and practice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext, ngettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Conflict, NotFound, ValidationFailed
from sopflow.core.sql import Table, cursor
from sopflow.org.models import Company, Department, User

from .. import access, gates, schema_bridge
from ..models import Attachment, Submission, TemplateVersion

FILE_TYPES = {"attachment", "image", "signature"}


@dataclass(frozen=True)
class PracticeReport:
    """What a practice run found: every error, and the computed values. Nothing is stored."""

    evaluation: schema_bridge.Evaluation

    @property
    def passed(self) -> bool:
        return not self.evaluation.errors


def start_submission(*, actor: User, template_id: int) -> Submission:
    """A new draft of the template's current version (defaults filled in)."""
    with transaction.atomic():
        template = access.get_template_for(actor, template_id, "start")
        version = template.current_version
        if version is None:  # "start" access already requires a published version
            raise ValidationFailed(gettext("模板尚未发布"))
        gates.enforce_start_gates(actor, template)  # e.g. training: pass the course first
        now = clock.now()
        submission = Submission(
            company_id=template.company_id, template=template, version=version, author=actor,
            values=_defaults(version), title=f"{template.name} · {actor.name} · {now:%m-%d}",
            created_at=now, updated_at=now,
        )
        with cursor() as c:  # prepared INSERT (decision 0010): a hot path
            submission.pk = _SUBMISSIONS.insert(c, [_columns(submission)])[0]
        submission._state.adding = False
        record(actor=actor, action="form_templates.submission.created", obj=submission,
               changes={"template": template.pk, "version": version.number})
    return submission


def update_draft(
    *, actor: User, submission_id: int, values: dict[str, Any], revision: int | None = None
) -> Submission:
    """Autosave a draft's values (partial or invalid values are fine until submit).

    With `revision`, refuses with Conflict when someone else saved first (optimistic lock).
    Autosaves are not audited one by one: a draft is private scratch; creation and submission are.
    """
    with transaction.atomic():
        submission = access.get_submission_for(actor, submission_id, "edit")
        computed = live_evaluation(submission.version, values).computed
        updated = Submission.objects.filter(
            pk=submission.pk, **({"revision": revision} if revision is not None else {})
        ).update(values=values, computed=computed, revision=F("revision") + 1,
                 updated_at=clock.now())
        if not updated:
            raise Conflict(gettext("表单已在别处保存过，请刷新页面后再修改"))
        submission.refresh_from_db()
    return submission


def submit_submission(
    *, actor: User, submission_id: int, values: dict[str, Any] | None = None,
    revision: int | None = None, language: str = "zh-hans", urgent: bool = False,
    chosen_approvers: dict[str, list[int]] | None = None, require_workflow: bool = False,
) -> Submission:
    """Validate and submit a draft. Raises ValidationFailed with one detail per field error.

    When the template has a workflow, the approval starts in the same transaction; a route that
    refuses (nobody to approve) raises ValidationFailed and nothing is stored. With
    `require_workflow`, a template without one raises NotFound (nothing stored either).
    """
    with transaction.atomic():
        submission = access.get_submission_for(actor, submission_id, "edit")
        if revision is not None and revision != submission.revision:
            raise Conflict(gettext("表单已在别处保存过，请刷新页面后再提交"))
        gates.enforce_start_gates(actor, submission.template)
        values = submission.values if values is None else values
        evaluation = schema_bridge.evaluate(submission.version.schema, values, language=language,
                                            today=clock.today_local().date(),
                                            **_context(actor, submission))
        if evaluation.errors:
            # Keep what the person typed, so nothing is lost on a refused submit.
            Submission.objects.filter(pk=submission.pk).update(
                values=values, computed=evaluation.computed, revision=F("revision") + 1)
            raise ValidationFailed(
                ngettext("有 %(count)s 处需要修改：%(message)s", "有 %(count)s 处需要修改：%(message)s", len(evaluation.errors)) % {"count": len(evaluation.errors), "message": evaluation.errors[0].message},
                field=evaluation.errors[0].field,
                details=[error.to_dict() for error in evaluation.errors])
        _mark_submitted(submission, evaluation.cleaned, evaluation.computed)
        files = _file_ids(submission.version.schema, values)
        if files:
            Attachment.objects.filter(pk__in=files, owner=actor, submission__isnull=True).update(
                submission=submission)
        audit = ("form_templates.submission.submitted",
                 {"template": submission.template_id, "version": submission.version.number},
                 submission)
        from sopflow.workflow.services import start_for_submission

        # The workflow writes this audit row with its own (one chained write).
        started = start_for_submission(actor=actor, submission=submission, urgent=urgent,
                                       chosen_approvers=chosen_approvers, audit=[audit])
        if started is None:
            if require_workflow:
                raise NotFound(gettext("该模板没有配置审批流程"))
            record(actor=actor, action=audit[0], obj=submission, changes=audit[1])
    return submission


def _mark_submitted(submission: Submission, cleaned: dict[str, Any],
                    computed: dict[str, Any]) -> None:
    """Draft → submitted, only if it still is a draft: of two submits of the same draft (a
    double click, two tabs) one wins and the other gets Conflict."""
    now = clock.now()
    names = ["values", "computed", "status", "submitted_at", "updated_at"]
    values = [cleaned, computed, Submission.Status.SUBMITTED, now, now]
    assignments, params = _SUBMISSIONS.set_values(names, values)
    with cursor() as c:
        c.execute(f"UPDATE {_SUBMISSIONS.q(_SUBMISSIONS.name)} SET {assignments}, "
                  f"revision = revision + 1 WHERE id = %s AND status = %s",
                  [*params, submission.pk, Submission.Status.DRAFT])
        if c.rowcount != 1:
            raise Conflict(gettext("表单已提交，不能重复提交"))
    for name, value in zip(names, values, strict=True):
        setattr(submission, name, value)
    submission.revision += 1


def _columns(submission: Submission) -> dict[str, Any]:
    return {field.attname: getattr(submission, field.attname)
            for field in _SUBMISSIONS.fields if not field.primary_key}


_SUBMISSIONS = Table(Submission)


def revise_submitted_values(
    *, actor: User, submission: Submission, values: dict[str, Any], language: str = "zh-hans"
) -> Submission:
    """New values for a submitted form that was returned to its author (the workflow's resubmit
    runs this in its transaction). Validated like a submit; new files are attached."""
    if submission.author_id != actor.pk:
        raise NotFound(gettext("表单不存在"))
    evaluation = schema_bridge.evaluate(submission.version.schema, values, language=language,
                                        today=clock.today_local().date(),
                                        **_context(actor, submission))
    if evaluation.errors:
        raise ValidationFailed(
            ngettext("有 %(count)s 处需要修改：%(message)s", "有 %(count)s 处需要修改：%(message)s", len(evaluation.errors)) % {"count": len(evaluation.errors), "message": evaluation.errors[0].message},
            field=evaluation.errors[0].field,
            details=[error.to_dict() for error in evaluation.errors])
    submission.values = evaluation.cleaned
    submission.computed = evaluation.computed
    submission.revision += 1
    submission.save(update_fields=["values", "computed", "revision", "updated_at"])
    Attachment.objects.filter(pk__in=_file_ids(submission.version.schema, values),
                              owner=actor, submission__isnull=True).update(submission=submission)
    record(actor=actor, action="form_templates.submission.revised", obj=submission,
           changes={"revision": submission.revision})
    return submission


def practice_check(
    *, actor: User, template_id: int, values: dict[str, Any], language: str = "zh-hans"
) -> PracticeReport:
    """Validate like a real submit against the current version, report every error, store nothing."""
    template = access.get_template_for(actor, template_id, "view")
    version = template.current_version
    if version is None:
        raise ValidationFailed(gettext("模板尚未发布"))
    return PracticeReport(schema_bridge.evaluate(version.schema, values, language=language,
                                                 today=clock.today_local().date(),
                                                 **_context(actor, None)))


def live_evaluation(
    version: TemplateVersion, values: dict[str, Any], language: str = "zh-hans",
    company: object | None = None,
) -> schema_bridge.Evaluation:
    """Computed values and the errors of fields already filled (no "required" nagging).
    Working days follow `company`'s calendar (national holidays and 调休 included)."""
    evaluation = schema_bridge.evaluate(version.schema, values, language=language,
                                        today=clock.today_local().date(),
                                        calendar=_calendar(version.schema, company))
    errors = [error for error in evaluation.errors
              if error.code not in {"required", "min_rows", "min_choices"}]
    return schema_bridge.Evaluation(evaluation.cleaned, evaluation.computed, errors,
                                    evaluation.hidden)


def apply_workflow_updates(
    *, actor: User, submission: Submission, updates: dict[str, Any], language: str = "zh-hans"
) -> Submission:
    """Merge the fields a workflow handler node filled into a submitted form, validated with the
    whole form like a submit (the workflow service has checked the node may edit these keys).
    New files the handler uploaded are attached. Raises ValidationFailed per field error."""
    values = {**submission.values, **updates}
    evaluation = schema_bridge.evaluate(submission.version.schema, values, language=language,
                                        today=clock.today_local().date(),
                                        **_context(actor, submission))
    if evaluation.errors:
        raise ValidationFailed(
            f"有 {len(evaluation.errors)} 处需要修改：{evaluation.errors[0].message}",
            field=evaluation.errors[0].field,
            details=[error.to_dict() for error in evaluation.errors])
    submission.values = evaluation.cleaned
    submission.computed = evaluation.computed
    submission.revision += 1
    submission.save(update_fields=["values", "computed", "revision", "updated_at"])
    Attachment.objects.filter(pk__in=_file_ids(submission.version.schema, updates),
                              owner=actor, submission__isnull=True).update(submission=submission)
    record(actor=actor, action="form_templates.submission.revised", obj=submission,
           changes={"revision": submission.revision, "fields": sorted(updates)})
    return submission


def _calendar(schema: dict[str, Any] | None, company: object | None) -> Any | None:
    """The company's working-day calendar when the form counts days (no queries otherwise)."""
    if schema is None or not any(item.get("type") == "date_range"
                                 for item in schema_bridge.iter_fields(schema)):
        return None
    from sopflow.worktime.calendar import calendar_for

    return calendar_for(company)


def _defaults(version: TemplateVersion) -> dict[str, Any]:
    return {item["key"]: item["default"] for item in version.schema.get("fields", [])
            if "default" in item and item.get("default") not in (None, "")}


def _file_ids(schema: dict[str, Any], values: dict[str, Any]) -> set[int]:
    found: set[int] = set()
    for item in schema.get("fields", []):
        value = values.get(item.get("key", ""))
        if item.get("type") in FILE_TYPES and isinstance(value, list):
            found |= {v for v in value if isinstance(v, int)}
        if item.get("type") == "table" and isinstance(value, list):
            columns = [c["key"] for c in item.get("columns", []) if c.get("type") in FILE_TYPES]
            for row in value:
                for column in columns:
                    cell = row.get(column) if isinstance(row, dict) else None
                    if isinstance(cell, list):
                        found |= {v for v in cell if isinstance(v, int)}
    return found


def _context(actor: User, submission: Submission | None) -> dict[str, Any]:
    """What validation needs from the database: files, people and departments of the company,
    and the calendar; each read only when the form asks for it."""
    company_id = submission.company_id if submission is not None else actor.company_id

    def resolve(pk: int) -> tuple[str, int, bool] | None:
        found = Attachment.objects.filter(pk=pk).first()
        if found is None:
            return None
        # Only files already on this form, or uploaded by the actor and not used elsewhere
        # (a handler node may add files to someone else's form).
        mine = (submission is not None and found.submission_id == submission.pk) or (
            found.owner_id == actor.pk and found.submission_id is None)
        return found.kind, found.size, mine

    people = _LazyIds(lambda: User.objects.filter(company_id=company_id, is_active=True)
                      .values_list("pk", flat=True) if company_id else [])
    departments = _LazyIds(lambda: Department.objects.filter(company_id=company_id)
                           .values_list("pk", flat=True) if company_id else [])
    return {
        "resolve_attachment": resolve,
        # The calendar needs only the company's id (no company row is read).
        "calendar": _calendar(submission.version.schema,
                              Company(pk=company_id)) if submission is not None else None,
        "known_people": people,
        "known_departments": departments,
    }


class _LazyIds(Collection[int]):
    """A set of ids read on first use (most forms have no person or department field)."""

    def __init__(self, load: Callable[[], Iterable[int]]) -> None:
        self._load = load
        self._ids: set[int] | None = None

    def _all(self) -> set[int]:
        if self._ids is None:
            self._ids = set(self._load())
        return self._ids

    def __contains__(self, item: object) -> bool:
        return item in self._all()

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())
