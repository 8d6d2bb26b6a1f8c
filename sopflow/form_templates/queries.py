"""Reading the template library: what I can start (pushed first), my submissions, history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from sopflow.org.models import User

from . import access
from .models import FormTemplate, Submission, TemplateNotice, TemplateVersion


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
