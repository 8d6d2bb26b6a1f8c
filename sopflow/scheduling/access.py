"""Scheduled rules are configured by system and process admins of the rule's company."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext

from sopflow.core.errors import NotFound
from sopflow.org.access import companies_visible_to, has_role
from sopflow.org.models import Company, RoleAssignment, User

from .models import ScheduleRule


def can_manage_rules(user: User, company: Company) -> bool:
    return has_role(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)


def rule_companies(user: User) -> list[Company]:
    """Companies whose rules the user may configure."""
    return [company for company in companies_visible_to(user) if can_manage_rules(user, company)]


def rules_visible_to(user: User) -> QuerySet[ScheduleRule]:
    companies = [company.pk for company in rule_companies(user)]
    return ScheduleRule.objects.filter(company_id__in=companies).select_related("company")


def get_rule_for(user: User, rule_id: int) -> ScheduleRule:
    rule = rules_visible_to(user).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(gettext("定时规则不存在"))
    return rule
