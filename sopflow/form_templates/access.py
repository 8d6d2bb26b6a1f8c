"""Who may start, see and manage templates, and who may see a submission and its files.

Web, API and services reach templates, submissions and attachments only through these helpers.
Objects the user may not see raise `NotFound` (no existence leak). The workflow issue widens
`submissions_visible_to` to approvers and CC recipients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from sopflow.core.errors import Forbidden, NotFound
from sopflow.core.sql import Table, cursor
from sopflow.org.access import has_role, roles_of
from sopflow.org.models import Company, Department, RoleAssignment, User
from sopflow.org.queries import ancestors, descendant_ids

from .models import Attachment, FormTemplate, Submission, TemplateVersion
from .schema_bridge import shared_schema

Role = RoleAssignment.Role
TemplateAction = Literal["start", "view", "manage"]
SubmissionAction = Literal["view", "edit"]


def can_manage_templates(user: User, company: Company | None) -> bool:
    """Process admins (and system admins) of the company design and publish templates."""
    return company is not None and has_role(user, Role.PROCESS_ADMIN, company=company)


def is_in_scope(user: User, scope: dict[str, object]) -> bool:
    """True when the template's visibility scope includes the user."""
    return scope_match(user, scope) is not None


def scope_match(user: User, scope: dict[str, object]) -> str | None:
    """How the user is reached: "pushed" (by position, role, department or name), "everyone", or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    if _list(scope.get("users")) and user.pk in _list(scope.get("users")):
        return "pushed"
    if user.position_id is not None and user.position_id in _list(scope.get("positions")):
        return "pushed"
    roles = _list(scope.get("roles"))
    if roles and set(map(str, roles)) & roles_of(user):
        return "pushed"
    if _in_departments(user, _list(scope.get("departments"))):
        return "pushed"
    if scope.get("everyone"):
        return "everyone"
    return None


def templates_startable_by(user: User) -> list[FormTemplate]:
    """Active, published templates of the user's company whose scope includes the user."""
    if user.company_id is None:
        return []
    candidates = (
        FormTemplate.objects.filter(
            company_id=user.company_id, is_active=True, current_version__isnull=False
        )
        .select_related("current_version")
        .order_by("category", "pk")
    )
    return [template for template in candidates if is_in_scope(user, template.scope)]


def templates_manageable_by(user: User) -> QuerySet[FormTemplate]:
    if user.company_id is None or not can_manage_templates(user, user.company):
        return FormTemplate.objects.none()
    return FormTemplate.objects.filter(company_id=user.company_id).select_related(
        "current_version", "owner"
    )


def get_template_for(user: User, template_id: int, action: TemplateAction = "view") -> FormTemplate:
    """The template if the user may `start` it, `view` it (start or manage) or `manage` it."""
    if action == "start":
        template = _startable_template(template_id, user.company_id)
    else:
        template = (
            FormTemplate.objects.select_related("company", "current_version", "owner")
            .filter(pk=template_id, company_id=user.company_id)
            .first()
        )
    if template is None or user.company_id is None:
        raise NotFound(gettext("模板不存在"))
    startable = (
        template.is_active
        and template.current_version_id is not None
        and is_in_scope(user, template.scope)
    )
    if startable and action in ("start", "view"):
        return template  # the role check below is only needed to choose the refusal
    manager = can_manage_templates(user, template.company)
    if action == "manage" and not manager:
        if startable:
            raise Forbidden(gettext("只有流程管理员可以修改模板"))
        raise NotFound(gettext("模板不存在"))
    if action == "start" and not startable:
        if manager:
            raise Forbidden(gettext("模板尚未发布或不在你的可发起范围内"))
        raise NotFound(gettext("模板不存在"))
    if action == "view" and not (manager or startable):
        raise NotFound(gettext("模板不存在"))
    return template


def get_version_for(user: User, version_id: int, action: TemplateAction = "view") -> TemplateVersion:
    """A version of a template the user may see; drafts only for template managers."""
    version = TemplateVersion.objects.select_related("template").filter(pk=version_id).first()
    if version is None:
        raise NotFound(gettext("版本不存在"))
    get_template_for(user, version.template_id, "manage" if not version.is_published else action)
    return version


def submissions_visible_to(user: User) -> QuerySet[Submission]:
    """Own submissions; submitted ones of the company for auditors and system admins, and of
    the departments a user heads (with their sub-departments) for department heads; and those
    whose approval the user takes part in (assignee, past or present, or CC recipient)."""
    if not user.is_authenticated or not user.is_active:
        return Submission.objects.none()
    condition = Q(author=user)
    if apps.is_installed("sopflow.workflow"):
        from sopflow.workflow.models import ApprovalTask, CarbonCopy

        condition |= Q(Exists(ApprovalTask.objects.filter(
            instance__submission=OuterRef("pk"), assignee=user)))
        condition |= Q(Exists(CarbonCopy.objects.filter(
            instance__submission=OuterRef("pk"), user=user)))
    if user.company_id is not None:
        company = user.company
        if has_role(user, Role.AUDITOR, company=company) or has_role(
            user, Role.SYSTEM_ADMIN, company=company
        ):
            condition |= Q(company_id=user.company_id) & ~Q(status=Submission.Status.DRAFT)
        headed: set[int] = set()
        for department in Department.objects.filter(heads=user, is_active=True):
            headed |= descendant_ids(department)
        if headed:
            condition |= Q(author__department_id__in=headed) & ~Q(status=Submission.Status.DRAFT)
    return Submission.objects.filter(condition)


