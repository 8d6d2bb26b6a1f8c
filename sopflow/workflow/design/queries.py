"""Read side of the flow designer: version history with what changed, and pick-list searches."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from sopflow.form_templates import access as template_access
from sopflow.org.models import Department, Position, RoleAssignment, User
from sopflow.workflow.engine import Definition
from sopflow.workflow.models import DefinitionVersion, Instance

from .versions import VersionDiff, diff

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class VersionRow:
    version: DefinitionVersion
    diff: VersionDiff
    running: int


def version_history(*, actor: User, template_id: int) -> list[VersionRow]:
    """Published versions, newest first, each with its changes against the one before."""
    template = template_access.get_template_for(actor, template_id, "manage")
    published = list(DefinitionVersion.objects.filter(
        definition__template=template, published_at__isnull=False).order_by("number"))
    rows: list[VersionRow] = []
    previous: Definition | None = None
    for version in published:
        current = Definition.from_dict(version.spec["flow"])
        running = Instance.objects.filter(definition_version=version,
                                          status=Instance.Status.RUNNING).count()
        rows.append(VersionRow(version, diff(previous, current), running))
        previous = current
    return list(reversed(rows))


def search_people(*, actor: User, text: str) -> list[tuple[int, str]]:
    people = User.objects.filter(company_id=actor.company_id or 0, is_active=True)
    if text:
        people = people.filter(Q(name__icontains=text) | Q(employee_no__icontains=text))
    return [(p.pk, f"{p.name}（{p.employee_no}）")
            for p in people.order_by("employee_no")[:SEARCH_LIMIT]]


def search_departments(*, actor: User, text: str) -> list[tuple[int, str]]:
    found = Department.objects.filter(company_id=actor.company_id or 0)
    if text:
        found = found.filter(name__icontains=text)
    return [(d.pk, d.name) for d in found.order_by("pk")[:SEARCH_LIMIT]]


def search_positions(*, actor: User, text: str) -> list[tuple[int, str]]:
    found = Position.objects.filter(company_id=actor.company_id or 0)
    if text:
        found = found.filter(name__icontains=text)
    return [(p.pk, p.name) for p in found.order_by("pk")[:SEARCH_LIMIT]]


def search_roles(*, actor: User, text: str) -> list[tuple[str, str]]:
    """Roles in use in the company (assigned at least once) plus the built-in ones."""
    labels = dict(RoleAssignment.Role.choices)
    used = RoleAssignment.objects.filter(Q(company_id=actor.company_id or 0) | Q(company__isnull=True))
    for role in used.values_list("role", flat=True).distinct():
        labels.setdefault(role, role)
    return [(key, label) for key, label in sorted(labels.items())
            if not text or text in key or text in label][:SEARCH_LIMIT]
