"""Reading the organisation: trees, chains of managers, heads and role holders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from .models import Company, Department, Position, RoleAssignment, User


@dataclass
class PersonEntry:
    """A person listed under a department in the org chart (for search)."""

    pk: int
    name: str
    employee_no: str
    is_secondary: bool = False


@dataclass
class DepartmentNode:
    department: Department
    children: list[DepartmentNode] = field(default_factory=list)
    member_count: int = 0
    total_count: int = 0
    people: list[PersonEntry] = field(default_factory=list)


def department_tree(company: Company, *, include_inactive: bool = False,
                    with_people: bool = False) -> list[DepartmentNode]:
    """The company's departments as an ordered forest.

    `member_count` counts active primary members of the department itself, `total_count` those
    of its whole sub-tree. With `with_people`, each node also lists its active primary and
    secondary members. Runs a fixed number of queries whatever the size of the tree.
    """
    departments = Department.objects.filter(company=company).prefetch_related("heads")
    if not include_inactive:
        departments = departments.filter(is_active=True)
    nodes = {d.pk: DepartmentNode(d) for d in departments}
    members = User.objects.filter(company=company, is_active=True).order_by("employee_no")
    for pk, name, employee_no, department_id in members.values_list(
        "pk", "name", "employee_no", "department_id"
    ):
        node = nodes.get(department_id) if department_id is not None else None
        if node is not None:
            node.member_count += 1
            if with_people:
                node.people.append(PersonEntry(pk, name, employee_no))
    if with_people:
        secondary = User.secondary_departments.through.objects.filter(
            user__company=company, user__is_active=True).order_by("user__employee_no")
        for pk, name, employee_no, department_id in secondary.values_list(
            "user_id", "user__name", "user__employee_no", "department_id"
        ):
            if department_id in nodes:
                nodes[department_id].people.append(PersonEntry(pk, name, employee_no, True))
    roots: list[DepartmentNode] = []
    for node in nodes.values():
        parent = nodes.get(node.department.parent_id) if node.department.parent_id else None
        (parent.children if parent else roots).append(node)
    for root in roots:
        _sum_totals(root)
    return roots


def flatten_tree(roots: list[DepartmentNode]) -> list[tuple[DepartmentNode, int]]:
    """The nodes in display order with their depth (0 for roots), e.g. for indented selects."""
    flat: list[tuple[DepartmentNode, int]] = []
    stack = [(node, 0) for node in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        flat.append((node, depth))
        stack.extend((child, depth + 1) for child in reversed(node.children))
    return flat


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


def list_departments(company: Company, *, include_inactive: bool = True) -> QuerySet[Department]:
    departments = Department.objects.filter(company=company)
    return departments if include_inactive else departments.filter(is_active=True)


def list_employees(company: Company, *, include_inactive: bool = False) -> QuerySet[User]:
    people = User.objects.filter(company=company).order_by("employee_no")
    return people if include_inactive else people.filter(is_active=True)


@dataclass
class DepartmentPage:
    """Everything the department page shows, read with a fixed number of queries."""

    department: Department
    path: list[Department]
    heads: list[User]
    children: list[Department]
    members: list[User]
    secondary_members: list[User]
    positions: list[Position]


def department_page(department: Department) -> DepartmentPage:
    """The department with its ancestors (root first), heads, sub-departments, active primary and
    secondary members, and the positions those members hold."""
    members = list(department.members.filter(is_active=True).select_related("position")
                   .order_by("employee_no"))
    secondary = list(department.secondary_members.filter(is_active=True)
                     .select_related("department", "position").order_by("employee_no"))
    position_ids = {person.position_id for person in members + secondary if person.position_id}
    return DepartmentPage(
        department=department,
        path=list(reversed(ancestors(department))),
        heads=list(department.heads.order_by("employee_no")),
        children=list(department.children.order_by("sort_order", "pk")),
        members=members,
        secondary_members=secondary,
        positions=list(Position.objects.filter(pk__in=position_ids).order_by("pk")),
    )


def direct_reports(user: User) -> QuerySet[User]:
    return user.reports.filter(is_active=True).select_related("department").order_by("employee_no")


def role_assignments_of(user: User) -> QuerySet[RoleAssignment]:
    return user.role_assignments.select_related("company", "department").order_by("pk")


def _sum_totals(node: DepartmentNode) -> int:
    node.total_count = node.member_count + sum(_sum_totals(child) for child in node.children)
    return node.total_count


def positions_with_holder_counts(company: Company) -> QuerySet[Position]:
    """The company's positions, each annotated with `holder_count` (active holders)."""
    return positions_of(company).annotate(
        holder_count=Count("holders", filter=Q(holders__is_active=True)))


def holders_of_position(position: Position) -> QuerySet[User]:
    return position.holders.filter(is_active=True).select_related("department").order_by("employee_no")


def audience_member_ids(company: Company, *, department_ids: Iterable[int] = (),
                        position_ids: Iterable[int] = (), user_ids: Iterable[int] = ()) -> list[int]:
    """Active people of `company` in the departments (sub-departments and secondary members
    included), holding the positions, or named. Ids of other companies are ignored."""
    departments = Department.objects.filter(company=company, pk__in=list(department_ids))
    in_departments = {pk for department in departments for pk in descendant_ids(department)}
    people = User.objects.filter(company=company, is_active=True).filter(
        Q(department_id__in=in_departments) | Q(secondary_departments__in=in_departments)
        | Q(position_id__in=list(position_ids)) | Q(pk__in=list(user_ids))
    )
    return list(people.distinct().order_by("pk").values_list("pk", flat=True))
