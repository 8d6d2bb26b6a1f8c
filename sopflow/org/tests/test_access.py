"""Who sees which company's org, and who may change it."""

from __future__ import annotations

import pytest

from sopflow.core.errors import Forbidden, NotFound
from sopflow.org import access
from sopflow.org.models import RoleAssignment, User
from sopflow.org.tests.builders import build_company, build_department, build_user, grant


def test_group_and_sister_companies_are_visible_but_unrelated_ones_are_not(db: None) -> None:
    group = build_company(code="group")
    tech = build_company(code="tech", parent=group)
    trade = build_company(code="trade", parent=group)
    unrelated = build_company(code="unrelated")
    person = build_user(tech)

    visible = set(access.companies_visible_to(person).values_list("code", flat=True))

    assert visible == {"group", "tech", "trade"}
    assert access.get_company_for(person, trade.pk) == trade
    with pytest.raises(NotFound):
        access.get_company_for(person, unrelated.pk)


def test_department_of_an_unrelated_company_is_not_found(alice: User) -> None:
    department = build_department(build_company())

    with pytest.raises(NotFound) as raised:
        access.get_department_for(alice, department.pk)

    assert raised.value.message == "部门不存在"


def test_employee_may_view_but_not_manage(alice: User, bob: User) -> None:
    assert access.get_employee_for(alice, bob.pk) == bob

    with pytest.raises(Forbidden) as raised:
        access.get_employee_for(alice, bob.pk, "manage")

    assert raised.value.message == "只有人事管理员或系统管理员可以修改组织架构"


def test_hr_admin_manages_only_their_company(hr_admin: User) -> None:
    sister = build_company(parent=hr_admin.company)

    assert access.can_manage_org(hr_admin, hr_admin.company) is True
    assert access.can_manage_org(hr_admin, sister) is False
    assert access.can_manage_roles(hr_admin, hr_admin.company) is False


def test_global_system_admin_sees_and_manages_everything(admin: User) -> None:
    elsewhere = build_company()

    assert access.get_company_for(admin, elsewhere.pk, "manage") == elsewhere
    assert access.can_manage_roles(admin, elsewhere) is True


def test_role_grant_can_only_be_revoked_by_a_system_admin(hr_admin: User, admin: User,
                                                          alice: User) -> None:
    granted = grant(alice, RoleAssignment.Role.AUDITOR, company=alice.company)

    with pytest.raises(Forbidden):
        access.get_role_assignment_for(hr_admin, granted.pk)

    assert access.get_role_assignment_for(admin, granted.pk) == granted


def test_disabled_hr_admin_can_no_longer_manage(hr_admin: User) -> None:
    User.objects.filter(pk=hr_admin.pk).update(is_active=False)
    hr_admin.refresh_from_db()

    assert access.can_manage_org(hr_admin, hr_admin.company) is False
