"""Group-chat robots are configured by system and process admins of the robot's company."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext

from sopflow.core.errors import NotFound
from sopflow.org.access import companies_visible_to, has_role
from sopflow.org.models import Company, RoleAssignment, User

from .models import Robot


def can_manage_robots(user: User, company: Company) -> bool:
    return has_role(user, RoleAssignment.Role.PROCESS_ADMIN, company=company)


def robot_companies(user: User) -> list[Company]:
    """Companies whose robots the user may configure."""
    return [company for company in companies_visible_to(user) if can_manage_robots(user, company)]


def robots_visible_to(user: User) -> QuerySet[Robot]:
    companies = [company.pk for company in robot_companies(user)]
    return Robot.objects.filter(company_id__in=companies).select_related("company", "department")


def get_robot_for(user: User, robot_id: int) -> Robot:
    robot = robots_visible_to(user).filter(pk=robot_id).first()
    if robot is None:
        raise NotFound(gettext("群机器人不存在"))
    return robot
