"""Who may see and change what in the organisation. Web and API reach org objects only here.

Rules: everybody sees their own company's (and group's) org chart and directory; HR admins and
system admins of a company (or global ones) may change it; role changes need a system admin.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from sopflow.core.errors import Forbidden, NotFound

from .models import Company, Department, Position, RoleAssignment, User

Role = RoleAssignment.Role
OrgAction = Literal["view", "manage"]


def roles_of(user: User) -> set[str]:
    """The stored roles of the user, regardless of scope, plus the derived ones."""
    if not user.is_authenticated:
        return set()
    cache = getattr(user, "_sopflow_roles", None)
    if cache is None:
        cache = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
        cache.add("employee")
        if Department.objects.filter(heads=user, is_active=True).exists():
            cache.add("department_head")
        if user.is_superuser:
            cache.add(Role.SYSTEM_ADMIN)
        user._sopflow_roles = cache  # type: ignore[attr-defined]  # per-request memo
    return cache


def has_role(user: User, role: str, *, company: Company | None = None) -> bool:
    """True when `user` holds `role` globally or for `company` (system admins hold every role)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    scope = Q(company__isnull=True)
    if company is not None:
        scope |= Q(company=company)
    granted = RoleAssignment.objects.filter(scope, user=user)
    return granted.filter(role__in=[role, Role.SYSTEM_ADMIN]).exists()


def visible_company_ids(user: User) -> list[int]:
    """The user's company, its group parent and its sister companies; everything for global admins."""
    global_grant = RoleAssignment.objects.filter(
        user=user, company__isnull=True, role__in=[Role.SYSTEM_ADMIN, Role.AUDITOR, Role.HR_ADMIN])
    if user.is_superuser or global_grant.exists():
        return list(Company.objects.values_list("pk", flat=True))
    company = user.company
    if company is None:
        return []
    root = company.parent or company
    return list(Company.objects.filter(Q(pk=root.pk) | Q(parent=root)).values_list("pk", flat=True))


def companies_visible_to(user: User) -> QuerySet[Company]:
    return Company.objects.filter(pk__in=visible_company_ids(user))


def departments_visible_to(user: User) -> QuerySet[Department]:
    return Department.objects.filter(company_id__in=visible_company_ids(user))


def positions_visible_to(user: User) -> QuerySet[Position]:
    return Position.objects.filter(company_id__in=visible_company_ids(user))


def employees_visible_to(user: User) -> QuerySet[User]:
    return User.objects.filter(company_id__in=visible_company_ids(user))


def can_manage_org(user: User, company: Company) -> bool:
    return has_role(user, Role.HR_ADMIN, company=company)


def can_manage_roles(user: User, company: Company | None) -> bool:
    return has_role(user, Role.SYSTEM_ADMIN, company=company)


def manageable_companies(user: User) -> QuerySet[Company]:
    return Company.objects.filter(pk__in=[c.pk for c in companies_visible_to(user) if can_manage_org(user, c)])


def get_company_for(user: User, company_id: int, action: OrgAction = "view") -> Company:
    company = companies_visible_to(user).filter(pk=company_id).first()
    if company is None:
        raise NotFound(gettext("公司不存在"))
    _check(user, company, action)
    return company


def get_department_for(user: User, department_id: int, action: OrgAction = "view") -> Department:
    department = departments_visible_to(user).select_related("company", "parent").filter(
        pk=department_id).first()
    if department is None:
        raise NotFound(gettext("部门不存在"))
    _check(user, department.company, action)
    return department


def get_position_for(user: User, position_id: int, action: OrgAction = "view") -> Position:
    position = positions_visible_to(user).select_related("company").filter(pk=position_id).first()
    if position is None:
        raise NotFound(gettext("岗位不存在"))
    _check(user, position.company, action)
    return position


def get_employee_for(user: User, employee_id: int, action: OrgAction = "view") -> User:
    employee = employees_visible_to(user).select_related(
        "company", "department", "position", "manager").filter(pk=employee_id).first()
    if employee is None:
        raise NotFound(gettext("员工不存在"))
    if employee.company is None:  # global admins have no company and no org page
        raise NotFound(gettext("员工不存在"))
    _check(user, employee.company, action)
    return employee


def default_company_for(user: User) -> Company | None:
    """The company whose org chart a user sees first: their own, else the first visible one."""
    if user.company_id is not None:
        return user.company
    return companies_visible_to(user).order_by("pk").first()


def get_role_assignment_for(user: User, grant_id: int) -> RoleAssignment:
    """A role grant the user may revoke: only system admins of its company (or global ones)."""
    grant = RoleAssignment.objects.select_related("user", "company", "department").filter(
        pk=grant_id, user__company_id__in=visible_company_ids(user)).first()
    if grant is None:
        raise NotFound(gettext("授权不存在"))
    if not can_manage_roles(user, grant.company):
        raise Forbidden(gettext("只有系统管理员可以撤销角色"))
    return grant


def _check(user: User, company: Company, action: OrgAction) -> None:
    if action == "manage" and not can_manage_org(user, company):
        raise Forbidden(gettext("只有人事管理员或系统管理员可以修改组织架构"))
