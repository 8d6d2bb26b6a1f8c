"""Who may set and cancel delegations: everybody for themselves; HR admins (and system admins)
for anyone in their company. Web and API reach delegation rows only through here."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from sopflow.core.errors import NotFound

from .access import can_manage_org, manageable_companies
from .models import Delegation, User


def can_delegate_for(actor: User, delegator: User) -> bool:
    """The delegator themself, or an HR admin of the delegator's company."""
    if not actor.is_authenticated or not actor.is_active or delegator.company is None:
        return False
    return actor.pk == delegator.pk or can_manage_org(actor, delegator.company)


def delegations_visible_to(user: User) -> QuerySet[Delegation]:
    """Own delegations (as delegator or delegate) plus every one in companies the user manages."""
    managed = list(manageable_companies(user).values_list("pk", flat=True))
    return Delegation.objects.filter(
        Q(delegator=user) | Q(delegate=user) | Q(company_id__in=managed)
    ).select_related("delegator", "delegate", "created_by", "company")


def delegations_managed_by(user: User) -> QuerySet[Delegation]:
    """Every delegation of the companies where the user is HR (or system) admin."""
    managed = list(manageable_companies(user).values_list("pk", flat=True))
    return Delegation.objects.filter(company_id__in=managed).select_related(
        "delegator", "delegate", "created_by", "company").order_by("-starts_on", "-pk")


def get_delegation_for(user: User, delegation_id: int) -> Delegation:
    """A delegation the user may see; NotFound otherwise (no existence leak)."""
    delegation = delegations_visible_to(user).filter(pk=delegation_id).first()
    if delegation is None:
        raise NotFound(gettext("代理设置不存在"))
    return delegation
