"""Delegation read side: the resolver the workflow calls when it opens a task, and list queries.

Writes live in `delegation_services.py`, permission checks in `delegation_access.py`.

Chains stop after one hop: with A→B and B→C both live, a task for A goes to B, never to C
(the resolver looks up the original assignee's delegation once and does not follow the
delegate's own). B being out of office too is B's problem to hand over by hand; following chains
would make "who has my task" unpredictable and could loop (A→B, B→A).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import F, Q, QuerySet

from .models import Delegation, User


@dataclass(frozen=True, slots=True)
class Resolution:
    """Who gets the task: `assignee_id`, and `delegated_from_id` (the original person) when a
    delegation redirected it, with the `delegation_id` that did so (for the audit trail)."""

    assignee_id: int
    delegated_from_id: int | None = None
    delegation_id: int | None = None

    @property
    def is_delegated(self) -> bool:
        return self.delegated_from_id is not None


def resolve_assignee(*, user_id: int, template_id: int | None, at: date) -> Resolution:
    """The person a new task for `user_id` goes to on `at` (the company-local date).

    A live (not cancelled) delegation of `user_id` whose date range contains `at` (both ends
    inclusive) and whose templates cover `template_id` (`None` = a task outside any template:
    only "all templates" delegations apply) sends the task to its delegate, provided the delegate
    is still active and still in the same company; otherwise the task stays with `user_id`.
    One query; never follows the delegate's own delegation (one hop).
    """
    return resolve_assignees(user_ids=[user_id], template_id=template_id, at=at)[user_id]


def resolve_assignees(
    *, user_ids: Iterable[int], template_id: int | None, at: date
) -> dict[int, Resolution]:
    """`resolve_assignee` for several people at once (a multi-approver step), in one query."""
    wanted = list(dict.fromkeys(user_ids))
    resolved = {user_id: Resolution(assignee_id=user_id) for user_id in wanted}
    candidates = live_delegations().filter(
        delegator_id__in=wanted, starts_on__lte=at, ends_on__gte=at,
        delegate__is_active=True, delegate__company_id=F("company_id"),
    ).order_by("pk")
    for delegation in candidates:
        if delegation.covers_template(template_id) and not resolved[
                delegation.delegator_id].is_delegated:
            resolved[delegation.delegator_id] = Resolution(
                assignee_id=delegation.delegate_id,
                delegated_from_id=delegation.delegator_id,
                delegation_id=delegation.pk,
            )
    return resolved


def live_delegations() -> QuerySet[Delegation]:
    """Delegations that were not cancelled (past, current and future)."""
    return Delegation.objects.filter(cancelled_at__isnull=True)


def delegations_of(user: User) -> QuerySet[Delegation]:
    """The user's own delegations and the ones naming them as delegate, newest first."""
    return Delegation.objects.filter(Q(delegator=user) | Q(delegate=user)).select_related(
        "delegator", "delegate", "created_by").order_by("-starts_on", "-pk")


def is_current(delegation: Delegation, today: date) -> bool:
    return delegation.cancelled_at is None and delegation.starts_on <= today <= delegation.ends_on


def delegable_templates(company_id: int) -> list[tuple[int, str]]:
    """(id, name) of the company's active templates, for the "some templates" choice."""
    from sopflow.form_templates.models import FormTemplate  # org sits below form_templates

    return list(FormTemplate.objects.filter(company_id=company_id, is_active=True).order_by(
        "category", "pk").values_list("pk", "name"))


def with_template_names(delegations: Iterable[Delegation]) -> list[Delegation]:
    """The rows with `template_names` set (a list of names; empty for "all templates")."""
    from sopflow.form_templates.models import FormTemplate

    rows = list(delegations)
    wanted = {pk for row in rows for pk in row.template_ids}
    names = dict(FormTemplate.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
    for row in rows:
        row.template_names = [names.get(pk, f"#{pk}") for pk in row.template_ids]  # type: ignore[attr-defined]  # display only
    return rows
