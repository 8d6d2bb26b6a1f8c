"""Reading the organisation: trees, chains of managers, heads and role holders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from .models import Company, Department, Position, RoleAssignment, User


@dataclass
class DepartmentNode:
    department: Department
    children: list[DepartmentNode] = field(default_factory=list)
    member_count: int = 0


def department_tree(company: Company, *, include_inactive: bool = False) -> list[DepartmentNode]:
    """The company's departments as a forest of nodes, ordered, with active member counts."""
    departments = Department.objects.filter(company=company).prefetch_related("heads")
    if not include_inactive:
        departments = departments.filter(is_active=True)
    counts: dict[int, int] = {}
    for department_id in User.objects.filter(company=company, is_active=True).values_list(
        "department_id", flat=True
    ):
        if department_id is not None:
            counts[department_id] = counts.get(department_id, 0) + 1
    nodes = {d.pk: DepartmentNode(d, member_count=counts.get(d.pk, 0)) for d in departments}
    roots: list[DepartmentNode] = []
    for node in nodes.values():
        parent = nodes.get(node.department.parent_id) if node.department.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def descendant_ids(department: Department) -> set[int]:
    """Ids of the department and every department below it (active or not)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Department.objects.filter(company_id=department.company_id).values_list(
        "pk", "parent_id"
    ):
        children.setdefault(parent_id, []).append(pk)
    found: set[int] = set()
    stack = [department.pk]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def ancestors(department: Department) -> list[Department]:
    """Parents from the nearest to the root (the department itself excluded)."""
    chain: list[Department] = []
    seen = {department.pk}
    current = department.parent
    while current is not None and current.pk not in seen:
        chain.append(current)
        seen.add(current.pk)
        current = current.parent
    return chain


def manager_chain(user: User, *, levels: int = 10) -> list[User]:
    """The user's direct manager, their manager, … up to `levels`, stopping at a loop."""
    chain: list[User] = []
    seen = {user.pk}
    current = user.manager
    while current is not None and len(chain) < levels and current.pk not in seen:
        chain.append(current)
        seen.add(current.pk)
        current = current.manager
    return chain


def holders_of_role(role: str, *, company_id: int | None = None,
                    department_ids: Iterable[int] | None = None) -> QuerySet[User]:
    """Active users holding `role` globally, in the company, or in one of the departments."""
    scope = Q(company__isnull=True)
    if company_id is not None:
        scope |= Q(company_id=company_id, department__isnull=True)
    if department_ids is not None:
        scope |= Q(department_id__in=list(department_ids))
    user_ids = RoleAssignment.objects.filter(scope, role=role).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True)


def search_people(base: QuerySet[User], text: str) -> QuerySet[User]:
    """Substring search on name, employee number, phone, e-mail, title and department."""
    text = text.strip()
    if not text:
        return base
    return base.filter(
        Q(name__icontains=text) | Q(employee_no__icontains=text) | Q(phone__icontains=text)
        | Q(email__icontains=text) | Q(title__icontains=text) | Q(department__name__icontains=text)
    )


def positions_of(company: Company) -> QuerySet[Position]:
    return Position.objects.filter(company=company).order_by("pk")
