"""Who may see and change calendars: everybody in a company reads; HR admins edit their company's
days and settings; national days (all companies) need a global HR or system admin."""

from __future__ import annotations

from sopflow.org.access import has_role
from sopflow.org.models import Company, RoleAssignment, User

Role = RoleAssignment.Role


def can_edit_calendar(user: User, company: Company) -> bool:
    return has_role(user, Role.HR_ADMIN, company=company)


def can_edit_national_days(user: User) -> bool:
    return has_role(user, Role.HR_ADMIN)


def is_calendar_admin(user: User) -> bool:
    """HR or system admin of the user's own company (or globally): receives the year-end warning."""
    return has_role(user, Role.HR_ADMIN, company=user.company)
