"""Org use cases: the rules the admin pages, the import and the API all rely on."""

from __future__ import annotations

import pytest

from sopflow.audit.models import AuditEvent
from sopflow.core.errors import Forbidden, ValidationFailed
from sopflow.org import services
from sopflow.org.models import Company, Department, User
from sopflow.org.tests.builders import build_department, build_user


def test_moving_a_department_under_its_own_descendant_is_refused(hr_admin: User,
                                                                  marketing: Department) -> None:
    child = build_department(marketing.company, parent=marketing)
    grandchild = build_department(marketing.company, parent=child)

    with pytest.raises(ValidationFailed) as raised:
        services.update_department(actor=hr_admin, department=marketing, parent=grandchild)

    assert (raised.value.message, raised.value.field) == ("不能把部门移动到它自己或它的下级部门之下", "parent")
    marketing.refresh_from_db()
    assert marketing.parent is None
    assert AuditEvent.objects.exists() is False


def test_moving_a_department_records_the_move(hr_admin: User, marketing: Department,
                                              finance: Department) -> None:
    services.update_department(actor=hr_admin, department=finance, parent=marketing)

    event = AuditEvent.objects.get()
    assert (event.action, event.changes) == ("org.department.moved", {"parent": [None, marketing.pk]})


def test_changing_heads_is_audited(hr_admin: User, marketing: Department, bob: User, alice: User) -> None:
    services.update_department(actor=hr_admin, department=marketing, heads=[alice])

    event = AuditEvent.objects.get()
    assert (event.action, event.changes) == ("org.department.updated",
                                             {"heads": [[bob.pk], [alice.pk]]})


def test_disabling_a_department_with_active_members_is_refused(hr_admin: User, alice: User,
                                                               marketing: Department) -> None:
    with pytest.raises(ValidationFailed) as raised:
        services.set_department_active(actor=hr_admin, department=marketing, is_active=False)

    assert raised.value.message == "部门下还有在职员工，请先调出后再停用"
    marketing.refresh_from_db()
    assert marketing.is_active is True
    assert AuditEvent.objects.exists() is False


def test_disabling_an_empty_department_keeps_the_row(hr_admin: User, finance: Department) -> None:
    services.set_department_active(actor=hr_admin, department=finance, is_active=False)

    finance.refresh_from_db()
    assert finance.is_active is False
    assert AuditEvent.objects.get().action == "org.department.disabled"


def test_manager_loop_is_refused(hr_admin: User, alice: User, bob: User) -> None:
    with pytest.raises(ValidationFailed) as raised:
        services.update_employee(actor=hr_admin, employee=bob, changes={"manager": alice})

    assert (raised.value.message, raised.value.field) == (
        "直属上级不能形成循环（不能是自己或自己的下属）", "manager")
    bob.refresh_from_db()
    assert bob.manager is None
    assert AuditEvent.objects.exists() is False


def test_secondary_department_changes_are_audited(hr_admin: User, alice: User,
                                                  finance: Department) -> None:
    services.update_employee(actor=hr_admin, employee=alice, changes={},
                             secondary_departments=[finance])

    assert AuditEvent.objects.get().changes == {"secondary_departments": [[], [finance.pk]]}


def test_outsider_cannot_manage_and_nothing_changes(dave: User, marketing: Department,
                                                    alice: User) -> None:
    users, departments = User.objects.count(), Department.objects.count()

    with pytest.raises(Forbidden):
        services.create_department(actor=dave, company=marketing.company, name="新部门", code="new")
    with pytest.raises(Forbidden):
        services.update_employee(actor=dave, employee=alice, changes={"title": "经理"})
    with pytest.raises(Forbidden):
        services.set_employee_active(actor=dave, employee=alice, is_active=False)

    alice.refresh_from_db()
    assert (alice.title, alice.is_active) == ("", True)
    assert (User.objects.count(), Department.objects.count()) == (users, departments)
    assert AuditEvent.objects.exists() is False


def test_hr_admin_of_another_company_cannot_manage_this_one(company: Company, alice: User) -> None:
    from sopflow.org.models import RoleAssignment
    from sopflow.org.tests.builders import build_company, grant

    other_hr = build_user(build_company())
    grant(other_hr, RoleAssignment.Role.HR_ADMIN, company=other_hr.company)

    with pytest.raises(Forbidden):
        services.update_employee(actor=other_hr, employee=alice, changes={"title": "经理"})

    alice.refresh_from_db()
    assert alice.title == ""


def test_people_without_a_company_cannot_be_changed_through_org_services(admin: User) -> None:
    loner = User.objects.create_user("Z001", name="无公司")

    with pytest.raises(Forbidden):
        services.update_employee(actor=admin, employee=loner, changes={"title": "x"})

    loner.refresh_from_db()
    assert loner.title == ""
