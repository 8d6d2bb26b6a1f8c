"""Reading the template library: what I can start (pushed first), my submissions, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from sopflow.org.models import User

from . import access
from .models import (
    FormTemplate,
    Submission,
    TemplateNotice,
    TemplateVersion,
    VersionAcknowledgement,
)


@dataclass(frozen=True)
class Library:
    pushed: list[FormTemplate]
    others: list[FormTemplate]


def library_for(user: User, *, search: str = "") -> Library:
    """Startable templates: those pushed to my position/role/department/name, then the rest."""
    text = search.strip().lower()
    pushed: list[FormTemplate] = []
    others: list[FormTemplate] = []
    for template in access.templates_startable_by(user):
        haystack = f"{template.name} {template.category} {template.description}".lower()
        if text and text not in haystack:
            continue
        target = pushed if access.scope_match(user, template.scope) == "pushed" else others
        target.append(template)
    return Library(pushed=pushed, others=others)


def my_submissions(user: User) -> QuerySet[Submission]:
    return Submission.objects.filter(author=user).select_related("template", "version")


def versions_of(template: FormTemplate, *, include_drafts: bool = False) -> list[TemplateVersion]:
    versions = template.versions.select_related("published_by").order_by("-number")
    if not include_drafts:
        versions = versions.filter(status=TemplateVersion.Status.PUBLISHED)
    return list(versions)


def draft_of(template: FormTemplate) -> TemplateVersion | None:
    return template.versions.filter(status=TemplateVersion.Status.DRAFT).first()


def unread_notices_for(user: User) -> QuerySet[TemplateNotice]:
    return TemplateNotice.objects.filter(recipient=user, read_at__isnull=True).select_related(
        "version", "version__template")


@dataclass(frozen=True)
class AckRow:
    user: User
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class AckReport:
    """Who in the template's scope has confirmed "已阅读" for its current version."""

    version: TemplateVersion | None
    rows: list[AckRow]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def acknowledged(self) -> int:
        return sum(1 for row in self.rows if row.acknowledged_at is not None)

    @property
    def pending(self) -> int:
        return self.total - self.acknowledged


def ack_report(template: FormTemplate) -> AckReport:
    """Everyone active in the company whose scope includes them, with their confirmation time
    for the current version (None = not yet). The caller checked `manage` access."""
    version = template.current_version
    if version is None:
        return AckReport(None, [])
    times = dict(VersionAcknowledgement.objects.filter(version=version).values_list(
        "user_id", "acknowledged_at"))
    people = User.objects.filter(company_id=template.company_id, is_active=True).select_related(
        "department", "position").order_by("department__name", "employee_no", "pk")
    rows = [AckRow(person, times.get(person.pk)) for person in people
            if access.is_in_scope(person, template.scope)]
    return AckReport(version, rows)
