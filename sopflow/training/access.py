"""Who may see and manage courses, take quizzes, see a team's progress and grant exemptions.

Web, API and services reach training rows only through these helpers. Rows the user may not
see raise `NotFound` (no existence leak).
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from sopflow.core.errors import Forbidden, NotFound
from sopflow.org.access import has_role
from sopflow.org.models import Company, RoleAssignment, User
from sopflow.org.queries import descendant_ids

from .models import Attempt, Course, Lesson

Role = RoleAssignment.Role
CourseAction = Literal["view", "manage"]


def can_manage_training(user: User, company: Company | None) -> bool:
    """HR admins and process admins (system admins hold every role) build and assign courses."""
    return company is not None and (has_role(user, Role.HR_ADMIN, company=company)
                                    or has_role(user, Role.PROCESS_ADMIN, company=company))


def can_grant_exemption(user: User, company: Company | None) -> bool:
    """Only process admins let someone use a gated template without the certificate."""
    return company is not None and has_role(user, Role.PROCESS_ADMIN, company=company)


def can_view_dashboard(user: User, company: Company | None) -> bool:
    return can_manage_training(user, company)


def courses_visible_to(user: User) -> QuerySet[Course]:
    """Active courses of the user's company (all of them for training managers)."""
    if not user.is_authenticated or user.company_id is None:
        return Course.objects.none()
    courses = Course.objects.filter(company_id=user.company_id)
    if can_manage_training(user, user.company):
        return courses
    return courses.filter(is_active=True)


def get_course_for(user: User, course_id: int, action: CourseAction = "view") -> Course:
    course = courses_visible_to(user).filter(pk=course_id).first()
    if course is None:
        raise NotFound(gettext("课程不存在"))
    if action == "manage" and not can_manage_training(user, user.company):
        raise Forbidden(gettext("只有人事管理员或流程管理员可以管理课程"))
    return course


def get_lesson_for(user: User, lesson_id: int, action: CourseAction = "view") -> Lesson:
    lesson = Lesson.objects.select_related("course").filter(pk=lesson_id).first()
    if lesson is None:
        raise NotFound(gettext("课时不存在"))
    get_course_for(user, lesson.course_id, action)
    return lesson


def get_attempt_for(user: User, attempt_id: int) -> Attempt:
    """Only the person taking the quiz sees an attempt (answers included)."""
    attempt = Attempt.objects.select_related("course").filter(pk=attempt_id, user=user).first()
    if attempt is None:
        raise NotFound(gettext("考试记录不存在"))
    return attempt


def team_of(user: User) -> QuerySet[User]:
    """Direct reports plus the members of the departments the user heads (and below)."""
    if not user.is_authenticated or user.company_id is None:
        return User.objects.none()
    headed: set[int] = set()
    for department in user.headed_departments.filter(is_active=True):
        headed |= descendant_ids(department)
    condition = Q(manager=user) | Q(department_id__in=headed)
    return (User.objects.filter(condition, company_id=user.company_id, is_active=True)
            .exclude(pk=user.pk).select_related("department", "position").order_by("employee_no"))