def get_submission_for(
    user: User, submission_id: int, action: SubmissionAction = "view"
) -> Submission:
    """The submission if visible; `edit` additionally needs the author and the draft status."""
    if action == "edit":
        return _own_draft(user, submission_id)
    submission = (
        submissions_visible_to(user)
        .select_related("template", "version", "author", "author__department")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        raise NotFound(gettext("表单不存在"))
    return submission


def _own_draft(user: User, submission_id: int) -> Submission:
    """`get_submission_for(…, "edit")`: only the author may edit, so this is the author's own
    row (with template and version) read by one prepared statement, not the visibility query;
    anyone else gets NotFound as before (every hot submit starts here)."""
    if not user.is_authenticated or not user.is_active:
        raise NotFound(gettext("表单不存在"))
    with cursor() as c:
        c.execute(_own_submission_sql(), [submission_id])
        row = c.fetchone()
    # The author is checked here, not in the WHERE: by primary key alone the plan is always
    # the primary key (decision 0010).
    if row is None or row[_SUBMISSIONS.index["author_id"]] != user.pk:
        raise NotFound(gettext("表单不存在"))
    submission = _SUBMISSIONS.load(row[:_SUBMISSION_WIDTH])
    template = _TEMPLATES.load(row[_SUBMISSION_WIDTH:_SUBMISSION_WIDTH + _TEMPLATE_WIDTH])
    version = _version(row[_SUBMISSION_WIDTH + _TEMPLATE_WIDTH:])
    Submission.template.field.set_cached_value(submission, template)
    Submission.version.field.set_cached_value(submission, version)
    Submission.author.field.set_cached_value(submission, user)
    if submission.status != Submission.Status.DRAFT:
        raise Forbidden(gettext("表单已提交，不能再修改"))
    return submission


def _startable_template(template_id: int, company_id: int | None) -> FormTemplate | None:
    """The template with its current version, by one prepared statement (every new draft
    starts here; decision 0010)."""
    if company_id is None:
        return None
    global _TEMPLATE_START
    if not _TEMPLATE_START:
        _TEMPLATE_START = (
            f"SELECT {_TEMPLATES.columns('t')}, {_VERSIONS.columns('v')} "
            f"FROM {_TEMPLATES.q(_TEMPLATES.name)} t "
            f"LEFT JOIN {_VERSIONS.q(_VERSIONS.name)} v ON v.id = t.current_version_id "
            f"WHERE t.id = %s")
    with cursor() as c:
        c.execute(_TEMPLATE_START, [template_id])
        row = c.fetchone()
    if row is None or row[_TEMPLATES.index["company_id"]] != company_id:
        return None
    template = _TEMPLATES.load(row[:_TEMPLATE_WIDTH])
    version = _version(row[_TEMPLATE_WIDTH:]) if row[_TEMPLATE_WIDTH] is not None else None
    FormTemplate.current_version.field.set_cached_value(template, version)
    return template


def _version(values: Sequence[Any]) -> TemplateVersion:
    """A version from its row, with the process's shared decoded schema (every draft and
    submit of a template reads the same one: `schema_bridge.shared_schema`)."""
    version = _VERSIONS.load([*values[:_SCHEMA_AT], *values[_SCHEMA_AT + 1:]], _NOT_SCHEMA)
    version.schema = shared_schema(values[0], values[_SCHEMA_AT])
    return version


def _own_submission_sql() -> str:
    global _OWN_SUBMISSION
    if not _OWN_SUBMISSION:
        _OWN_SUBMISSION = (
            f"SELECT {_SUBMISSIONS.columns('s')}, {_TEMPLATES.columns('t')}, "
            f"{_VERSIONS.columns('v')} FROM {_SUBMISSIONS.q(_SUBMISSIONS.name)} s "
            f"JOIN {_TEMPLATES.q(_TEMPLATES.name)} t ON t.id = s.template_id "
            f"JOIN {_VERSIONS.q(_VERSIONS.name)} v ON v.id = s.version_id "
            f"WHERE s.id = %s")
    return _OWN_SUBMISSION


_SUBMISSIONS = Table(Submission)
_TEMPLATES = Table(FormTemplate)
_VERSIONS = Table(TemplateVersion)
_SUBMISSION_WIDTH = len(_SUBMISSIONS.fields)
_SCHEMA_AT = _VERSIONS.index["schema"]
_NOT_SCHEMA = [field.attname for field in _VERSIONS.fields if field.attname != "schema"]
_TEMPLATE_WIDTH = len(_TEMPLATES.fields)
_OWN_SUBMISSION = ""
_TEMPLATE_START = ""


def get_attachment_for(user: User, attachment_id: int) -> Attachment:
    """A file is visible to its uploader and to whoever may see the submission it belongs to."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(gettext("附件不存在"))
    if attachment.owner_id == user.pk:
        return attachment
    if (
        attachment.submission_id is not None
        and submissions_visible_to(user).filter(pk=attachment.submission_id).exists()
    ):
        return attachment
    if attachment.field_key == "_sop_image" and attachment.version_id is not None:
        # Images in SOP instructions: whoever may see the template may see them.
        template_id = TemplateVersion.objects.filter(pk=attachment.version_id).values_list(
            "template_id", flat=True).first()
        if template_id is not None:
            get_template_for(user, template_id, "view")
            return attachment
    raise NotFound(gettext("附件不存在"))


def _in_departments(user: User, entries: list[object]) -> bool:
    if not entries or user.department_id is None:
        return False
    mine: list[Department] = [d for d in [user.department] if d is not None]
    mine += list(user.secondary_departments.all())
    direct = {department.pk for department in mine}
    above = {parent.pk for department in mine for parent in ancestors(department)}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        department_id = entry.get("id")
        if department_id in direct:
            return True
        if entry.get("include_children") and department_id in above:
            return True
    return False


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []
