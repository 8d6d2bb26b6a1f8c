"""Who may see an approval item and act on its tasks. Web, API and services use only these.

Visible to: the initiator, assignees (past and present), CC recipients, heads of the
initiator's department (and its parents), auditors and system admins of the company. Anyone else
gets NotFound (no existence leak). Process admins see the company's items too (they run
the admin actions).
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from sopflow.core.errors import Forbidden, NotFound
from sopflow.org.access import has_role
from sopflow.org.models import RoleAssignment, User
from sopflow.org.queries import descendant_ids

from .models import ApprovalTask, CarbonCopy, Instance

Role = RoleAssignment.Role
TaskAction = Literal["view", "decide", "admin"]
InstanceAction = Literal["view", "admin"]


def is_company_wide_viewer(user: User) -> bool:
    """Auditors, system admins and process admins see every item of their company."""
    company = user.company
    return company is not None and any(has_role(user, role, company=company) for role in (
        Role.AUDITOR, Role.SYSTEM_ADMIN, Role.PROCESS_ADMIN))


def is_process_admin(user: User, company_id: int) -> bool:
    company = user.company
    return (company is not None and company.pk == company_id
            and RoleAssignment.objects.filter(
                Q(company_id=company_id) | Q(company__isnull=True), user=user,
                role=Role.PROCESS_ADMIN).exists())


def headed_department_ids(user: User) -> set[int]:
    headed: set[int] = set()
    for department in user.headed_departments.filter(is_active=True):
        headed |= descendant_ids(department)
    return headed


def visibility_condition(user: User, prefix: str = "") -> Q:
    """The Q (on Instance, or on a model reaching it through `prefix`) for items `user` sees."""
    if not user.is_authenticated or not user.is_active or user.company_id is None:
        return Q(pk__in=[])
    instance = OuterRef(f"{prefix}pk" if prefix else "pk")
    condition = Q(**{f"{prefix}initiator": user})
    condition |= Q(Exists(ApprovalTask.objects.filter(instance=instance, assignee=user)))
    # The original person of a delegated task still sees the item (代理, decision 0009).
    condition |= Q(Exists(ApprovalTask.objects.filter(instance=instance, delegated_from=user)))
    condition |= Q(Exists(CarbonCopy.objects.filter(instance=instance, user=user)))
    if is_company_wide_viewer(user):
        condition |= Q(**{f"{prefix}company_id": user.company_id})
    headed = headed_department_ids(user)
    if headed:
        condition |= Q(**{f"{prefix}initiator__department_id__in": headed,
                          f"{prefix}company_id": user.company_id})
    return condition


def instances_visible_to(user: User) -> QuerySet[Instance]:
    return Instance.objects.filter(visibility_condition(user))


def get_instance_for(user: User, instance_id: int, action: InstanceAction = "view") -> Instance:
    """The item if visible; `admin` additionally needs the company's process admin role."""
    instance = (instances_visible_to(user)
                .select_related("submission", "submission__version", "template", "initiator",
                                "definition_version")
                .filter(pk=instance_id).first())
    if instance is None:
        raise NotFound(gettext("审批不存在"))
    if action == "admin" and not is_process_admin(user, instance.company_id):
        raise Forbidden(gettext("只有流程管理员可以执行该操作"))
    return instance


def get_task_for(user: User, task_id: int, action: TaskAction = "view") -> ApprovalTask:
    """A task of a visible item. `decide` needs the assignee (the engine then says whether it is
    still their turn); `admin` needs a process admin of the company."""
    task = (ApprovalTask.objects.select_related("instance")
            .filter(pk=task_id, company_id=user.company_id).first())
    if task is None:
        raise NotFound(gettext("审批不存在"))
    check_task(user, task, action)
    return task


def check_task(user: User, task: ApprovalTask, action: TaskAction = "view") -> None:
    """`get_task_for`'s rules for a task the caller already loaded (of the user's company)."""
    # An assignee always sees the item; skip the wider visibility query on the hot path. The
    # original person of a delegated task keeps it too: both may act (decision 0009).
    holders = (task.assignee_id, task.delegated_from_id)
    if user.pk not in holders and not instances_visible_to(user).filter(
            pk=task.instance_id).exists():
        raise NotFound(gettext("审批不存在"))
    if action == "decide" and user.pk not in holders:
        raise Forbidden(gettext("你不是该节点的审批人"))
    if action == "admin" and not is_process_admin(user, task.company_id):
        raise Forbidden(gettext("只有流程管理员可以执行该操作"))
