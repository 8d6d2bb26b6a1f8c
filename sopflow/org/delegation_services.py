"""Delegation use cases: set and cancel an out-of-office delegate. One transaction, one audit row.

Rules: an employee sets their own; HR admins (and system admins) set one for anyone in their
company. The delegate is an active colleague of the same company; the range lies today or later
and spans at most a year; two live delegations of one delegator must not overlap in both dates
and templates. Refusals raise `sopflow.core.errors` types and change nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext

from sopflow.audit.services import record
from sopflow.core.clock import clock
from sopflow.core.errors import Conflict, Forbidden, ValidationFailed

from . import delegation_access
from .delegation import live_delegations
from .models import Company, Delegation, User

MAX_LENGTH = timedelta(days=365)  # ends_on may be at most the day before the same date next year


def create_delegation(
    *,
    actor: User,
    delegator: User,
    delegate: User,
    starts_on: date,
    ends_on: date,
    template_ids: Sequence[int] | None = None,
    reason: str = "",
) -> Delegation:
    """Send `delegator`'s new tasks to `delegate` from `starts_on` to `ends_on` (inclusive),
    for every template (`template_ids=None`) or only the listed ones.

    Raises Forbidden when `actor` is neither the delegator nor an HR admin of their company,
    ValidationFailed for a bad delegate, range or template, and Conflict when a live delegation
    of the delegator already covers part of the same dates and templates.
    """
    with transaction.atomic():
        # Locking the delegator serialises two concurrent requests for the same person, so the
        # overlap check below cannot be passed by both.
        delegator = User.objects.select_for_update(of=("self",)).select_related("company").get(pk=delegator.pk)
        if not delegation_access.can_delegate_for(actor, delegator):
            raise Forbidden(gettext("只能为自己设置代理；人事管理员可以为本公司员工设置"))
        company = delegator.company
        if company is None:  # can_delegate_for already refuses this; keeps the type narrow
            raise ValidationFailed(gettext("该员工不属于任何公司"), field="delegator")
        if not delegator.is_active:
            raise ValidationFailed(gettext("该员工已停用，无需设置代理"), field="delegator")
        _check_delegate(delegator, delegate)
        _check_dates(company, starts_on, ends_on)
        templates = _check_templates(company, template_ids)
        clash = _overlapping(delegator, starts_on, ends_on, templates)
        if clash is not None:
            raise Conflict(
                gettext("与已有的代理（%(starts_on)s 至 %(ends_on)s，代理人 %(name)s）时间和模板重叠，请先取消原代理") % {"starts_on": format(clash.starts_on, '%Y-%m-%d'), "ends_on": format(clash.ends_on, '%Y-%m-%d'), "name": clash.delegate.name},
                field="starts_on",
            )
        delegation = Delegation.objects.create(
            company=company, delegator=delegator, delegate=delegate, starts_on=starts_on,
            ends_on=ends_on, applies_to_all_templates=templates is None,
            template_ids=templates or [], reason=reason.strip()[:200], created_by=actor,
        )
        record(actor=actor, action="org.delegation.created", obj=delegation,
               company_id=company.pk, object_repr=f"{delegator.name} → {delegate.name}",
               changes=_snapshot(delegation))
    return delegation


def cancel_delegation(*, actor: User, delegation_id: int) -> Delegation:
    """Cancel a delegation that has not ended yet. Tasks already handed to the delegate stay
    with them; only tasks opened from now on go to the delegator again.

    Raises NotFound when the actor cannot see it, Forbidden when they may not change it
    (the delegate only sees it), Conflict when it is already cancelled and ValidationFailed when
    it has already ended.
    """
    with transaction.atomic():
        delegation = delegation_access.get_delegation_for(actor, delegation_id)
        delegation = Delegation.objects.select_for_update(of=("self",)).select_related(
            "delegator__company", "delegate", "company").get(pk=delegation.pk)
        if not delegation_access.can_delegate_for(actor, delegation.delegator):
            raise Forbidden(gettext("只有委托人本人或人事管理员可以取消代理"))
        if delegation.cancelled_at is not None:
            raise Conflict(gettext("该代理已取消"))
        if delegation.ends_on < _today(delegation.company):
            raise ValidationFailed(gettext("该代理已结束，无需取消"))
        delegation.cancelled_at = clock.now()
        delegation.cancelled_by = actor
        delegation.save(update_fields=["cancelled_at", "cancelled_by", "updated_at"])
        record(actor=actor, action="org.delegation.cancelled", obj=delegation,
               company_id=delegation.company_id,
               object_repr=f"{delegation.delegator.name} → {delegation.delegate.name}",
               changes=_snapshot(delegation))
    return delegation


def _check_delegate(delegator: User, delegate: User) -> None:
    if delegate.pk == delegator.pk:
        raise ValidationFailed(gettext("代理人不能是本人"), field="delegate")
    if delegate.company_id != delegator.company_id:
        raise ValidationFailed(gettext("代理人必须是同一公司的员工"), field="delegate")
    if not delegate.is_active:
        raise ValidationFailed(gettext("代理人已停用，请选择在职员工"), field="delegate")


def _check_dates(company: Company, starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise ValidationFailed(gettext("结束日期不能早于开始日期"), field="ends_on")
    if starts_on < _today(company):
        raise ValidationFailed(gettext("开始日期不能早于今天"), field="starts_on")
    if ends_on - starts_on >= MAX_LENGTH:
        raise ValidationFailed(gettext("代理时间最长一年"), field="ends_on")


def _check_templates(company: Company, template_ids: Sequence[int] | None) -> list[int] | None:
    """None for "all templates"; otherwise the sorted, de-duplicated ids, all of `company`."""
    if template_ids is None:
        return None
    wanted = sorted({int(pk) for pk in template_ids})
    if not wanted:
        raise ValidationFailed(gettext("请选择至少一个模板，或选择“全部模板”"), field="template_ids")
    from sopflow.form_templates.models import FormTemplate  # org sits below form_templates

    found = set(FormTemplate.objects.filter(company=company, pk__in=wanted).values_list(
        "pk", flat=True))
    if found != set(wanted):
        raise ValidationFailed(gettext("模板不存在或不属于该公司"), field="template_ids")
    return wanted


def _overlapping(
    delegator: User, starts_on: date, ends_on: date, templates: list[int] | None
) -> Delegation | None:
    rows = live_delegations().filter(
        delegator=delegator, starts_on__lte=ends_on, ends_on__gte=starts_on
    ).select_related("delegate").order_by("starts_on", "pk")
    for row in rows:
        if templates is None or row.applies_to_all_templates or set(row.template_ids) & set(
                templates):
            return row
    return None


def _today(company: Company) -> date:
    return clock.now().astimezone(ZoneInfo(company.timezone)).date()


def _snapshot(delegation: Delegation) -> dict[str, object]:
    return {
        "delegator": delegation.delegator_id, "delegate": delegation.delegate_id,
        "starts_on": delegation.starts_on.isoformat(), "ends_on": delegation.ends_on.isoformat(),
        "templates": "all" if delegation.applies_to_all_templates else delegation.template_ids,
        "reason": delegation.reason,
        "cancelled_at": delegation.cancelled_at.isoformat() if delegation.cancelled_at else None,
    }
