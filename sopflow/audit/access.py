"""Who may read the audit trail: auditors and system admins (global, or of one company)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from sopflow.core.errors import Forbidden
from sopflow.org.models import RoleAssignment, User

from .models import AuditEvent

Role = RoleAssignment.Role


def events_visible_to(user: User) -> QuerySet[AuditEvent]:
    """All events for global auditors/system admins, a company's events for company-scoped ones."""
    if not user.is_authenticated or not user.is_active:
        return AuditEvent.objects.none()
    if user.is_superuser:
        return AuditEvent.objects.all()
    grants = RoleAssignment.objects.filter(user=user, role__in=[Role.AUDITOR, Role.SYSTEM_ADMIN])
    if grants.filter(company__isnull=True).exists():
        return AuditEvent.objects.all()
    company_ids = list(grants.values_list("company_id", flat=True))
    if not company_ids:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(Q(company_id__in=company_ids))


def can_view_audit(user: User) -> bool:
    return user.is_authenticated and (
        user.is_superuser
        or RoleAssignment.objects.filter(
            user=user, role__in=[Role.AUDITOR, Role.SYSTEM_ADMIN]
        ).exists()
    )


def require_audit_viewer(user: User) -> None:
    if not can_view_audit(user):
        raise Forbidden(gettext("只有审计员或系统管理员可以查看审计日志"))
